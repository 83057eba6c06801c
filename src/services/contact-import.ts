import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setImmediate } from "node:timers/promises";
import { parse } from "csv-parse";
import type { BulkSession, Database } from "../db/database";
import { mapHeaders } from "../domain/contact-columns";
import {
  CONTACT_COPY_COLUMNS,
  ContactChunker,
  RowStager,
  STAGED_COLUMNS,
  chunkPhone,
  type ContactChunk,
  type InvalidRow,
} from "./contact-staging";
import { checkedUtf8, explainParseError, ImportRejected, MAX_ROW_BYTES } from "./import-file-checks";
import { optedOutSql } from "../domain/suppression";
import { auditActor, requirePermission, type Actor } from "./actors";
import { auditStatement } from "./audit";

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
  /** Distinct phones per database round (default 10,000); tests use tiny batches. */
  batchContacts?: number;
  /** Bytes of COPY text per database round (default CHUNK_MAX_BYTES); tests use tiny ones. */
  chunkBytes?: number;
  /** The uploaded file's name, for the audit trail. */
  fileName?: string;
  /** Called every 10,000 rows and when saving starts: cheap, the caller decides how often to show it. */
  onProgress?: (progress: ImportProgress) => void;
}

export type { InvalidRow };

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

/** Distinct phones merged per database round; the file is parsed ahead while a chunk is merged. */
const BATCH_CONTACTS = 10_000;
/**
 * Bytes of COPY text per round, whatever the row count: with wide rows (custom fields repeat their
 * column's name in every contact) a chunk is cut here, so the two chunks alive at a time (one
 * merged, one parsed) stay within tens of megabytes. Typical rows never reach it.
 */
export const CHUNK_MAX_BYTES = 16 * 1024 * 1024;
/**
 * Imports a CSV of contacts, streamed end to end in chunks: rows are checked and normalized as
 * they are read, repeated phones are folded, and each chunk is COPYed into a temporary table and
 * upserted into Contact while the next chunk is being parsed, so Node and PostgreSQL each keep a
 * core busy. It all runs in one transaction, so a file rejected half-way (broken quoting at line
 * 400,000) changes nothing; other writers of Contact wait, readers do not.
 */
