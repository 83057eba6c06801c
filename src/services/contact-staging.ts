import { copyField, parseCopyLine } from "../db/copy-text";
import { newId } from "../db/ids";
import { splitTags, type ColumnMapping } from "../domain/contact-columns";
import { normalizePhone } from "../domain/phone";
import { assignTimeZone, type TimeZoneSource } from "../domain/time-zone";

/**
 * Staging for the contact import: CSV rows become normalized contacts, repeated phones are folded,
 * and contacts are written straight into COPY text, a chunk of distinct phones at a time. The text
 * is kept as bytes, so a chunk waiting for the database costs the heap almost nothing.
 */

export interface InvalidRow {
  /** Row number as a spreadsheet shows it: the header is row 1 (blank rows are not counted). */
  line: number;
  reason: string;
  phone: string;
}

/** A contact as read from one row (or several rows of one phone, folded), normalized. */
export interface StagedContact {
  phone: string;
  firstName: string | null;
  lastName: string | null;
  zip: string | null;
  state: string | null;
  timeZone: string | null;
  timeZoneSource: TimeZoneSource;
  /** Lower-case, without ",", ";" or "|" (splitTags). */
  tags: string[];
  /** The custom columns with a value, as JSON object text. */
  custom: string;
}

/** The temporary table's columns, in the order of a staged line. */
export const STAGED_COLUMNS = [
  "id",
  "phone",
  "first_name",
  "last_name",
  "zip",
  "state",
  "time_zone",
  "tz_source",
  "tags",
  "custom",
  "seen_before",
] as const;

/** Characters of a bad phone cell kept for the skipped-rows report. */
const SHOWN_PHONE_CHARS = 40;

/**
 * Bytes a contact's tags may take as PostgreSQL stores them (tagsBytes): the audience index
 * (migration contact_audience_index) holds them, and one btree entry is at most 2,704 bytes. A row
 * over this is skipped and reported instead of failing the whole import.
 */
export const MAX_TAGS_BYTES = 2_000;

/** A text[]'s size: a 24-byte header, then each element's 4-byte length and bytes, padded to 4. */
export function tagsBytes(tags: readonly string[]): number {
  if (tags.length === 0) return 16;
  let bytes = 24;
  for (const tag of tags) bytes += (4 + Buffer.byteLength(tag) + 3) & ~3;
  return bytes;
}

/**
 * Contact's own columns in the order of a staged line without its seen-before flag, plus the two
 * timestamps: a contact no earlier chunk or import has is COPYed straight into Contact (ContactChunk).
 */
export const CONTACT_COPY_COLUMNS = [
  "id",
  "phone",
  "firstName",
  "lastName",
  "zip",
  "state",
  "timeZone",
  "timeZoneSource",
  "tags",
  "customFields",
  "createdAt",
  "updatedAt",
] as const;

/** Reads one CSV row into a contact, or says why the row cannot be imported. */
export class RowStager {
  private readonly customKeys: { index: number; key: string }[];

  constructor(
    private readonly mapping: ColumnMapping,
    private readonly region: string,
  ) {
    this.customKeys = mapping.custom.map(({ index, name }) => ({ index, key: JSON.stringify(name) }));
  }

