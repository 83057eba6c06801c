import { usableValue } from "./merge-values";

/*
 * Campaign scripts: text with merge fields, rendered per contact and linted before launch.
 *
 * Syntax
 * - A field is written in single braces: `{firstName}`, with an optional fallback after a bar:
 *   `{firstName|friend}`. Single braces because volunteers type scripts by hand in a Slack modal,
 *   and Slack leaves braces alone (it escapes `<`, `>`, `&` and reads `*`, `_`, `~` as formatting).
 * - Field names start with a letter and may hold letters, digits, spaces, `.`, `_` and `-`. They
 *   are matched loosely, ignoring case, spaces, `.`, `_` and `-` (as import headers are), so the
 *   CSV column "Polling Place" can be written `{Polling Place}`, `{pollingPlace}` or `{polling_place}`.
 * - A field ends at the first `}`; its fallback is everything after the first `|`, trimmed.
 * - `{{` and `}}` write a literal `{` and `}`. A lone `}` is an error, so typos never reach voters.
 *   `{{firstName}}` (the Mustache habit) therefore means literal braces; `lintScript` blocks it.
 * - Offsets are UTF-16 indexes into the script as written, as JavaScript strings count.
 */

export type ScriptPart =
  | { kind: "text"; text: string; offset: number }
  /** `offset`/`length` span the markup as written, braces included. */
  | { kind: "field"; name: string; key: string; fallback: string | null; offset: number; length: number };

export type FieldPart = Extract<ScriptPart, { kind: "field" }>;

export type ScriptErrorCode =
  "unclosed-field" | "stray-close-brace" | "empty-field" | "invalid-field-name" | "empty-fallback";

export interface ScriptError {
  code: ScriptErrorCode;
  message: string;
  offset: number;
  length: number;
}

export interface ParsedScript {
  parts: ScriptPart[];
  errors: ScriptError[];
}

export const FIELD_NAME = /^\p{L}[\p{L}\p{N} ._-]*$/u;

/** The key a field name is matched by: "Polling Place", "pollingPlace" and "polling_place" agree. */
export function mergeFieldKey(name: string): string {
  return name
    .normalize("NFC")
    .toLowerCase()
    .replace(/[\s._-]+/g, "");
}

/** Index of the `}` closing a field opened just before `from`, or where the field breaks off. */
function findFieldEnd(text: string, from: number): { closed: boolean; at: number } {
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (char === "}") return { closed: true, at: i };
    if (char === "{" || char === "\n") return { closed: false, at: i };
  }
  return { closed: false, at: text.length };
}

function readField(inner: string, offset: number, length: number): FieldPart | ScriptError {
  const written = `{${inner}}`;
  const bar = inner.indexOf("|");
  const name = (bar < 0 ? inner : inner.slice(0, bar)).trim();
  const fallback = bar < 0 ? null : inner.slice(bar + 1).trim();
  if (!name) {
    return {
      code: "empty-field",
      message: `${written} has no field name. Write one, e.g. {firstName}.`,
      offset,
      length,
    };
  }
  if (!FIELD_NAME.test(name)) {
    return {
      code: "invalid-field-name",
      message: `${written} is not a field name: start with a letter, then letters, digits or spaces.`,
      offset,
      length,
    };
  }
  if (fallback === "") {
    return {
      code: "empty-fallback",
      message: `${written} has an empty fallback. Write the word to use when a contact has none, e.g. {firstName|friend}.`,
      offset,
      length,
    };
  }
  return { kind: "field", name, key: mergeFieldKey(name), fallback, offset, length };
}

/** Splits a script into literal text and merge fields, with every syntax error it finds. */
export function parseScript(text: string): ParsedScript {
  const parts: ScriptPart[] = [];
  const errors: ScriptError[] = [];
  let literal = "";
  let literalStart = 0;
  const addLiteral = (chars: string, at: number): void => {
    if (!literal) literalStart = at;
    literal += chars;
  };
  const flushLiteral = (): void => {
    if (literal) parts.push({ kind: "text", text: literal, offset: literalStart });
    literal = "";
  };

  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    const next = text.charAt(i + 1);
    if ((char === "{" || char === "}") && next === char) {
      addLiteral(char, i);
      i += 2;
    } else if (char === "}") {
      errors.push({
        code: "stray-close-brace",
        message: "There is a } with no { before it. Fields look like {firstName}; write }} for a brace.",
        offset: i,
        length: 1,
      });
      i += 1;
    } else if (char === "{") {
      const end = findFieldEnd(text, i + 1);
      if (!end.closed) {
        const written = text.slice(i, end.at);
        errors.push({
          code: "unclosed-field",
          message: `"${written.trim()}" is missing its closing }. Write {firstName}, or {{ for a brace.`,
          offset: i,
          length: end.at - i,
        });
        i += 1;
        continue;
      }
      const field = readField(text.slice(i + 1, end.at), i, end.at + 1 - i);
      if ("code" in field) {
        errors.push(field);
      } else {
        flushLiteral();
        parts.push(field);
      }
      i = end.at + 1;
    } else {
      addLiteral(char, i);
      i += 1;
    }
  }
  flushLiteral();
  return { parts, errors };
}

