/**
 * Text the database can store. PostgreSQL's text and jsonb refuse U+0000, and a carrier can deliver
 * one (a broken phone, or a hostile sender). It is stored as U+2400 SYMBOL FOR NULL ("␀"), which
 * shows a reader where it was; whoever replaces one keeps the exact original beside it.
 */

export const NUL_STAND_IN = "\u2400";

/** `text` with every U+0000 shown as "␀". */
export function storableText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", NUL_STAND_IN) : text;
}

/** Every string in a JSON value, object keys included, made storable; `replaced` when any changed. */
export function storableValue<T>(value: T): { value: T; replaced: boolean } {
  let replaced = false;
  const visit = (v: unknown): unknown => {
    if (typeof v === "string") {
      const stored = storableText(v);
      if (stored !== v) replaced = true;
      return stored;
    }
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([key, inner]) => [visit(key), visit(inner)]));
    return v;
  };
  const stored = visit(value) as T;
  return replaced ? { value: stored, replaced } : { value, replaced };
}
