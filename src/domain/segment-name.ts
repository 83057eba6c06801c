/**
 * Segment names: what organizers type after `/segment show`, so they are short, readable and
 * free of characters Slack formatting would eat (backticks, asterisks, angle brackets).
 * Names are unique ignoring letter case: "Volunteers NY" and "volunteers ny" are one segment.
 */

export const MAX_SEGMENT_NAME = 60;

const ALLOWED = /^[\p{L}\p{N}][\p{L}\p{N} \-_.,'&()#/+:!?]*$/u;

/** The name as stored: trimmed, inner runs of spaces collapsed. */
export function normalizeSegmentName(raw: string): string {
  return raw.trim().replace(/\s+/g, " ");
}

/** What is wrong with a (normalized) name, in words for an organizer; null when it is fine. */
export function segmentNameProblem(name: string): string | null {
  if (name === "") return "Give the segment a name, like “Volunteers NY”.";
  if (name.length > MAX_SEGMENT_NAME) return `Keep the name to ${MAX_SEGMENT_NAME} characters or fewer (this one has ${name.length}).`;
  if (!ALLOWED.test(name)) {
    return "Start the name with a letter or number, and use only letters, numbers, spaces and - _ . , ' & ( ) # / + : ! ?";
  }
  return null;
}

/** The key two names clash on. */
export const segmentNameKey = (name: string): string => normalizeSegmentName(name).toLowerCase();