/** Writes `text` so that a script renders it literally: every brace doubled. */
export function escapeScriptText(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}

export interface RenderedScript {
  /** The text to send; empty whenever `missing` is non-empty, so it cannot be sent by mistake. */
  text: string;
  /** Fields (as written in the script) this contact has no value for and that have no fallback. */
  missing: string[];
  /** Syntax errors; a script with any renders nothing and lists its broken markup in `missing`. */
  errors: ScriptError[];
}

/**
 * Renders a script for one contact. Field names in `values` are matched like the script's
 * (see `mergeFieldKey`). A blank value, or "null"/"undefined"/"NaN", counts as absent: the field's
 * fallback is used, or the field is reported in `missing`. Values are inserted trimmed and as they
 * are, never read as fields.
 *
 * Contract: send `text` only when `missing` is empty; otherwise hold the contact back. The output
 * never contains "undefined", "null" or an unrendered `{field}` that the script did not escape.
 */
export function renderScript(text: string, values: Record<string, string | null | undefined>): RenderedScript {
  const { parts, errors } = parseScript(text);
  if (errors.length > 0) {
    const broken = errors.map((error) => text.slice(error.offset, error.offset + error.length).trim() || "{");
    return { text: "", missing: [...new Set(broken)], errors };
  }

  const byKey = new Map<string, string>();
  for (const [name, value] of Object.entries(values)) {
    const usable = usableValue(value);
    const key = mergeFieldKey(name);
    if (usable !== null && !byKey.has(key)) byKey.set(key, usable);
  }

  const missing = new Map<string, string>();
  const output = parts.map((part) => {
    if (part.kind === "text") return part.text;
    const value = byKey.get(part.key) ?? part.fallback;
    if (value === null && !missing.has(part.key)) missing.set(part.key, part.name);
    return value ?? "";
  });
  return missing.size > 0
    ? { text: "", missing: [...missing.values()], errors: [] }
    : { text: output.join(""), missing: [], errors: [] };
}

/**
 * Fields every contact can have, named as scripts write them. Phone is left out on purpose: a
 * voter's own number has no place in a text to them. `lastTag` and `lastReplyDate` come from the
 * contact's latest conversation, for follow-ups.
 */
export const STANDARD_FIELDS = ["firstName", "lastName", "zip", "state", "lastTag", "lastReplyDate"] as const;

export type StandardMergeField = (typeof STANDARD_FIELDS)[number];

/** Every field a script may use: the standard ones plus the audience's custom import columns. */
export function mergeFieldsFor(customColumns: readonly string[]): string[] {
  const fields: string[] = [...STANDARD_FIELDS];
  const keys = new Set(fields.map(mergeFieldKey));
  for (const column of customColumns) {
    const key = mergeFieldKey(column);
    if (!keys.has(key) && FIELD_NAME.test(column.trim())) {
      keys.add(key);
      fields.push(column.trim());
    }
  }
  return fields;
}

export interface MergeContact {
  firstName?: string | null;
  lastName?: string | null;
  zip?: string | null;
  state?: string | null;
  customFields?: Record<string, unknown>;
  lastTag?: string | null;
  lastReplyAt?: Date | null;
}

/** "Nov 3": short enough for a text; without a year, since no script needs one. */
function formatReplyDate(date: Date, timeZone: string | undefined): string {
  const format = (zone: string): string =>
    new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: zone }).format(date);
  try {
    return format(timeZone ?? "UTC");
  } catch {
    return format("UTC"); // an unknown zone name: better a day off than no follow-up
  }
}

function customValue(value: unknown): string | null {
  if (typeof value === "string") return usableValue(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

/**
 * The merge values of one contact. Dates are shown in `timeZone` (the contact's own, ideally;
 * UTC when not given). Custom columns never override a standard field of the same key.
 */
export function contactMergeValues(
  contact: MergeContact,
  opts: { timeZone?: string } = {},
): Record<string, string | null> {
  const values: Record<string, string | null> = {
    firstName: usableValue(contact.firstName),
    lastName: usableValue(contact.lastName),
    zip: usableValue(contact.zip),
    state: usableValue(contact.state),
    lastTag: usableValue(contact.lastTag),
    lastReplyDate: contact.lastReplyAt ? formatReplyDate(contact.lastReplyAt, opts.timeZone) : null,
  };
  const standardKeys = new Set(STANDARD_FIELDS.map(mergeFieldKey));
  for (const [column, value] of Object.entries(contact.customFields ?? {})) {
    if (!standardKeys.has(mergeFieldKey(column))) values[column] = customValue(value);
  }
  return values;
}
