/**
 * Names organizers give segments and campaigns and type after `/segment show` or `/campaign show`:
 * short, readable and free of characters Slack formatting would eat (backticks, asterisks, angle
 * brackets). Names are unique ignoring letter case: "Volunteers NY" and "volunteers ny" clash.
 */

export const MAX_NAME_LENGTH = 60;

const ALLOWED = /^[\p{L}\p{N}][\p{L}\p{N} \-_.,'&()#/+:!?]*$/u;
const REFUSED = /[^\p{L}\p{N} \-_.,'&()#/+:!?]+/gu;

/** The name as stored: trimmed, inner runs of spaces collapsed. */
export function normalizeName(raw: string): string {
  return raw.trim().replace(/\s+/g, " ");
}

/** What is wrong with a (normalized) name, in words for an organizer; null when it is fine. */
export function nameProblem(name: string, what: { noun: string; example: string }): string | null {
  if (name === "") return `Give the ${what.noun} a name, like “${what.example}”.`;
  if (name.length > MAX_NAME_LENGTH)
    return `Keep the name to ${MAX_NAME_LENGTH} characters or fewer (this one has ${name.length}).`;
  if (!ALLOWED.test(name)) {
    return "Start the name with a letter or number, and use only letters, numbers, spaces and - _ . , ' & ( ) # / + : ! ?";
  }
  return null;
}

/** The key two names clash on. */
export const nameKey = (name: string): string => normalizeName(name).toLowerCase();

/** Free text (a tag, say) as a part of a name: what names refuse becomes a space. */
export function nameSafe(text: string): string {
  return normalizeName(text.replace(REFUSED, " "));
}

/** How much of the head a numbered name keeps at least, however long its tail. */
const MIN_HEAD = 20;

/**
 * `count` names for something made from another, in order of preference: "GOTV follow-up",
 * "GOTV follow-up (2)", … Each fits MAX_NAME_LENGTH, the head cut first so that the tail, which
 * says what the thing is, stays whole.
 */
export function numberedNames(head: string, tail: string, count: number): string[] {
  const cut = (text: string, length: number) =>
    text
      .slice(0, Math.max(length, 0))
      .replace(/[\uD800-\uDBFF]$/, "")
      .trimEnd();
  const fullHead = normalizeName(head);
  return Array.from({ length: count }, (_, k) => {
    const number = k === 0 ? "" : ` (${k + 1})`;
    const room = MAX_NAME_LENGTH - number.length;
    const kept = cut(fullHead, Math.max(Math.min(fullHead.length, MIN_HEAD), room - tail.length));
    return `${kept}${cut(tail, room - kept.length)}${number}`;
  });
}