  stage(record: string[], line: number): StagedContact | InvalidRow {
    const { standard } = this.mapping;
    const rawPhone = cell(record, standard.phone);
    if (!rawPhone) return { line, reason: "no phone number", phone: "" };
    const phone = normalizePhone(rawPhone, this.region as never);
    if (!phone) {
      // Shown in the skipped-rows report: a long cell is cut, so 50,000 bad rows stay small.
      const shown = rawPhone.length > SHOWN_PHONE_CHARS ? `${rawPhone.slice(0, SHOWN_PHONE_CHARS - 1)}…` : rawPhone;
      return { line, reason: `"${shown}" is not a valid phone number`, phone: shown };
    }
    const tagsCell = cell(record, standard.tags);
    const tags = splitTags(tagsCell);
    // 200 characters make at most 100 tags of at most 600 bytes in all: under the limit, not measured.
    if (tagsCell.length > 200 && tagsBytes(tags) > MAX_TAGS_BYTES) {
      const characters = tags.reduce((sum, tag) => sum + tag.length, 0).toLocaleString("en-US");
      return {
        line,
        reason: `tags too long for one contact (${tags.length} ${tags.length === 1 ? "tag" : "tags"}, ${characters} characters: keep them under about 1,500 in all)`,
        phone: rawPhone,
      };
    }
    const zip = normalizeZip(cell(record, standard.zip));
    const { timeZone, source } = assignTimeZone({ zip, phone });
    let custom = "";
    for (const { index, key } of this.customKeys) {
      const value = record[index];
      if (value) custom += `${custom ? "," : "{"}${key}:${JSON.stringify(value)}`;
    }
    return {
      phone,
      firstName: cell(record, standard.firstName) || null,
      lastName: cell(record, standard.lastName) || null,
      zip,
      state: cell(record, standard.state).toUpperCase() || null,
      timeZone,
      timeZoneSource: source,
      tags,
      custom: custom ? `${custom}}` : "{}",
    };
  }
}

function cell(record: string[], index: number | undefined): string {
  return index === undefined ? "" : (record[index] ?? "");
}

/** "02134-1234" → "02134"; Excel drops leading zeros ("2134" → "02134"). */
function normalizeZip(raw: string): string | null {
  const match = /^(\d{3,5})(?:-\d{4})?$/.exec(raw.trim());
  return match ? match[1]!.padStart(5, "0") : null;
}

/**
 * A later row of the same phone: its non-empty values win, tags add up, custom fields merge, and a
 * ZIP's time zone beats an area code's. The merge into the database applies the same rule, and the
 * rule is associative, so any split of a file into chunks gives the same contacts.
 */
export function foldContact(earlier: StagedContact, later: StagedContact): StagedContact {
  const laterZone = later.timeZone !== null && (later.timeZoneSource === "zip" || earlier.timeZoneSource !== "zip");
  return {
    phone: earlier.phone,
    firstName: later.firstName ?? earlier.firstName,
    lastName: later.lastName ?? earlier.lastName,
    zip: later.zip ?? earlier.zip,
    state: later.state ?? earlier.state,
    timeZone: laterZone ? later.timeZone : earlier.timeZone,
    timeZoneSource: laterZone ? later.timeZoneSource : earlier.timeZoneSource,
    tags: [...new Set([...earlier.tags, ...later.tags])],
    custom:
      later.custom === "{}"
        ? earlier.custom
        : JSON.stringify({ ...JSON.parse(earlier.custom), ...JSON.parse(later.custom) }),
  };
}

/**
 * Distinct phones bound for one merge, as bytes of Contact's COPY text (CONTACT_COPY_COLUMNS, newline
 * included, UTF-8): a chunk waiting for the database holds one buffer, not a string a contact for
 * the collector to trace and promote, and its new contacts go to the COPY as slices of that buffer.
 */
export interface ContactChunk {
  /** The lines' bytes; line i is text[starts[i], ends[i]). A folded line is written again at the end. */
  text: Buffer;
  starts: number[];
  ends: number[];
  /** Each line's phone, as E.164 digits (PhoneSlots keys: a number is no object for the collector). */
  phoneKeys: number[];
  /** Whether each line's phone came in an earlier chunk (the `seen_before` of its staged line). */
  seenBefore: boolean[];
  /** The lines whose phone no earlier chunk had (no `seen_before`), by index. */
  firstSeenAt: number[];
  /** Lines whose phone no earlier chunk had: each is a new contact or one already in the database. */
  firstSeen: number;
  /** Bytes at the end of each line that are Contact's two timestamps (and the newline). */
  suffixBytes: number;
}

/** The E.164 phone of a chunk's line. */
export function chunkPhone(chunk: ContactChunk, index: number): string {
  return `+${chunk.phoneKeys[index]!}`;
}

/** A chunk's line as a staged line (STAGED_COLUMNS order, without its newline). */
export function chunkStagedLine(chunk: ContactChunk, index: number): string {
  const fields = chunk.text.toString("utf8", chunk.starts[index], chunk.ends[index]! - chunk.suffixBytes);
  return `${fields}\t${chunk.seenBefore[index] ? "t" : "f"}`;
}

