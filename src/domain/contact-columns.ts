/**
 * Which CSV column holds what. Organizers export from VAN, NationBuilder, Excel or Google Sheets,
 * each with its own header names, so common aliases are accepted; any other column becomes a
 * custom field usable in scripts and segments.
 */
export type StandardField = "firstName" | "lastName" | "phone" | "zip" | "state" | "tags";

const ALIASES: Record<StandardField, readonly string[]> = {
  firstName: ["first name", "firstname", "first", "given name", "givenname", "fname", "forename"],
  lastName: ["last name", "lastname", "last", "surname", "family name", "lname"],
  phone: [
    "phone",
    "phone number",
    "phonenumber",
    "cell",
    "cell phone",
    "cellphone",
    "mobile",
    "mobile phone",
    "mobile number",
    "cell number",
    "telephone",
    "tel",
    "number",
    "wireless",
    "sms",
    "phone1",
    "primary phone",
  ],
  zip: ["zip", "zipcode", "zip code", "postal code", "postalcode", "postcode", "zip5", "postal"],
  state: ["state", "st", "state code", "province", "region"],
  tags: ["tags", "tag", "labels", "groups"],
};

/** "First_Name", "first-name", " FIRST NAME " → "first name". */
export function normalizeHeader(header: string): string {
  return header
    .replace(/^\uFEFF/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/[_\-.]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

const LOOKUP = new Map<string, StandardField>(
  (Object.entries(ALIASES) as [StandardField, readonly string[]][]).flatMap(([field, names]) =>
    names.map((name) => [name, field] as const),
  ),
);

export interface ColumnMapping {
  /** Column index → standard field; the first column that matches a field wins. */
  standard: Partial<Record<StandardField, number>>;
  /** Column index → custom field name, as the organizer wrote it (trimmed). */
  custom: { index: number; name: string }[];
}

/**
 * Named columns a file may have. Every custom column's name is stored again in each contact that
 * has a value for it, so a wide header multiplies memory and storage by the number of rows; a
 * contact list needs a few dozen columns, and 200 leaves room for a full CRM export.
 */
export const MAX_COLUMNS = 200;
/**
 * Characters in a column name. The name becomes a merge field ({Polling Place}) and a choice in
 * segment menus, where Slack takes at most 150 characters; a real column name is a few words.
 */
export const MAX_HEADER_CHARS = 100;
/** Column names quoted back in a message about the header. */
const HEADERS_QUOTED = 20;

export type HeaderResult = { ok: true; mapping: ColumnMapping } | { ok: false; message: string };

/** Maps a header row; without a phone column nothing can be imported, so that is the one hard error. */
export function mapHeaders(headers: readonly string[]): HeaderResult {
  const tooWide = checkHeaderSize(headers);
  if (tooWide) return { ok: false, message: tooWide };
  const standard: Partial<Record<StandardField, number>> = {};
  const custom: { index: number; name: string }[] = [];
  const seenCustom = new Set<string>();
  headers.forEach((raw, index) => {
    const name = raw.replace(/^\uFEFF/, "").trim();
    if (!name) return;
    const field = LOOKUP.get(normalizeHeader(name));
    if (field && standard[field] === undefined) {
      standard[field] = index;
    } else if (!field && !seenCustom.has(name.toLowerCase())) {
      seenCustom.add(name.toLowerCase());
      custom.push({ index, name });
    }
  });
  if (standard.phone === undefined) {
    const seen = headers.map((h) => h.trim()).filter(Boolean);
    const quoted = seen.slice(0, HEADERS_QUOTED).map((h) => `"${h}"`);
    if (seen.length > HEADERS_QUOTED) quoted.push(`and ${seen.length - HEADERS_QUOTED} more`);
    return {
      ok: false,
      message:
        `No phone column found. The file's columns are: ${seen.length ? quoted.join(", ") : "(none)"}. ` +
        `Name the column with the cell numbers "phone" (also accepted: cell, mobile, phone number) and upload again.`,
    };
  }
  return { ok: true, mapping: { standard, custom } };
}

/** Why a header row is too wide to import (too many named columns, or too long a name), or null. */
function checkHeaderSize(headers: readonly string[]): string | null {
  const named = headers.filter((h) => h.trim() !== "").length;
  if (named > MAX_COLUMNS) {
    return (
      `The file has ${named.toLocaleString("en-US")} columns; an import takes at most ${MAX_COLUMNS}. ` +
      `Delete the columns you will not text or segment by, save as CSV and upload again. Nothing was imported.`
    );
  }
  const index = headers.findIndex((h) => h.trim().length > MAX_HEADER_CHARS);
  if (index < 0) return null;
  const name = headers[index]!.trim();
  return (
    `Column ${index + 1} has a name of ${name.length.toLocaleString("en-US")} characters ("${name.slice(0, 40)}…"); ` +
    `a column name can have at most ${MAX_HEADER_CHARS}. Check that the first row is the header row, shorten the name, and upload again. Nothing was imported.`
  );
}

/** Tags in one cell: "volunteer; donor", "volunteer|donor" or "volunteer, donor". */
export function splitTags(cell: string | undefined): string[] {
  if (!cell) return [];
  return [
    ...new Set(
      cell
        .split(/[;|,]/)
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}
