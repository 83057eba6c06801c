import { MediaRefused, kb } from "./refusal";

/** Larger downloads are refused before compression: nothing a phone records for MMS comes near it. */
export const MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 20_000;

export type FetchFn = typeof fetch;

/**
 * Downloads a media link for compression, refusing what cannot be used with a message the organizer
 * can act on (the link answers an error, is too large, or does not answer in time).
 */
export async function downloadMedia(
  url: string,
  options: { fetch?: FetchFn; headers?: Record<string, string>; maxBytes?: number } = {},
): Promise<{ body: Buffer; contentType: string }> {
  const maxBytes = options.maxBytes ?? MAX_DOWNLOAD_BYTES;
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      headers: options.headers,
      redirect: "follow",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = (error as { name?: string }).name === "TimeoutError";
    throw new MediaRefused(
      "unreachable",
      timedOut
        ? `${url} did not answer within ${FETCH_TIMEOUT_MS / 1000} seconds. Check the link opens in a browser, or upload the file somewhere faster.`
        : `${url} could not be reached. Check the link opens in a browser (it must be public, without a login).`,
    );
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new MediaRefused(
      "unreachable",
      `${url} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}. Check the link opens in a browser without a login, and that it points at the file itself.`,
    );
  }
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(url, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  return { body: Buffer.concat(chunks), contentType: res.headers.get("content-type") ?? "" };
}

const tooLarge = (url: string, maxBytes: number) =>
  new MediaRefused(
    "too-large",
    `${url} is larger than ${kb(maxBytes)}: too big to make fit a text. Link to a smaller version (a photo under 20 MB, a clip under 30 seconds).`,
  );
