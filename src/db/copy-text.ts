/**
 * PostgreSQL's COPY text format: one row per line, fields separated by tabs, `\N` for NULL, and
 * backslash escapes for backslash, tab, newline and carriage return inside a value
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format").
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
const UNESCAPES: Readonly<Record<string, string>> = { "\\": "\\", t: "\t", n: "\n", r: "\r" };

/** One value in COPY text format. Most values need no escaping, so that case allocates nothing. */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, (ch) => ESCAPES[ch]!) : value;
}

/** One row in COPY text format, newline included. */
export function copyLine(values: readonly (string | null)[]): string {
  let line = copyField(values[0] ?? null);
  for (let i = 1; i < values.length; i++) line += `\t${copyField(values[i] ?? null)}`;
  return `${line}\n`;
}

/** The values of one line written by copyLine (with or without its newline). */
export function parseCopyLine(line: string): (string | null)[] {
  const body = line.endsWith("\n") ? line.slice(0, -1) : line;
  return body.split("\t").map((field) => {
    if (field === "\\N") return null;
    return field.includes("\\") ? field.replace(/\\(.)/g, (_, ch: string) => UNESCAPES[ch] ?? ch) : field;
  });
}
