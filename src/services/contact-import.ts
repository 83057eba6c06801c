import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CsvError, parse } from "csv-parse";
import type { BulkSession, Database } from "../db/database";
import { mapHeaders, splitTags, type ColumnMapping } from "../domain/contact-columns";
import { normalizePhone } from "../domain/phone";
import { assignTimeZone } from "../domain/time-zone";

/** Larger files are refused before reading: 100 MB is about 1.5 million typical rows. */
export const MAX_IMPORT_BYTES = 100 * 1024 * 1024;
/** Invalid rows listed in the downloadable report; beyond this they are counted only. */
export const MAX_LISTED_INVALID_ROWS = 50_000;

export interface ImportProgress {
  rowsRead: number;
  phase: "reading" | "saving";
}

export interface ImportOptions {
  /** Region for numbers written without a country code (ISO 3166 alpha-2, default US). */
  defaultRegion?: string;
  maxBytes?: number;
  /** Called every 10,000 rows and when saving starts: cheap, the caller decides how often to show it. */
  onProgress?: (progress: ImportProgress) => void;
}

export interface InvalidRow {
  /** Line number in the file, counting the header as line 1. */
  line: number;
  reason: string;
  phone: string;
}

export interface ImportSummary {
  rowsRead: number;
  /** New contacts. */
  imported: number;
  /** Existing contacts merged with rows of this file. */
  updated: number;
  invalid: number;
  /** The first MAX_LISTED_INVALID_ROWS invalid rows, in file order. */
  invalidRows: InvalidRow[];
  /** Rows whose phone appeared earlier in the same file (merged into one contact). */
  duplicates: number;
  /** Contacts of this file whose numbers are on the opt-out list: stored, never texted. */
  suppressed: number;
  /** Columns that became custom fields. */
  customFields: string[];
}

/** A problem with the whole file. Nothing was changed; the message says what to do. */
export class ImportRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportRejected";
  }
}

const STAGING_COLUMNS = ["line", "phone", "first_name", "last_name", "zip", "state", "time_zone", "tz_source", "tags", "custom"] as const;

/**
 * Imports a CSV of contacts, streamed end to end: rows are checked and normalized as they are read,
 * copied into a temporary table, then merged into Contact by phone in one statement. It all runs in
 * one transaction, so a file rejected half-way (broken quoting at line 400,000) changes nothing.
 */
export async function importContacts(db: Database, source: AsyncIterable<Uint8Array>, options: ImportOptions = {}): Promise<ImportSummary> {
  const stats = { rowsRead: 0, invalid: 0, invalidRows: [] as InvalidRow[], customFields: [] as string[] };
  return db.withBulkSession(async (session) => {
    await session.query(
      `CREATE TEMP TABLE import_rows (line int, phone text, first_name text, last_name text, zip text, state text,
        time_zone text, tz_source text, tags text[], custom jsonb) ON COMMIT DROP`,
    );
    await session.copyRows("import_rows", STAGING_COLUMNS, stagedRows(source, options, stats));
    if (stats.rowsRead === 0) throw new ImportRejected("The file has a header row but no contacts under it.");
    options.onProgress?.({ rowsRead: stats.rowsRead, phase: "saving" });
    const merged = await mergeStagedRows(session);
    return {
      rowsRead: stats.rowsRead,
      invalid: stats.invalid,
      invalidRows: stats.invalidRows,
      customFields: stats.customFields,
      ...merged,
    };
  });
}

/** CSV bytes → checked rows in staging-table order. Invalid rows are counted and listed, not staged. */
async function* stagedRows(
  source: AsyncIterable<Uint8Array>,
  options: ImportOptions,
  stats: { rowsRead: number; invalid: number; invalidRows: InvalidRow[]; customFields: string[] },
): AsyncGenerator<(string | null)[]> {
  const region = options.defaultRegion ?? "US";
  // Spreadsheets export blank rows as ",,,,": skip them like empty lines rather than report them.
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true, info: true, trim: true });
  let feedError: unknown;
  const feeding = pipeline(Readable.from(decodeUtf8(source, options.maxBytes ?? MAX_IMPORT_BYTES)), parser).catch((error: unknown) => {
    feedError = error;
  });
  let mapping: ColumnMapping | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!mapping) {
        const headers = mapHeaders(record);
        if (!headers.ok) throw new ImportRejected(headers.message);
        mapping = headers.mapping;
        stats.customFields = mapping.custom.map((c) => c.name);
        continue;
      }
      stats.rowsRead++;
      if (stats.rowsRead % 10_000 === 0) options.onProgress?.({ rowsRead: stats.rowsRead, phase: "reading" });
      const row = stageRow(record, info.lines, mapping, region);
      if ("reason" in row) {
        stats.invalid++;
        if (stats.invalidRows.length < MAX_LISTED_INVALID_ROWS) stats.invalidRows.push(row);
        continue;
      }
      yield row.values;
    }
  } catch (error) {
    throw feedError instanceof ImportRejected ? feedError : explainParseError(error);
  }
  await feeding;
  if (feedError) throw explainParseError(feedError);
  if (!mapping) throw new ImportRejected("The file is empty. Export the contact list as CSV (with a header row) and upload it again.");
}

