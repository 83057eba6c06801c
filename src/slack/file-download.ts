import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { webApi } from "@slack/bolt";
import { MAX_DOWNLOAD_BYTES } from "../media/fetch";
import { MediaRefused } from "../media/refusal";
import { formatBytes, ImportRejected } from "../services/import-file-checks";

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

/** What to tell the user when a file cannot be had, worded for what it was for (an import, a campaign's media). */
export interface DownloadRefusals {
  /** Slack gave no download address for the file. */
  missing(): Error;
  /** Slack would not serve it to the bot (its sign-in page instead). */
  forbidden(): Error;
  tooLarge(maxBytes: number): Error;
  /** `within` is the time limit in words ("3 minutes"). */
  timedOut(within: string): Error;
}

/** The contact import's wording (the default). */
export const IMPORT_REFUSALS: DownloadRefusals = {
  missing: () => new ImportRejected("Slack did not give us the file. Upload it again."),
  forbidden: () =>
    new ImportRejected(
      "Slack would not let the app download the file. Check that the app has the files:read permission (reinstall it from the manifest) and upload again.",
    ),
  tooLarge: (maxBytes) =>
    new ImportRejected(
      `The file is larger than ${formatBytes(maxBytes)}. Split it into smaller CSV files and import them one after another.`,
    ),
  timedOut: (within) =>
    new ImportRejected(
      `Slack did not send the whole file within ${within}, so nothing was imported. Try again in a few minutes; if it keeps happening, split the file into smaller CSV files.`,
    ),
};

/**
 * A file a user chose in a modal's file input, looked up by id (files.info) and copied from Slack
 * to a temporary file within the limits; with its name and type as Slack reports them.
 */
export async function downloadSlackUpload(
  client: webApi.WebClient,
  fileId: string,
  token: string,
  limits: { timeoutMs: number; maxBytes: number },
  refusals: DownloadRefusals = IMPORT_REFUSALS,
): Promise<DownloadedFile & { name: string; mimetype: string }> {
  const info = await client.files.info({ file: fileId });
  const url = info.file?.url_private_download;
  if (!url) throw refusals.missing();
  const file = await downloadSlackFile(url, token, limits, refusals);
  return { ...file, name: info.file?.name ?? fileId, mimetype: info.file?.mimetype ?? "" };
}

/**
 * Copies a file users uploaded from Slack (served to the bot token) to a temporary file, with a
 * time limit and a size limit, before anything touches the database: no transaction ever waits on
 * the network. Slack answers a request it will not serve with its HTML sign-in page, not an error.
 */
export async function downloadSlackFile(
  url: string,
  token: string,
  limits: { timeoutMs: number; maxBytes: number },
  refusals: DownloadRefusals = IMPORT_REFUSALS,
): Promise<DownloadedFile> {
  const dir = await mkdtemp(path.join(tmpdir(), "p2p-upload-"));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const file = path.join(dir, "upload");
  let refused: Error | null = null;
  const refuse = (error: Error) => (refused = error);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
    if (!response.ok || !response.body || (response.headers.get("content-type") ?? "").startsWith("text/html")) {
      await response.body?.cancel().catch(() => undefined);
      throw refuse(refusals.forbidden());
    }
    const tooLarge = () => refuse(refusals.tooLarge(limits.maxBytes));
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
    if (signal.aborted && error !== refused) throw refusals.timedOut(duration(limits.timeoutMs));
    throw error;
  }
}

function duration(ms: number): string {
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} minutes`;
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

/** A picture or video's wording: what to attach instead. */
const MEDIA_REFUSALS: DownloadRefusals = {
  missing: () => new MediaRefused("unreachable", "Slack did not give the app this file. Attach it again."),
  forbidden: () =>
    new MediaRefused(
      "unreachable",
      "Slack would not let the app download this file. Check that the app has the files:read permission (reinstall it from the manifest), then attach it again.",
    ),
  tooLarge: (maxBytes) =>
    new MediaRefused(
      "too-large",
      `This file is larger than ${formatBytes(maxBytes)}: too big to make fit a text. Attach a smaller version (a photo under 20 MB, a clip under 30 seconds).`,
    ),
  timedOut: (within) =>
    new MediaRefused(
      "unreachable",
      `Slack did not send this file within ${within}. Try again in a few minutes, or attach a smaller file.`,
    ),
};

/**
 * Reads a picture or video chosen in a modal's file input for MMS: the import's download (bot
 * token, time limit, HTML sign-in page refused) with the media size limit, then into memory for
 * compression. Refusals are MediaRefused, worded for the organizer.
 */
export function slackMediaReader(
  client: webApi.WebClient,
  token: string,
  timeoutMs: number = DOWNLOAD_TIMEOUT_MS,
): (fileId: string) => Promise<{ body: Buffer; contentType: string }> {
  return async (fileId) => {
    const file = await downloadSlackUpload(
      client,
      fileId,
      token,
      { timeoutMs, maxBytes: MAX_DOWNLOAD_BYTES },
      MEDIA_REFUSALS,
    );
    try {
      return { body: await readFile(file.path), contentType: file.mimetype };
    } finally {
      await file.dispose();
    }
  };
}
