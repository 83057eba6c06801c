import { downloadMedia, type FetchFn } from "../media/fetch";

const TWILIO_API_HOST = "api.twilio.com";
/** Twilio caps an MMS at 5 MB; a little room for what it counts differently. */
const MAX_TWILIO_MEDIA_BYTES = 8 * 1024 * 1024;

/**
 * Downloads an inbound message's media (`MediaUrl{N}`) with the account's credentials (HTTP Basic),
 * which accounts that protect their media require. The credentials go only to Twilio's API host (or
 * TWILIO_API_URL's): never to another host a webhook might name. Twilio then redirects to its media
 * store, and fetch drops the Authorization header on that cross-origin hop.
 */
export function twilioMediaFetcher(
  twilio: { accountSid: string; authToken: string; apiUrl?: string },
  fetchImpl: FetchFn = fetch,
): (url: string) => Promise<{ body: Buffer; contentType: string }> {
  const allowed = new Set([TWILIO_API_HOST, ...(twilio.apiUrl ? [new URL(twilio.apiUrl).host] : [])]);
  const authorization = `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString("base64")}`;
  return (url) => {
    const host = new URL(url).host;
    const headers: Record<string, string> = allowed.has(host) ? { authorization } : {};
    return downloadMedia(url, { fetch: fetchImpl, headers, maxBytes: MAX_TWILIO_MEDIA_BYTES });
  };
}
