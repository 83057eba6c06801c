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
  /** Distinct phones per database round (default 25,000); tests use tiny batches. */
  batchContacts?: number;
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

/** A contact as read from the file, after normalization; repeated phones are folded into one. */
interface StagedContact {
  id: string;
  phone: string;
  firstName: string | null;
  lastName: string | null;
  zip: string | null;
  state: string | null;
  timeZone: string | null;
  timeZoneSource: "zip" | "area_code" | "unknown";
  tags: string[];
  custom: Record<string, string>;
  /** The phone appeared in an earlier batch of this file: the database row is this file's own. */
  seenBefore: boolean;
}

/** Distinct phones merged per database round; the file is parsed ahead while a batch is merged. */
const BATCH_CONTACTS = 10_000;

const BATCH_COLUMNS = [
  "id", "phone", "first_name", "last_name", "zip", "state", "time_zone", "tz_source", "tags", "custom", "seen_before",
] as const;

/**
 * Imports a CSV of contacts, streamed end to end in batches: rows are checked and normalized as
 * they are read, repeated phones are folded, and each batch is COPYed into a temporary table and
 * merged into Contact (existing contacts updated, new ones inserted) while the next batch is being
 * parsed, so both cores work. It all runs in one transaction, so a file rejected half-way (broken
 * quoting at line 400,000) changes nothing; other writers of Contact wait, readers do not.
 */
export async function importContacts(db: Database, source: AsyncIterable<Uint8Array>, options: ImportOptions = {}): Promise<ImportSummary> {
  const stats = { rowsRead: 0, invalid: 0, duplicates: 0, invalidRows: [] as InvalidRow[], customFields: [] as string[] };
  return db.withBulkSession(async (session) => {
    await session.query(
      `CREATE TEMP TABLE import_batch (id uuid, phone text, first_name text, last_name text, zip text, state text,
        time_zone text, tz_source "TimeZoneSource", tags text[], custom jsonb, seen_before boolean) ON COMMIT DROP`,
    );
    await session.query(`LOCK TABLE "Contact" IN SHARE ROW EXCLUSIVE MODE`);
    const totals = { imported: 0, updated: 0, suppressed: 0 };
    const batches = contactBatches(source, options, stats);
    try {
      let next = batches.next();
      for (;;) {
        const { value: batch, done } = await next;
        if (done) break;
        next = batches.next();
        // The next batch is parsed while this one is merged; its failure is handled when awaited.
        next.catch(() => undefined);
        await mergeBatch(session, batch, totals);
      }
    } finally {
      await batches.return(undefined);
    }
    if (stats.rowsRead === 0) throw new ImportRejected("The file has a header row but no contacts under it.");
    return {
      rowsRead: stats.rowsRead,
      invalid: stats.invalid,
      invalidRows: stats.invalidRows,
      duplicates: stats.duplicates,
      customFields: stats.customFields,
      ...totals,
    };
  });
}

/** CSV bytes → batches of distinct contacts. Invalid rows are counted and listed, not staged. */
async function* contactBatches(
  source: AsyncIterable<Uint8Array>,
  options: ImportOptions,
  stats: { rowsRead: number; invalid: number; duplicates: number; invalidRows: InvalidRow[]; customFields: string[] },
): AsyncGenerator<StagedContact[]> {
  const region = options.defaultRegion ?? "US";
  // No `info` option: it doubles parsing time. Rows are numbered as a spreadsheet shows them (header = 1).
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  let feedError: unknown;
  const feeding = pipeline(Readable.from(decodeUtf8(source, options.maxBytes ?? MAX_IMPORT_BYTES)), parser).catch((error: unknown) => {
    feedError = error;
  });
  let mapping: ColumnMapping | undefined;
  // E.164 numbers fit a double exactly; a Set of numbers is far smaller than one of strings.
  const seen = new Set<number>();
  let batch = new Map<string, StagedContact>();
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
      const key = Number(row.phone.slice(1));
      const earlier = batch.get(row.phone);
      if (earlier) {
        stats.duplicates++;
        foldInto(earlier, row);
        continue;
      }
      if (seen.has(key)) {
        stats.duplicates++;
        row.seenBefore = true;
      } else {
        seen.add(key);
      }
      batch.set(row.phone, row);
      if (batch.size === (options.batchContacts ?? BATCH_CONTACTS)) {
        yield [...batch.values()];
        batch = new Map();
      }
    }
  } catch (error) {
    throw feedError instanceof ImportRejected ? feedError : explainParseError(error);
  }
  await feeding;
  if (feedError) throw explainParseError(feedError);
  if (!mapping) throw new ImportRejected("The file is empty. Export the contact list as CSV (with a header row) and upload it again.");
  options.onProgress?.({ rowsRead: stats.rowsRead, phase: "saving" });
  if (batch.size > 0) yield [...batch.values()];
}