export async function importContacts(
  db: Database,
  source: AsyncIterable<Uint8Array>,
  actor: Actor,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  await requirePermission(db, actor, "contacts.import", "importing contacts", { subject: options.fileName ?? null });
  const stats = {
    rowsRead: 0,
    invalid: 0,
    duplicates: 0,
    invalidRows: [] as InvalidRow[],
    customFields: [] as string[],
  };
  const importing = db.withBulkSession(async (session) => {
    await session.query(
      `CREATE TEMP TABLE import_batch (id uuid, phone text, first_name text, last_name text, zip text, state text,
        time_zone text, tz_source "TimeZoneSource", tags text[], custom jsonb, seen_before boolean) ON COMMIT DROP`,
    );
    await session.query(`LOCK TABLE "Contact" IN SHARE ROW EXCLUSIVE MODE`);
    // Into an empty Contact (a first import) the lock lets no phone in but this file's own, which the
    // chunker tracks: no chunk needs to look its phones up in Contact.
    const [{ empty } = { empty: false }] = await session.query<{ empty: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM "Contact") AS empty`,
    );
    const totals = { imported: 0, updated: 0, suppressed: 0 };
    // Contacts COPYed straight into Contact get the timestamps an INSERT here would give them.
    const [{ now } = { now: "" }] = await session.query<{ now: string }>("SELECT now()::text AS now");
    const chunker = new ContactChunker(now);
    const chunks = contactChunks(source, options, stats, chunker);
    try {
      let next = chunks.next();
      for (;;) {
        const { value: chunk, done } = await next;
        if (done) break;
        next = chunks.next();
        // The next chunk is parsed while this one is merged; its failure is handled when awaited.
        next.catch(() => undefined);
        await mergeChunk(session, chunk, totals, empty);
        chunker.recycle(chunk);
      }
    } finally {
      await chunks.return(undefined);
    }
    if (stats.rowsRead === 0) throw new ImportRejected("The file has a header row but no contacts under it.");
    const summary = {
      rowsRead: stats.rowsRead,
      invalid: stats.invalid,
      invalidRows: stats.invalidRows,
      duplicates: stats.duplicates,
      customFields: stats.customFields,
      ...totals,
    };
    const { invalidRows: _rows, ...counts } = summary;
    const audit = auditStatement(
      { ...auditActor(actor), action: "contacts.import", subject: options.fileName ?? null, after: counts },
      actor.at,
    );
    await session.query(audit.sql, audit.params);
    return summary;
  });
  return importing.catch(explainTooLongForIndex);
}

/** Contacts an import must add or merge before tidyContactsAfterImport tidies Contact. */
export const TIDY_AFTER_CONTACTS = 10_000;

/**
 * After a large import, VACUUM (ANALYZE) Contact: audience counts then read the audience index alone
 * (an index-only scan needs the pages VACUUM marks all-visible) and are planned with the new
 * contacts' statistics at once, not whenever autovacuum comes (PostgreSQL's within a minute or so,
 * unless a server turns it off; PGlite has none). VACUUM cannot run inside the import's
 * transaction, so the caller runs this once the import is reported. A VACUUM already at work on
 * Contact makes this one a no-op (SKIP_LOCKED). True when it ran.
 */
export async function tidyContactsAfterImport(
  db: Database,
  summary: Pick<ImportSummary, "imported" | "updated">,
  threshold = TIDY_AFTER_CONTACTS,
): Promise<boolean> {
  if (summary.imported + summary.updated < threshold) return false;
  await db.prisma.$executeRawUnsafe(`VACUUM (ANALYZE, SKIP_LOCKED) "Contact"`);
  return true;
}

/**
 * A contact whose tags grew past what its index entry can hold (MAX_TAGS_BYTES per row, but rows of
 * one phone and earlier imports add their tags up): PostgreSQL refuses the row (SQLSTATE 54000,
 * "index row size exceeds"), and the import says why instead of failing with the database's words.
 */
function explainTooLongForIndex(error: unknown): never {
  if ((error as { code?: string }).code !== "54000") throw error;
  throw new ImportRejected(
    "A contact would carry more tags than can be stored (about 1,500 characters of tags at most: rows with the same phone, and earlier imports, add their tags up), or a state longer than that. Remove some tags, or fix the state column, and import the file again.",
    { cause: error },
  );
}

/** CSV bytes → chunks of distinct contacts. Invalid rows are counted and listed, not staged. */
async function* contactChunks(
  source: AsyncIterable<Uint8Array>,
  options: ImportOptions,
  stats: { rowsRead: number; invalid: number; duplicates: number; invalidRows: InvalidRow[]; customFields: string[] },
  chunker: ContactChunker,
): AsyncGenerator<ContactChunk> {
  const chunkSize = options.batchContacts ?? BATCH_CONTACTS;
  const chunkBytes = options.chunkBytes ?? CHUNK_MAX_BYTES;
  // No `info` option: it doubles parsing time. Rows are numbered as a spreadsheet shows them (header = 1).
  const parser = parse({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    max_record_size: MAX_ROW_BYTES,
  });
  let feedError: unknown;
  const feeding = pipeline(Readable.from(checkedUtf8(source, options.maxBytes ?? MAX_IMPORT_BYTES)), parser).catch(
    (error: unknown) => {
      feedError = error;
    },
  );
  let stager: RowStager | undefined;
  let line = 0;
  try {
    for await (const records of bufferedRecords(parser)) {
      for (const record of records) {
        line++;
        if (!stager) {
          const headers = mapHeaders(record);
          if (!headers.ok) throw new ImportRejected(headers.message);
          stager = new RowStager(headers.mapping, options.defaultRegion ?? "US");
          stats.customFields = headers.mapping.custom.map((c) => c.name);
          continue;
        }
        // Spreadsheets export blank rows as ",,,,": skip them like empty lines.
        if (record.every(isEmpty)) continue;
        stats.rowsRead++;
        if (stats.rowsRead % 10_000 === 0) options.onProgress?.({ rowsRead: stats.rowsRead, phase: "reading" });
        const contact = stager.stage(record, line);
        if ("reason" in contact) {
          stats.invalid++;
          if (stats.invalidRows.length < MAX_LISTED_INVALID_ROWS) stats.invalidRows.push(contact);
          continue;
        }
        if (chunker.add(contact)) stats.duplicates++;
        if (chunker.size >= chunkSize || chunker.bytes >= chunkBytes) yield chunker.take();
      }
    }
  } catch (error) {
    throw feedError instanceof ImportRejected ? feedError : explainParseError(error);
  } finally {
    // Left early (a merge failed): stop reading the upload as well.
    if (!parser.readableEnded) parser.destroy();
  }
  await feeding;
  if (feedError) throw explainParseError(feedError);
  if (!stager)
    throw new ImportRejected(
      "The file is empty. Export the contact list as CSV (with a header row) and upload it again.",
    );
  options.onProgress?.({ rowsRead: stats.rowsRead, phase: "saving" });
  if (chunker.size > 0) yield chunker.take();
}

const isEmpty = (cell: string) => cell === "";

/** Records handed on between two turns of the event loop, so database replies are not kept waiting. */
const RECORDS_PER_TURN = 250;

/**
 * The parser's records, up to RECORDS_PER_TURN at a time: one await per batch instead of one per
 * record, and a turn of the event loop after each, so the merge of the previous chunk proceeds
 * while this one is parsed.
 */
async function* bufferedRecords(parser: Readable): AsyncGenerator<string[][]> {
  for (;;) {
    const records: string[][] = [];
    for (
      let record: string[] | null;
      records.length < RECORDS_PER_TURN && (record = parser.read() as string[] | null) !== null;
    ) {
      records.push(record);
    }
    if (records.length > 0) {
      yield records;
      await setImmediate();
      continue;
    }
    if (parser.errored) throw parser.errored;
    if (parser.readableEnded || parser.destroyed) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        parser.off("readable", settle).off("end", settle).off("close", settle).off("error", settle);
        if (error) reject(error);
        else resolve();
      };
      parser.on("readable", settle).on("end", settle).on("close", settle).on("error", settle);
    });
  }
}

/** A staged contact's time zone replaces the stored one unless it comes from an area code and the stored one from a ZIP. */
const TAKES_ZONE = `EXCLUDED."timeZone" IS NOT NULL AND (EXCLUDED."timeZoneSource" = 'zip' OR c."timeZoneSource" <> 'zip')`;

/**
 * Upserts the chunk's contacts that are already in Contact with foldContact's rule: later non-empty
 * values win, tags add up in order, custom fields merge. The unique phone index finds them as part
 * of the insert; one that is not there after all is inserted, keeping the id staged for it, which
 * is how the inserted count is told apart.
 */
const MERGE_CHUNK_SQL = `
  WITH merged AS (
    INSERT INTO "Contact" AS c (id, phone, "firstName", "lastName", zip, state, "timeZone", "timeZoneSource", "customFields", tags, "createdAt", "updatedAt")
    SELECT id, phone, first_name, last_name, zip, state, time_zone, tz_source, custom, tags, now(), now()
    FROM import_batch
    ON CONFLICT (phone) DO UPDATE SET
      "firstName" = COALESCE(EXCLUDED."firstName", c."firstName"),
      "lastName" = COALESCE(EXCLUDED."lastName", c."lastName"),
      zip = COALESCE(EXCLUDED.zip, c.zip),
      state = COALESCE(EXCLUDED.state, c.state),
      "timeZone" = CASE WHEN ${TAKES_ZONE} THEN EXCLUDED."timeZone" ELSE c."timeZone" END,
      "timeZoneSource" = CASE WHEN ${TAKES_ZONE} THEN EXCLUDED."timeZoneSource" ELSE c."timeZoneSource" END,
      "customFields" = c."customFields" || EXCLUDED."customFields",
      tags = ARRAY(SELECT t FROM unnest(c.tags || EXCLUDED.tags) WITH ORDINALITY AS u(t, n) GROUP BY t ORDER BY min(n)),
      "updatedAt" = now()
    RETURNING id
  )
  SELECT count(*)::int AS inserted FROM merged JOIN import_batch USING (id)`;

/** How many of the phones in $1 are on the opt-out list. */
const SUPPRESSED_SQL = `(SELECT count(*) FROM unnest($1::text[]) AS b(phone) WHERE ${optedOutSql("b.phone")})::int`;

/**
 * Of the chunk's phones that no earlier chunk had: those already in Contact, and how many are on
 * the opt-out list. The import holds a lock that keeps other writers out, so the answer stays true
 * until the chunk is merged.
 */
const EXISTING_SQL = `
  SELECT ARRAY(
           -- One index probe a phone: the LIMIT keeps the planner from a scan of the whole (growing) table.
           SELECT p.phone FROM unnest($1::text[]) AS p(phone)
           CROSS JOIN LATERAL (SELECT 1 FROM "Contact" c WHERE c.phone = p.phone LIMIT 1) AS hit
         ) AS existing,
         ${SUPPRESSED_SQL} AS suppressed`;

/**
 * Stores one chunk (distinct phones). Contacts new to the database, nearly all of a first import,
 * are COPYed straight into Contact: no staging table, no conflict check per row. The others (already
 * stored, or repeated from an earlier chunk of this file) go through the staging table and are merged.
 */
async function mergeChunk(
  session: BulkSession,
  chunk: ContactChunk,
  totals: { imported: number; updated: number; suppressed: number },
  /** Contact was empty when the import began: nothing to look up but the opt-out list. */
  startedEmpty: boolean,
): Promise<void> {
  const { firstSeenAt } = chunk;
  const size = chunk.starts.length;
  const firstSeen = firstSeenAt.map((i) => chunkPhone(chunk, i));
  const [found] = await session.query<{ existing: string[] | null; suppressed: number }>(
    startedEmpty ? `SELECT NULL AS existing, ${SUPPRESSED_SQL} AS suppressed` : EXISTING_SQL,
    [firstSeen],
  );
  const existing = new Set(found?.existing ?? []);
  const isFresh = new Uint8Array(size);
  let freshCount = 0;
  for (let k = 0; k < firstSeenAt.length; k++) {
    if (!existing.has(firstSeen[k]!)) {
      isFresh[firstSeenAt[k]!] = 1;
      freshCount++;
    }
  }
  let inserted = 0;
  if (freshCount > 0) {
    await session.copyBytes(`"Contact"`, CONTACT_COPY_COLUMNS, freshBytes(chunk, isFresh));
    inserted += firstSeen.length - existing.size;
  }
  if (freshCount < size) {
    await session.query("TRUNCATE import_batch");
    await session.copyBytes("import_batch", STAGED_COLUMNS, knownBytes(chunk, isFresh));
    const [merged] = await session.query<{ inserted: number }>(MERGE_CHUNK_SQL);
    inserted += merged?.inserted ?? 0;
  }
  totals.imported += inserted;
  // A phone first seen in this chunk and not inserted was already a contact.
  totals.updated += chunk.firstSeen - inserted;
  totals.suppressed += found?.suppressed ?? 0;
}

/** The chunk's lines of contacts new to the database, as slices of its buffer (one per run of adjacent lines). */
function* freshBytes(chunk: ContactChunk, isFresh: Uint8Array): Generator<Buffer> {
  const { text, starts, ends } = chunk;
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < starts.length; i++) {
    if (!isFresh[i]) continue;
    if (starts[i] === runEnd) {
      runEnd = ends[i]!;
      continue;
    }
    if (runStart >= 0) yield text.subarray(runStart, runEnd);
    runStart = starts[i]!;
    runEnd = ends[i]!;
  }
  if (runStart >= 0) yield text.subarray(runStart, runEnd);
}

/** Bytes of COPY text per piece of the staging table's COPY. */
const KNOWN_PIECE_BYTES = 64 * 1024;

/** The chunk's other lines as staged lines (STAGED_COLUMNS), for the staging table and the merge. */
function* knownBytes(chunk: ContactChunk, isFresh: Uint8Array): Generator<Buffer> {
  const { text, starts, ends, seenBefore, suffixBytes } = chunk;
  let piece = Buffer.allocUnsafe(KNOWN_PIECE_BYTES);
  let used = 0;
  for (let i = 0; i < starts.length; i++) {
    if (isFresh[i]) continue;
    // The line without Contact's timestamps, then its seen-before flag.
    const fieldsEnd = ends[i]! - suffixBytes;
    const needed = fieldsEnd - starts[i]! + 3;
    if (piece.length - used < needed) {
      if (used > 0) yield piece.subarray(0, used);
      piece = Buffer.allocUnsafe(Math.max(KNOWN_PIECE_BYTES, needed));
      used = 0;
    }
    used += text.copy(piece, used, starts[i], fieldsEnd);
    used += piece.write(seenBefore[i] ? "\tt\n" : "\tf\n", used, "latin1");
  }
  if (used > 0) yield piece.subarray(0, used);
}
