import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CsvError, parse } from "csv-parse";
import type { BulkSession, CopyRow, Database } from "../db/database";
import { newId } from "../db/ids";
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
  /** Row number as a spreadsheet shows it: the header is row 1 (blank rows are not counted). */
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

const STAGING_COLUMNS = ["id", "line", "phone", "first_name", "last_name", "zip", "state", "time_zone", "tz_source", "tags", "custom"] as const;

/**
 * Imports a CSV of contacts, streamed end to end: rows are checked and normalized as they are read,
 * copied into a temporary table, then merged into Contact by phone in one statement. It all runs in
 * one transaction, so a file rejected half-way (broken quoting at line 400,000) changes nothing.
 */
export async function importContacts(db: Database, source: AsyncIterable<Uint8Array>, options: ImportOptions = {}): Promise<ImportSummary> {
  const stats = { rowsRead: 0, invalid: 0, invalidRows: [] as InvalidRow[], customFields: [] as string[] };
  return db.withBulkSession(async (session) => {
    await session.query(
      `CREATE TEMP TABLE import_rows (id uuid, line int, phone text, first_name text, last_name text, zip text, state text,
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
): AsyncGenerator<CopyRow[]> {
  const region = options.defaultRegion ?? "US";
  // No `info` option: it doubles parsing time. Rows are numbered as a spreadsheet shows them (header = 1).
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  let feedError: unknown;
  const feeding = pipeline(Readable.from(decodeUtf8(source, options.maxBytes ?? MAX_IMPORT_BYTES)), parser).catch((error: unknown) => {
    feedError = error;
  });
  let mapping: ColumnMapping | undefined;
  // Rows travel in batches: one promise per thousand rows instead of one per row.
  let batch: CopyRow[] = [];
  let line = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      line++;
      if (!mapping) {
        const headers = mapHeaders(record);
        if (!headers.ok) throw new ImportRejected(headers.message);
        mapping = headers.mapping;
        stats.customFields = mapping.custom.map((c) => c.name);
        continue;
      }
      // Spreadsheets export blank rows as ",,,,": skip them like empty lines.
      if (record.every((cell) => cell === "")) continue;
      stats.rowsRead++;
      if (stats.rowsRead % 10_000 === 0) options.onProgress?.({ rowsRead: stats.rowsRead, phase: "reading" });
      const row = stageRow(record, line, mapping, region);
      if ("reason" in row) {
        stats.invalid++;
        if (stats.invalidRows.length < MAX_LISTED_INVALID_ROWS) stats.invalidRows.push(row);
        continue;
      }
      batch.push(row.values);
      if (batch.length === 1000) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    throw feedError instanceof ImportRejected ? feedError : explainParseError(error);
  }
  await feeding;
  if (feedError) throw explainParseError(feedError);
  if (batch.length > 0) yield batch;
  if (!mapping) throw new ImportRejected("The file is empty. Export the contact list as CSV (with a header row) and upload it again.");
}

function stageRow(
  record: string[],
  line: number,
  mapping: ColumnMapping,
  region: string,
): { values: CopyRow } | InvalidRow {
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
      newId(),
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

/** csv-parse's quoting errors, as an organizer can act on them. */
function explainParseError(error: unknown): Error {
  if (error instanceof ImportRejected) return error;
  if (error instanceof CsvError) {
    // The parser runs ahead of the rows consumed, so its own line count locates the problem.
    const line = (error as CsvError & { lines?: number }).lines;
    const what =
      error.code === "CSV_QUOTE_NOT_CLOSED"
        ? "a quoted value is never closed"
        : error.code === "CSV_INVALID_CLOSING_QUOTE"
          ? "a quote is followed by more text in the same value"
          : error.message;
    return new ImportRejected(
      `The file has broken quoting${line ? ` near line ${line}` : ""}: ${what}. Open it in a spreadsheet app, check that row, export it again as CSV, and upload. Nothing was imported.`,
    );
  }
  return error as Error;
}

/**
 * Folds the staged rows into Contact: one contact per phone, later non-empty values win, tags
 * union. Most phones appear once in a file, so only the repeated ones go through the aggregation.
 * Existing contacts are updated and new ones inserted in two plain statements (an upsert of a
 * million rows costs twice as much), with other writers held off meanwhile; readers carry on.
 */
async function mergeStagedRows(session: BulkSession): Promise<Pick<ImportSummary, "imported" | "updated" | "duplicates" | "suppressed">> {
  await session.query("SET LOCAL work_mem = '256MB'");
  await session.query("ANALYZE import_rows");
  await session.query(
    `CREATE TEMP TABLE repeated_phones ON COMMIT DROP AS
       SELECT phone, count(*)::int AS rows FROM import_rows GROUP BY phone HAVING count(*) > 1`,
  );
  await session.query(
    `CREATE TEMP TABLE merged_rows ON COMMIT DROP AS
     WITH repeated AS (
       SELECT r.* FROM import_rows r JOIN repeated_phones USING (phone)
     ),
     repeated_tags AS (
       SELECT phone, array_agg(DISTINCT tag) AS tags FROM repeated, unnest(tags) AS tag GROUP BY phone
     ),
     repeated_custom AS (
       SELECT phone, jsonb_object_agg(key, value ORDER BY line) AS custom FROM repeated, jsonb_each(custom) GROUP BY phone
     ),
     folded AS (
       SELECT phone,
         (array_agg(id ORDER BY line))[1] AS id,
         (array_agg(first_name ORDER BY line DESC) FILTER (WHERE first_name IS NOT NULL))[1] AS first_name,
         (array_agg(last_name ORDER BY line DESC) FILTER (WHERE last_name IS NOT NULL))[1] AS last_name,
         (array_agg(zip ORDER BY line DESC) FILTER (WHERE zip IS NOT NULL))[1] AS zip,
         (array_agg(state ORDER BY line DESC) FILTER (WHERE state IS NOT NULL))[1] AS state,
         (array_agg(time_zone ORDER BY (tz_source = 'zip') DESC, line DESC) FILTER (WHERE time_zone IS NOT NULL))[1] AS time_zone,
         (array_agg(tz_source ORDER BY (tz_source = 'zip') DESC, line DESC) FILTER (WHERE time_zone IS NOT NULL))[1] AS tz_source
       FROM repeated GROUP BY phone
     )
     SELECT id, phone, first_name, last_name, zip, state, time_zone, tz_source, tags, custom
     FROM import_rows r WHERE NOT EXISTS (SELECT 1 FROM repeated_phones p WHERE p.phone = r.phone)
     UNION ALL
     SELECT f.id, f.phone, f.first_name, f.last_name, f.zip, f.state, f.time_zone, f.tz_source, COALESCE(t.tags, '{}'), COALESCE(c.custom, '{}')
     FROM folded f LEFT JOIN repeated_tags t USING (phone) LEFT JOIN repeated_custom c USING (phone)`,
  );
  const [counts] = await session.query<{ duplicates: number; suppressed: number }>(
    `SELECT (SELECT COALESCE(sum(rows - 1), 0)::int FROM repeated_phones) AS duplicates,
       (SELECT count(*)::int FROM "OptOut" o WHERE EXISTS (SELECT 1 FROM merged_rows m WHERE m.phone = o.phone)) AS suppressed`,
  );
  await session.query(`LOCK TABLE "Contact" IN SHARE ROW EXCLUSIVE MODE`);
  const [updated] = await session.query<{ updated: number }>(
    `WITH updated AS (
     UPDATE "Contact" c SET
       "firstName" = COALESCE(m.first_name, c."firstName"),
       "lastName" = COALESCE(m.last_name, c."lastName"),
       zip = COALESCE(m.zip, c.zip),
       state = COALESCE(m.state, c.state),
       "timeZone" = COALESCE(m.time_zone, c."timeZone"),
       "timeZoneSource" = CASE WHEN m.time_zone IS NULL THEN c."timeZoneSource" ELSE m.tz_source::"TimeZoneSource" END,
       "customFields" = c."customFields" || m.custom,
       tags = ARRAY(SELECT DISTINCT unnest(c.tags || m.tags)),
       "updatedAt" = now()
     FROM merged_rows m WHERE c.phone = m.phone
     RETURNING 1
     )
     SELECT count(*)::int AS updated FROM updated`,
  );
  const [inserted] = await session.query<{ imported: number }>(
    `WITH inserted AS (
       INSERT INTO "Contact" (id, phone, "firstName", "lastName", zip, state, "timeZone", "timeZoneSource", "customFields", tags, "createdAt", "updatedAt")
       SELECT id, phone, first_name, last_name, zip, state, time_zone, COALESCE(tz_source, 'unknown')::"TimeZoneSource", custom, tags, now(), now()
       FROM merged_rows m WHERE NOT EXISTS (SELECT 1 FROM "Contact" c WHERE c.phone = m.phone)
       RETURNING 1
     )
     SELECT count(*)::int AS imported FROM inserted`,
  );
  return {
    imported: inserted?.imported ?? 0,
    updated: updated?.updated ?? 0,
    duplicates: counts?.duplicates ?? 0,
    suppressed: counts?.suppressed ?? 0,
  };
}