function stageRow(
  record: string[],
  line: number,
  mapping: ColumnMapping,
  region: string,
): { values: (string | null)[] } | InvalidRow {
  const cell = (index: number | undefined) => (index === undefined ? "" : (record[index] ?? ""));
  const rawPhone = cell(mapping.standard.phone);
  if (!rawPhone) return { line, reason: "no phone number", phone: "" };
  const phone = normalizePhone(rawPhone, region as never);
  if (!phone) return { line, reason: `"${rawPhone}" is not a valid phone number`, phone: rawPhone };
  const zip = normalizeZip(cell(mapping.standard.zip));
  const { timeZone, source } = assignTimeZone({ zip, phone });
  const custom: Record<string, string> = {};
  for (const { index, name } of mapping.custom) {
    const value = record[index];
    if (value) custom[name] = value;
  }
  const tags = splitTags(cell(mapping.standard.tags));
  return {
    values: [
      String(line),
      phone,
      cell(mapping.standard.firstName) || null,
      cell(mapping.standard.lastName) || null,
      zip,
      cell(mapping.standard.state).toUpperCase() || null,
      timeZone,
      source,
      pgArray(tags),
      JSON.stringify(custom),
    ],
  };
}

/** "02134-1234" → "02134"; Excel drops leading zeros ("2134" → "02134"). */
function normalizeZip(raw: string): string | null {
  const match = /^(\d{3,5})(?:-\d{4})?$/.exec(raw.trim());
  return match ? match[1]!.padStart(5, "0") : null;
}

/** A PostgreSQL array literal of text. */
function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (ch) => `\\${ch}`)}"`).join(",")}}`;
}

