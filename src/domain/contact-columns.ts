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

export type HeaderResult = { ok: true; mapping: ColumnMapping } | { ok: false; message: string };

/** Maps a header row; without a phone column nothing can be imported, so that is the one hard error. */
export function mapHeaders(headers: readonly string[]): HeaderResult {
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
    return {
      ok: false,
      message:
        `No phone column found. The file's columns are: ${seen.length ? seen.map((h) => `"${h}"`).join(", ") : "(none)"}. ` +
        `Name the column with the cell numbers "phone" (also accepted: cell, mobile, phone number) and upload again.`,
    };
  }
  return { ok: true, mapping: { standard, custom } };
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