/** A later row of the same phone: its non-empty values win, tags add up, a ZIP's time zone beats an area code's. */
function foldInto(earlier: StagedContact, later: StagedContact): void {
  earlier.firstName = later.firstName ?? earlier.firstName;
  earlier.lastName = later.lastName ?? earlier.lastName;
  earlier.zip = later.zip ?? earlier.zip;
  earlier.state = later.state ?? earlier.state;
  if (later.timeZone && (later.timeZoneSource === "zip" || earlier.timeZoneSource !== "zip")) {
    earlier.timeZone = later.timeZone;
    earlier.timeZoneSource = later.timeZoneSource;
  }
  for (const tag of later.tags) if (!earlier.tags.includes(tag)) earlier.tags.push(tag);
  Object.assign(earlier.custom, later.custom);
}

function stageRow(record: string[], line: number, mapping: ColumnMapping, region: string): StagedContact | InvalidRow {
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
  return {
    id: newId(),
    phone,
    firstName: cell(mapping.standard.firstName) || null,
    lastName: cell(mapping.standard.lastName) || null,
    zip,
    state: cell(mapping.standard.state).toUpperCase() || null,
    timeZone,
    timeZoneSource: source,
    tags: splitTags(cell(mapping.standard.tags)),
    custom,
    seenBefore: false,
  };
}

function toCopyRow(c: StagedContact): CopyRow {
  return [
    c.id, c.phone, c.firstName, c.lastName, c.zip, c.state, c.timeZone, c.timeZoneSource,
    pgArray(c.tags), JSON.stringify(c.custom), c.seenBefore ? "t" : "f",
  ];
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
 * Merges one batch of distinct phones into Contact: existing contacts (in the database, or from an
 * earlier batch of this file) are updated, later non-empty values winning and tags adding up; the
 * others are inserted. Which phones exist is asked by index first, so a batch of new contacts costs
 * one COPY and one plain INSERT (an upsert costs twice as much; the table lock rules out races).
 */
async function mergeBatch(
  session: BulkSession,
  batch: StagedContact[],
  totals: { imported: number; updated: number; suppressed: number },
): Promise<void> {
  const firstSeen = batch.filter((c) => !c.seenBefore).map((c) => c.phone);
  const [inDatabase, optedOut] = await Promise.all([
    session.query<{ phone: string }>(`SELECT phone FROM "Contact" WHERE phone = ANY($1::text[])`, [firstSeen]),
    session.query<{ n: number }>(`SELECT count(*)::int AS n FROM "OptOut" WHERE phone = ANY($1::text[])`, [firstSeen]),
  ]);
  const existing = new Set(inDatabase.map((r) => r.phone));
  const updates = batch.filter((c) => c.seenBefore || existing.has(c.phone));
  const inserts = batch.filter((c) => !c.seenBefore && !existing.has(c.phone));
  totals.updated += existing.size;
  totals.suppressed += optedOut[0]?.n ?? 0;
  if (updates.length > 0) {
    await session.query("TRUNCATE import_batch");
    await session.copyRows("import_batch", BATCH_COLUMNS, [updates.map(toCopyRow)]);
    await session.query(
      `UPDATE "Contact" c SET
         "firstName" = COALESCE(b.first_name, c."firstName"),
         "lastName" = COALESCE(b.last_name, c."lastName"),
         zip = COALESCE(b.zip, c.zip),
         state = COALESCE(b.state, c.state),
         "timeZone" = CASE WHEN b.time_zone IS NULL OR (b.seen_before AND b.tz_source <> 'zip' AND c."timeZoneSource" = 'zip')
                      THEN c."timeZone" ELSE b.time_zone END,
         "timeZoneSource" = CASE WHEN b.time_zone IS NULL OR (b.seen_before AND b.tz_source <> 'zip' AND c."timeZoneSource" = 'zip')
                      THEN c."timeZoneSource" ELSE b.tz_source END,
         "customFields" = c."customFields" || b.custom,
         tags = ARRAY(SELECT DISTINCT unnest(c.tags || b.tags)),
         "updatedAt" = now()
       FROM import_batch b WHERE c.phone = b.phone`,
    );
  }
  if (inserts.length > 0) {
    await session.query("TRUNCATE import_batch");
    await session.copyRows("import_batch", BATCH_COLUMNS, [inserts.map(toCopyRow)]);
    await session.query(
      `INSERT INTO "Contact" (id, phone, "firstName", "lastName", zip, state, "timeZone", "timeZoneSource", "customFields", tags, "createdAt", "updatedAt")
       SELECT id, phone, first_name, last_name, zip, state, time_zone, tz_source, custom, tags, now(), now() FROM import_batch`,
    );
    totals.imported += inserts.length;
  }
}
