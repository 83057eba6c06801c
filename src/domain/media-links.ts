/*
 * Media someone puts in a form (campaign, canned reply): links typed one per line, and files
 * attached beside them. Twilio fetches media from public https links only, and carries at most
 * 10 per text.
 */

/** Twilio's limit of media per message. */
export const MAX_MEDIA_PER_TEXT = 10;

/** The links in `raw` (split on spaces, commas and lines), or the first that is not https, worded for the person typing. */
export function splitMediaLinks(raw: string): { urls: string[]; problem: string | null } {
  const urls = raw.split(/[\s,]+/).filter((u) => u !== "");
  const bad = urls.find((url) => !isHttps(url));
  if (bad)
    return {
      urls,
      problem: `“${bad.slice(0, 80)}” is not an https link. Twilio fetches media from public https links, one per line.`,
    };
  return { urls, problem: null };
}

/** Why `total` media items (links and files together) do not fit one text, or null when they do. */
export function mediaCountProblem(total: number): string | null {
  if (total <= MAX_MEDIA_PER_TEXT) return null;
  return `A text carries at most ${MAX_MEDIA_PER_TEXT} pictures or videos; links and files together make ${total}. Remove ${total - MAX_MEDIA_PER_TEXT}.`;
}

/** The links in `raw` and the first problem with them, counting `attached` files against the limit of a text. */
export function parseMediaLinks(raw: string, attached = 0): { urls: string[]; problem: string | null } {
  const links = splitMediaLinks(raw);
  return { urls: links.urls, problem: links.problem ?? mediaCountProblem(links.urls.length + attached) };
}

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === "https:";
  } catch {
    return false;
  }
}
