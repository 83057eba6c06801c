import { createReadStream } from "node:fs";
import type { webApi } from "@slack/bolt";
import type { Prisma } from "../db/generated/client";
import {
  importContacts,
  MAX_IMPORT_BYTES,
  tidyContactsAfterImport,
  type ImportProgress,
  type ImportSummary,
} from "../services/contact-import";
import { enqueueSlackPost } from "../services/slack-outbox";
import { failureText } from "./answer-failure";
import {
  importProgressMessage,
  importRejectedMessage,
  importSummaryMessage,
  invalidRowsCsv,
  skippedRowsNotAttachedMessage,
} from "./blocks/contact-import";
import { clip, number, type SlackMessage } from "./blocks/kit";
import type { SlackDeps } from "./deps";
import { actorOf } from "./actor";
import { downloadSlackUpload, DOWNLOAD_TIMEOUT_MS, type DownloadedFile } from "./file-download";

/** Progress is shown at least this often (Slack's chat.update allows about 50 a minute). */
export const PROGRESS_INTERVAL_MS = 4_000;

export interface SlackImportRequest {
  client: webApi.WebClient;
  fileId: string;
  fileName: string;
  channelId: string;
  userId: string;
  defaultRegion: string;
}

/**
 * Runs an import the organizer started from the modal: queues a progress message for the channel
 * (or their DM if the bot is not in it), streams the file from Slack into the import, then turns
 * the message into the summary and attaches the skipped rows as a CSV.
 */
export async function importFromSlack(deps: SlackDeps, request: SlackImportRequest): Promise<void> {
  const { client, fileName } = request;
  const log = deps.logger.child({ flow: "contact-import", fileId: request.fileId, user: request.userId });
  const started = performance.now();
  // Posts go through the durable outbox like every bot post: the progress message, then its updates.
  const channel = await progressChannel(client, request);
  const root = await enqueueSlackPost(deps.db.prisma, {
    channel,
    method: "chat.postMessage",
    args: asJson(importProgressMessage(fileName, 0, "reading")),
  });
  const update = async (message: SlackMessage) => {
    await enqueueSlackPost(deps.db.prisma, {
      channel,
      method: "chat.update",
      args: asJson(message),
      parentId: root.id,
    });
    deps.outbox.wake();
  };
  deps.outbox.wake();

  let summary: ImportSummary;
  let latest: ImportProgress = { rowsRead: 0, phase: "reading" };
  let shown = latest;
  const ticker = setInterval(() => {
    if (latest === shown) return;
    shown = latest;
    update(importProgressMessage(fileName, latest.rowsRead, latest.phase)).catch((error: unknown) =>
      log.warn({ err: error }, "progress update failed"),
    );
  }, PROGRESS_INTERVAL_MS);
  try {
    // The whole file is on disk before the import's transaction opens: nothing waits on Slack inside it.
    const file = await fetchUpload(deps, client, request.fileId);
    try {
      summary = await importContacts(deps.db, createReadStream(file.path), await actorOf(deps, request.userId), {
        defaultRegion: request.defaultRegion,
        fileName,
        onProgress: (progress) => (latest = progress),
      });
    } finally {
      await file.dispose();
    }
    clearInterval(ticker);
    const seconds = (performance.now() - started) / 1000;
    log.info({ ...summary, invalidRows: summary.invalidRows.length, seconds }, "contacts imported");
    await update(importSummaryMessage(fileName, summary, seconds));
  } catch (error) {
    clearInterval(ticker);
    // The progress message becomes the answer: a rejected file's reason, or our failure (logged).
    const reason = failureText(log, error, { what: "importing the contacts", consequence: "nothing was imported" });
    await update(importRejectedMessage(fileName, reason));
    return;
  }
  // Outside the import's transaction, once it is reported: audience counts read the new contacts from an index at once.
  await tidyContactsAfterImport(deps.db, summary).catch((error: unknown) =>
    log.warn({ err: error }, "VACUUM after the import failed: audience counts stay right, only slower until it runs"),
  );
  if (summary.invalid === 0) return;
  // The skipped rows go in the summary's thread once Slack has posted it (files are not chat posts).
  const ts = await postedTs(deps, root.id);
  const stem = clip(fileName.replace(/\.csv$/i, ""), 60);
  const upload = {
    channel_id: channel,
    filename: `${stem}-skipped-rows.csv`,
    title: `Skipped rows of ${stem}`,
    content: invalidRowsCsv(summary.invalidRows, summary.invalid),
    initial_comment: `${number(summary.invalid)} rows were skipped. Fix them in your file and import it again: rows already imported are merged, not duplicated.`,
  };
  try {
    await client.filesUploadV2(ts ? { ...upload, thread_ts: ts } : upload);
  } catch (error) {
    // The contacts are imported: the summary stays, and its thread says the report is missing.
    log.warn({ err: error }, "skipped-rows report upload failed");
    await enqueueSlackPost(deps.db.prisma, {
      channel,
      method: "chat.postMessage",
      args: asJson(skippedRowsNotAttachedMessage()),
      parentId: root.id,
    });
    deps.outbox.wake();
  }
}

const asJson = (message: SlackMessage) => message as unknown as Prisma.InputJsonObject;

/** The channel the import was started in, or the organizer's DM when the app is not a member of it. */
async function progressChannel(client: webApi.WebClient, request: SlackImportRequest): Promise<string> {
  try {
    const info = await client.conversations.info({ channel: request.channelId });
    if (info.channel?.is_member || info.channel?.is_im) return request.channelId;
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code !== "channel_not_found" && code !== "not_in_channel") throw error;
  }
  return request.userId;
}

/** The ts Slack gave the progress message, once the outbox posted it (null after 30 s). */
async function postedTs(deps: SlackDeps, outboxId: string): Promise<string | null> {
  for (let waited = 0; waited < 30_000; waited += 200) {
    const row = await deps.db.prisma.slackOutbox.findUnique({
      where: { id: outboxId },
      select: { resultTs: true, status: true },
    });
    if (row?.resultTs || row?.status === "failed") return row.resultTs ?? null;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return null;
}

/** The uploaded file, copied from Slack to a temporary file within the download limits. */
function fetchUpload(deps: SlackDeps, client: webApi.WebClient, fileId: string): Promise<DownloadedFile> {
  return downloadSlackUpload(client, fileId, deps.botToken, {
    timeoutMs: deps.importDownloadTimeoutMs ?? DOWNLOAD_TIMEOUT_MS,
    maxBytes: MAX_IMPORT_BYTES,
  });
}
