/*
 * Links to pictures or videos someone types into a form, one per line: Twilio fetches media from
 * public https links only, and carries at most 10 per text. (The campaign form's parseMedia in
 * campaign-form.ts says the same; it should read this module once that form's work settles.)
 */

/** Twilio's limit of media per message. */
export const MAX_MEDIA_PER_TEXT = 10;

/** The links in `raw` (split on spaces, commas and lines), or the first problem, worded for the person typing. */
export function parseMediaLinks(raw: string, attached = 0): { urls: string[]; problem: string | null } {
  const urls = raw.split(/[\s,]+/).filter((u) => u !== "");
  const bad = urls.find((url) => !isHttps(url));
  if (bad)
    return {
      urls,
      problem: `“${bad.slice(0, 80)}” is not an https link. Twilio fetches media from public https links, one per line.`,
    };
  if (urls.length + attached > MAX_MEDIA_PER_TEXT)
    return {
      urls,
      problem: `A text carries at most ${MAX_MEDIA_PER_TEXT} pictures or videos; this has ${urls.length + attached}. Remove some.`,
    };
  return { urls, problem: null };
}

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === "https:";
  } catch {
    return false;
  }
}