/** Checks the bytes are UTF-8 text of an acceptable size, and hands them on as strings. */
async function* decodeUtf8(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let bytes = 0;
  let first = true;
  for await (const chunk of source) {
    if (first && chunk.length > 0) {
      rejectBinary(chunk);
      first = false;
    }
    bytes += chunk.length;
    if (bytes > maxBytes) {
      throw new ImportRejected(
        `The file is larger than ${formatBytes(maxBytes)}. Split it into smaller CSV files and import them one after another.`,
      );
    }
    try {
      yield decoder.decode(chunk, { stream: true });
    } catch {
      throw new ImportRejected(
        "The file is not UTF-8 text. In Excel choose File → Save As → “CSV UTF-8”; in Google Sheets, File → Download → CSV; then upload again.",
      );
    }
  }
  try {
    yield decoder.decode();
  } catch {
    throw new ImportRejected("The file ends in the middle of a character: it is not valid UTF-8 text. Export it again as CSV UTF-8.");
  }
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function rejectBinary(start: Uint8Array): void {
  const head = Buffer.from(start.subarray(0, 8));
  if (head.subarray(0, 2).toString("latin1") === "PK") {
    throw new ImportRejected("This is an Excel or zip file, not a CSV. In Excel choose File → Save As → “CSV UTF-8” and upload that file.");
  }
  if (head.subarray(0, 4).toString("latin1") === "%PDF") throw new ImportRejected("This is a PDF, not a CSV. Upload the contact list as a .csv file.");
  if (start.subarray(0, 4096).includes(0)) {
    throw new ImportRejected("This file is not text (it contains binary data). Upload the contact list as a .csv file.");
  }
}

function explainParseError(error: unknown): Error {
  if (error instanceof ImportRejected) return error;
  if (error instanceof CsvError) {
    const line = (error as CsvError & { lines?: number }).lines;
    const where = line ? ` near line ${line}` : "";
    const what =
      error.code === "CSV_QUOTE_NOT_CLOSED"
        ? "a quoted value is never closed"
        : error.code === "CSV_INVALID_CLOSING_QUOTE"
          ? "a quote is followed by more text in the same value"
          : error.message;
    return new ImportRejected(
      `The file has broken quoting${where}: ${what}. Open it in a spreadsheet app, check that line, export it again as CSV, and upload. Nothing was imported.`,
    );
  }
  return error as Error;
}

/** Folds the staged rows into Contact: one row per phone, later non-empty values win, tags union. */
async function mergeStagedRows(session: BulkSession): Promise<Pick<ImportSummary, "imported" | "updated" | "duplicates" | "suppressed">> {
  const [counts] = await session.query<{ staged: number; distinct_phones: number; suppressed: number }>(
    `SELECT count(*)::int AS staged, count(DISTINCT phone)::int AS distinct_phones,
       (SELECT count(DISTINCT r.phone)::int FROM import_rows r JOIN "OptOut" o ON o.phone = r.phone) AS suppressed
     FROM import_rows`,
  );
  const [merged] = await session.query<{ imported: number; updated: number }>(
    `WITH latest AS (
       SELECT phone,
         (array_agg(first_name ORDER BY line DESC) FILTER (WHERE first_name IS NOT NULL))[1] AS first_name,
         (array_agg(last_name ORDER BY line DESC) FILTER (WHERE last_name IS NOT NULL))[1] AS last_name,
         (array_agg(zip ORDER BY line DESC) FILTER (WHERE zip IS NOT NULL))[1] AS zip,
         (array_agg(state ORDER BY line DESC) FILTER (WHERE state IS NOT NULL))[1] AS state,
         (array_agg(time_zone ORDER BY (tz_source = 'zip') DESC, line DESC) FILTER (WHERE time_zone IS NOT NULL))[1] AS time_zone,
         (array_agg(tz_source ORDER BY (tz_source = 'zip') DESC, line DESC) FILTER (WHERE time_zone IS NOT NULL))[1] AS tz_source
       FROM import_rows GROUP BY phone
     ),
     tagged AS (
       SELECT phone, array_agg(DISTINCT tag) AS tags FROM import_rows, unnest(tags) AS tag GROUP BY phone
     ),
     customized AS (
       SELECT phone, jsonb_object_agg(key, value ORDER BY line) AS custom FROM import_rows, jsonb_each(custom) GROUP BY phone
     ),
     upserted AS (
       INSERT INTO "Contact" (id, phone, "firstName", "lastName", zip, state, "timeZone", "timeZoneSource", "customFields", tags, "createdAt", "updatedAt")
       SELECT gen_random_uuid(), l.phone, l.first_name, l.last_name, l.zip, l.state, l.time_zone,
         COALESCE(l.tz_source, 'unknown')::"TimeZoneSource", COALESCE(c.custom, '{}'::jsonb), COALESCE(t.tags, '{}'), now(), now()
       FROM latest l LEFT JOIN tagged t USING (phone) LEFT JOIN customized c USING (phone)
       ON CONFLICT (phone) DO UPDATE SET
         "firstName" = COALESCE(EXCLUDED."firstName", "Contact"."firstName"),
         "lastName" = COALESCE(EXCLUDED."lastName", "Contact"."lastName"),
         zip = COALESCE(EXCLUDED.zip, "Contact".zip),
         state = COALESCE(EXCLUDED.state, "Contact".state),
         "timeZone" = COALESCE(EXCLUDED."timeZone", "Contact"."timeZone"),
         "timeZoneSource" = CASE WHEN EXCLUDED."timeZone" IS NULL THEN "Contact"."timeZoneSource" ELSE EXCLUDED."timeZoneSource" END,
         "customFields" = "Contact"."customFields" || EXCLUDED."customFields",
         tags = ARRAY(SELECT DISTINCT unnest("Contact".tags || EXCLUDED.tags)),
         "updatedAt" = now()
       RETURNING (xmax = 0) AS inserted
     )
     SELECT count(*) FILTER (WHERE inserted)::int AS imported, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM upserted`,
  );
  return {
    imported: merged?.imported ?? 0,
    updated: merged?.updated ?? 0,
    duplicates: (counts?.staged ?? 0) - (counts?.distinct_phones ?? 0),
    suppressed: counts?.suppressed ?? 0,
  };
}
