/*
 * Which values a script may merge. A blank value, or a placeholder that an import or a bad join
 * can leave behind ("undefined", "null", "NaN"), counts as missing, so it never reaches a voter
 * (a Spoke lesson). Decided here, in two forms a test keeps equal
 * (test/integration/domain/rules-sql.test.ts): `usableValue` for rendering, and `usableValueSql`
 * for counting at launch how many contacts have a field.
 */

/** Characters JavaScript's String.prototype.trim removes, listed so the SQL twin trims the same ones. */
const BLANKS =
  "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";

/** Values that mean "no value" (compared ignoring case). */
export const PLACEHOLDER_VALUES = ["undefined", "null", "nan"] as const;

const EDGE_BLANKS = new RegExp(`^[${BLANKS}]+|[${BLANKS}]+$`, "g");
const PLACEHOLDERS: ReadonlySet<string> = new Set(PLACEHOLDER_VALUES);

/** The value trimmed, or null when it is blank or a placeholder. */
export function usableValue(value: string | null | undefined): string | null {
  const trimmed = value?.replace(EDGE_BLANKS, "");
  return trimmed && !PLACEHOLDERS.has(trimmed.toLowerCase()) ? trimmed : null;
}

/** SQL twin of usableValue: true when the text expression holds a value a script may merge. */
export function usableValueSql(expression: string): string {
  const trimmed = `btrim(${expression}, '${BLANKS}')`;
  const placeholders = PLACEHOLDER_VALUES.map((p) => `'${p}'`).join(", ");
  return `(nullif(${trimmed}, '') IS NOT NULL AND lower(${trimmed}) NOT IN (${placeholders}))`;
}
