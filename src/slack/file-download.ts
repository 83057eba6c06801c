import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { formatBytes, ImportRejected } from "../services/contact-import";

/** A file copied from Slack to a temporary file; `dispose` deletes it. */
export interface DownloadedFile {
  path: string;
  bytes: number;
  dispose(): Promise<void>;
}

/**
 * Slack serves files from its CDN at many megabytes a second: the largest file an import takes
 * (100 MB) arrives well within this, and a stalled transfer is reported instead of waited for.
 */
export const DOWNLOAD_TIMEOUT_MS = 3 * 60_000;

/**
 * Copies a file users uploaded from Slack (served to the bot token) to a temporary file, with a
 * time limit and a size limit, before anything touches the database: no transaction ever waits on
 * the network. Slack answers a request it will not serve with its HTML sign-in page, not an error.
 */
export async function downloadSlackFile(
  url: string,
  token: string,
  limits: { timeoutMs: number; maxBytes: number },
): Promise<DownloadedFile> {
  const dir = await mkdtemp(path.join(tmpdir(), "p2p-import-"));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const file = path.join(dir, "upload.csv");
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
    if (!response.ok || !response.body || (response.headers.get("content-type") ?? "").startsWith("text/html")) {
      await response.body?.cancel().catch(() => undefined);
      throw new ImportRejected(
        "Slack would not let the app download the file. Check that the app has the files:read permission (reinstall it from the manifest) and upload again.",
      );
    }
    const tooLarge = () =>
      new ImportRejected(
        `The file is larger than ${formatBytes(limits.maxBytes)}. Split it into smaller CSV files and import them one after another.`,
      );
    if (Number(response.headers.get("content-length") ?? 0) > limits.maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooLarge();
    }
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(bytes > limits.maxBytes ? tooLarge() : null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0], { signal }),
      counter,
      createWriteStream(file),
    );
    return { path: file, bytes, dispose };
  } catch (error) {
    await dispose();
    if (signal.aborted && !(error instanceof ImportRejected)) {
      throw new ImportRejected(
        `Slack did not send the whole file within ${duration(limits.timeoutMs)}, so nothing was imported. Try again in a few minutes; if it keeps happening, split the file into smaller CSV files.`,
      );
    }
    throw error;
  }
}

function duration(ms: number): string {
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} minutes`;
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}
