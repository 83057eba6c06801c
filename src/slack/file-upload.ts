import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { WebClient } from "@slack/web-api";

/*
 * Uploads a file from disk to a channel with Slack's files v2 flow, the one `filesUploadV2` uses
 * (files.getUploadURLExternal, a POST of the bytes to the URL it returns, then
 * files.completeUploadExternal). Done by hand because the SDK helper reads the whole file into memory
 * first; here the bytes stream from disk, so a file of any size costs a few chunks.
 */

const UPLOAD_TIMEOUT_MS = 10 * 60_000;

export async function uploadFileFromDisk(
  client: WebClient,
  file: { path: string; name: string; title: string; channel: string; comment?: string },
): Promise<string> {
  const { size } = await stat(file.path);
  const target = await client.files.getUploadURLExternal({ filename: file.name, length: size });
  if (!target.upload_url || !target.file_id) throw new Error("Slack gave no upload URL for the file");
  const response = await fetch(target.upload_url, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", "content-length": String(size) },
    body: Readable.toWeb(createReadStream(file.path)) as ReadableStream,
    duplex: "half",
    signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
  } as RequestInit & { duplex: "half" });
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new Error(`Slack refused the file's bytes (HTTP ${response.status})`);
  await client.files.completeUploadExternal({
    files: [{ id: target.file_id, title: file.title }],
    channel_id: file.channel,
    ...(file.comment ? { initial_comment: file.comment } : {}),
  });
  return target.file_id;
}
