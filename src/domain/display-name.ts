/**
 * Names organizers give segments and campaigns and type after `/segment show` or `/campaign show`:
 * short, readable and free of characters Slack formatting would eat (backticks, asterisks, angle
 * brackets). Names are unique ignoring letter case: "Volunteers NY" and "volunteers ny" clash.
 */

export const MAX_NAME_LENGTH = 60;

const ALLOWED = /^[\p{L}\p{N}][\p{L}\p{N} \-_.,'&()#/+:!?]*$/u;

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