/** Bytes a chunk's buffer starts with: a typical chunk (10,000 contacts) fits, so it is rarely grown. */
const CHUNK_START_BYTES = 2 * 1024 * 1024;

/**
 * Cuts the file's contacts into chunks of distinct phones. A phone repeated inside a chunk is
 * folded into its line; one repeated from an earlier chunk is marked `seen_before`, so the merge
 * knows it updates this file's own contact. `now` is both timestamps of Contact's COPY lines.
 */
export class ContactChunker {
  /** Phone → slot of the phone's latest line. */
  private readonly slotOf = new PhoneSlots();
  /** The current chunk; its buffer is taken when its first line arrives. */
  private chunk: ContactChunk;
  /** Slot of the current chunk's first line; slots count lines over the whole file. */
  private chunkStart = 0;
  /** Bytes of the current chunk's buffer in use. */
  private used = 0;
  /** Buffers of merged chunks, handed back by recycle(). */
  private readonly spare: Buffer[] = [];
  /** `\t<now>\t<now>\n`: what ends each line. */
  private readonly suffix: string;
  private readonly suffixBytes: number;

  constructor(now: string) {
    this.suffix = `${now}\t${now}\n`;
    this.suffixBytes = Buffer.byteLength(this.suffix) + 1;
    this.chunk = this.emptyChunk();
  }

  get size(): number {
    return this.chunk.starts.length;
  }

  /** Bytes the current chunk holds, folded lines' earlier versions included: a chunk is cut by these as well. */
  get bytes(): number {
    return this.used;
  }

  /** Adds a contact; true when its phone came earlier in the file (a duplicate row). */
  add(contact: StagedContact): boolean {
    const key = Number(contact.phone.slice(1));
    const slot = this.slotOf.get(key);
    const { chunk } = this;
    if (slot !== undefined && slot >= this.chunkStart) {
      const index = slot - this.chunkStart;
      const { contact: earlier, id } = parseStagedLine(chunkStagedLine(chunk, index));
      this.writeLine(index, foldContact(earlier, contact), id);
      return true;
    }
    const index = chunk.starts.length;
    this.slotOf.set(key, this.chunkStart + index);
    if (slot === undefined) {
      chunk.firstSeenAt.push(index);
      chunk.firstSeen++;
    }
    chunk.phoneKeys.push(key);
    chunk.seenBefore.push(slot !== undefined);
    this.writeLine(index, contact, newId());
    return slot !== undefined;
  }

  /** Hands over the current chunk and starts the next one. */
  take(): ContactChunk {
    const taken = this.chunk;
    taken.text = taken.text.subarray(0, this.used);
    this.chunkStart += taken.starts.length;
    this.chunk = this.emptyChunk();
    this.used = 0;
    return taken;
  }

  /** Takes back the buffer of a chunk the database has read in full, for a later chunk. */
  recycle(chunk: ContactChunk): void {
    if (chunk.text.buffer.byteLength > 0) this.spare.push(Buffer.from(chunk.text.buffer));
    chunk.text = EMPTY;
  }

  private emptyChunk(): ContactChunk {
    return {
      text: EMPTY,
      starts: [],
      ends: [],
      phoneKeys: [],
      seenBefore: [],
      firstSeenAt: [],
      firstSeen: 0,
      suffixBytes: this.suffixBytes,
    };
  }

  /** Writes line `index` at the end of the buffer (growing it if need be). */
  private writeLine(index: number, contact: StagedContact, id: string): void {
    const line = contactLine(contact, id, this.suffix);
    const { chunk } = this;
    // UTF-8 takes at most three bytes for each UTF-16 unit.
    if (chunk.text.length - this.used < line.length * 3) this.grow(line.length * 3);
    const written = chunk.text.write(line, this.used);
    chunk.starts[index] = this.used;
    this.used += written;
    chunk.ends[index] = this.used;
  }

