import { isUtf8 } from "node:buffer";
import { CsvError } from "csv-parse";
import { UserError } from "../domain/user-error";

/*
 * The contact import's checks on the uploaded file's bytes, before and while csv-parse reads them:
 * size, binary or spreadsheet files, UTF-8, line length, and csv-parse's errors in words an
 * organizer can act on. The import itself is contact-import.ts.
 */

/** A problem with the whole file. Nothing was changed; the message says what to do. */
export class ImportRejected extends UserError {
  override name = "ImportRejected";
}

/**
 * Longest row. The parser holds a row whole, and a row of empty cells (",,,,") costs more memory as
 * cells than as bytes: lines and rows over this are refused, so one row never takes much memory.
 */
export const MAX_ROW_BYTES = 1024 * 1024;

const PARSER_PIECE_BYTES = 64 * 1024;

/**
 * Checks the bytes are UTF-8 text of an acceptable size and hands them on, still as bytes (the
 * parser works on bytes: decoding here would have it encode them again). A character split
 * between two chunks is held back until its end arrives.
 */
export async function* checkedUtf8(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  let first = true;
  let held = Buffer.alloc(0);
  /** Bytes since the last line break. */
  let lineBytes = 0;
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
    const data =
      held.length > 0 ? Buffer.concat([held, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const end = completeCharactersEnd(data);
    if (!isUtf8(data.subarray(0, end))) {
      throw new ImportRejected(
        "The file is not UTF-8 text. In Excel choose File → Save As → “CSV UTF-8”; in Google Sheets, File → Download → CSV; then upload again.",
      );
    }
    // PostgreSQL text cannot hold NUL: binary data after the first few kilobytes is refused here too.
    if (data.subarray(0, end).includes(0)) throw new ImportRejected(NOT_TEXT);
    held = Buffer.from(data.subarray(end));
    // Small pieces: the parser turns each into records at once, and records kept waiting outlive young-generation collections.
    for (let start = 0; start < end; start += PARSER_PIECE_BYTES) {
      const piece = data.subarray(start, Math.min(end, start + PARSER_PIECE_BYTES));
      lineBytes = checkLineLength(piece, lineBytes);
      yield piece;
    }
  }
  if (held.length > 0) {
    throw new ImportRejected(
      "The file ends in the middle of a character: it is not valid UTF-8 text. Export it again as CSV UTF-8.",
    );
  }
}

const ROW_TOO_LONG = `A row of the file is longer than ${formatBytes(MAX_ROW_BYTES)}: it is probably not a contact list, or a column holds whole documents. Remove the long values or columns, save as CSV and upload again. Nothing was imported.`;

/** Bytes since the last line break after `piece` (pieces are far shorter than a row may be); refuses a longer line. */
function checkLineLength(piece: Buffer, before: number): number {
  const first = piece.indexOf(10);
  if ((first < 0 ? before + piece.length : before + first) > MAX_ROW_BYTES) throw new ImportRejected(ROW_TOO_LONG);
  return first < 0 ? before + piece.length : piece.length - 1 - piece.lastIndexOf(10);
}

/** Where the last whole UTF-8 character of `data` ends: before a lead byte whose continuation bytes have not all arrived. */
function completeCharactersEnd(data: Uint8Array): number {
  for (let i = data.length - 1; i >= Math.max(0, data.length - 4); i--) {
    const byte = data[i]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + length > data.length ? i : data.length;
  }
  // Four continuation bytes in a row: not UTF-8, as isUtf8 will say.
  return data.length;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

const NOT_TEXT = "This file is not text (it contains binary data). Upload the contact list as a .csv file.";

function rejectBinary(start: Uint8Array): void {
  const head = Buffer.from(start.subarray(0, 8));
  if (head.subarray(0, 2).toString("latin1") === "PK") {
    throw new ImportRejected(
      "This is an Excel or zip file, not a CSV. In Excel choose File → Save As → “CSV UTF-8” and upload that file.",
    );
  }
  if (head.subarray(0, 4).toString("latin1") === "%PDF")
    throw new ImportRejected("This is a PDF, not a CSV. Upload the contact list as a .csv file.");
  if (start.subarray(0, 4096).includes(0)) throw new ImportRejected(NOT_TEXT);
}

/** csv-parse's quoting errors, as an organizer can act on them. */
export function explainParseError(error: unknown): Error {
  if (error instanceof ImportRejected) return error;
  if (error instanceof CsvError && error.code === "CSV_MAX_RECORD_SIZE") return new ImportRejected(ROW_TOO_LONG);
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