  private grow(needed: number): void {
    const { chunk } = this;
    const size = Math.max(CHUNK_START_BYTES, 2 * chunk.text.length, this.used + needed);
    let next = this.spare.pop();
    if (!next || next.length < size) next = Buffer.allocUnsafeSlow(size);
    chunk.text.copy(next, 0, 0, this.used);
    // A grown chunk's old buffer can hold a later chunk.
    if (chunk.text.length > 0) this.spare.push(chunk.text);
    chunk.text = next;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * One contact as a COPY line, without its newline. Joined from an array, the line is one flat
 * string; a template literal would be a rope of twenty pieces for the garbage collector to trace.
 */
export function stagedLine(c: StagedContact, id: string, seenBefore: boolean): string {
  return contactLine(c, id, seenBefore ? "t" : "f");
}

/** A contact's fields up to its custom fields, then `last` (the staged line's flag, or Contact's timestamps). */
function contactLine(c: StagedContact, id: string, last: string): string {
  return [
    id,
    c.phone,
    copyField(c.firstName),
    copyField(c.lastName),
    c.zip ?? "\\N",
    copyField(c.state),
    c.timeZone ?? "\\N",
    c.timeZoneSource,
    copyField(arrayLiteral(c.tags)),
    copyField(c.custom),
    last,
  ].join("\t");
}

/** The contact, id and seen-before flag of a line written by stagedLine. */
export function parseStagedLine(line: string): { contact: StagedContact; id: string; seenBefore: boolean } {
  const [id, phone, firstName, lastName, zip, state, timeZone, timeZoneSource, tags, custom, seenBefore] =
    parseCopyLine(line);
  return {
    id: id!,
    seenBefore: seenBefore === "t",
    contact: {
      phone: phone!,
      firstName: firstName ?? null,
      lastName: lastName ?? null,
      zip: zip ?? null,
      state: state ?? null,
      timeZone: timeZone ?? null,
      timeZoneSource: timeZoneSource as TimeZoneSource,
      tags: parseArrayLiteral(tags!),
      custom: custom!,
    },
  };
}

/** A PostgreSQL text[] literal: every element quoted, so no tag needs a rule of its own. */
function arrayLiteral(values: readonly string[]): string {
  let text = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    text += `${i === 0 ? "" : ","}"${/["\\]/.test(value) ? value.replace(/["\\]/g, "\\$&") : value}"`;
  }
  return `${text}}`;
}

/** The elements of a literal written by arrayLiteral. */
function parseArrayLiteral(text: string): string[] {
  const values: string[] = [];
  for (const match of text.matchAll(/"((?:[^"\\]|\\.)*)"/g)) values.push(match[1]!.replace(/\\(.)/gs, "$1"));
  return values;
}

/**
 * Phone → slot, for every distinct phone of a file (a million or more): an open-addressing table
 * over typed arrays. A Map would hold a boxed number per key for the garbage collector to trace on
 * every collection, and takes three times as long to fill.
 */
export class PhoneSlots {
  /** E.164 digits as a number (at most 15 digits: exact in a double); 0 marks an empty place. */
  private keys = new Float64Array(1 << 16);
  private slots = new Int32Array(1 << 16);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: number): number | undefined {
    const place = this.placeOf(key);
    return this.keys[place] === key ? this.slots[place] : undefined;
  }

  set(key: number, slot: number): void {
    if (!(key > 0 && Number.isSafeInteger(key))) throw new RangeError(`not a phone number key: ${key}`);
    let place = this.placeOf(key);
    if (this.keys[place] !== key) {
      if (++this.count * 2 > this.keys.length) {
        this.grow();
        place = this.placeOf(key);
      }
      this.keys[place] = key;
    }
    this.slots[place] = slot;
  }

  /** The key's place, or the empty place where it would go (linear probing). */
  private placeOf(key: number): number {
    const mask = this.keys.length - 1;
    let place =
      (Math.imul((key % 0x100000000) | 0, 0x9e3779b1) ^ Math.imul((key / 0x100000000) | 0, 0x85ebca6b)) & mask;
    while (this.keys[place] !== 0 && this.keys[place] !== key) place = (place + 1) & mask;
    return place;
  }

  private grow(): void {
    const { keys, slots } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.slots = new Int32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== 0) {
        const place = this.placeOf(keys[i]!);
        this.keys[place] = keys[i]!;
        this.slots[place] = slots[i]!;
      }
    }
  }
}
