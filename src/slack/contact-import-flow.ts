import type { webApi } from "@slack/bolt";
import { importContacts, ImportRejected, type ImportProgress } from "../services/contact-import";
import {
  importProgressMessage,
  importRejectedMessage,
  importSummaryMessage,
  invalidRowsCsv,
  type SlackMessage,
} from "./blocks/contact-import";
import type { SlackDeps } from "./deps";

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
 * Runs an import the organizer started from the modal: posts a progress message in the channel
 * (or their DM if the bot is not in it), streams the file from Slack into the import, then turns
 * the message into the summary and attaches the skipped rows as a CSV.
 */
export async function importFromSlack(deps: SlackDeps, request: SlackImportRequest): Promise<void> {
  const { client, fileName } = request;
  const log = deps.logger.child({ flow: "contact-import", fileId: request.fileId, user: request.userId });
  const started = performance.now();
  const { channel, ts } = await postMessage(client, request, importProgressMessage(fileName, 0, "reading"));
  const update = (message: SlackMessage) => client.chat.update({ channel, ts, ...message });

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
    const body = await downloadSlackFile(deps, client, request.fileId);
    const summary = await importContacts(deps.db, body, {
      defaultRegion: request.defaultRegion,
      onProgress: (progress) => (latest = progress),
    });
    clearInterval(ticker);
    const seconds = (performance.now() - started) / 1000;
    log.info({ ...summary, invalidRows: summary.invalidRows.length, seconds }, "contacts imported");
    await update(importSummaryMessage(fileName, summary, seconds));
    if (summary.invalid > 0) {
      await client.filesUploadV2({
        channel_id: channel,
        thread_ts: ts,
        filename: `${fileName.replace(/\.csv$/i, "")}-skipped-rows.csv`,
        title: `Skipped rows of ${fileName}`,
        content: invalidRowsCsv(summary.invalidRows, summary.invalid),
        initial_comment: `${summary.invalid.toLocaleString("en-US")} rows were skipped. Fix them in your file and import it again: rows already imported are merged, not duplicated.`,
      });
    }
  } catch (error) {
    clearInterval(ticker);
    if (error instanceof ImportRejected) {
      log.info({ reason: error.message }, "import rejected");
      await update(importRejectedMessage(fileName, error.message));
      return;
    }
    log.error({ err: error }, "import failed");
    await update(
      importRejectedMessage(fileName, "Something went wrong on our side and nothing was imported. Try again in a minute; if it fails again, tell your admin."),
    );
  }
}

/** Posts in the channel; falls back to a DM when the bot is not a member of it. */
async function postMessage(client: webApi.WebClient, request: SlackImportRequest, message: SlackMessage) {
  try {
    const posted = await client.chat.postMessage({ channel: request.channelId, ...message });
    return { channel: posted.channel!, ts: posted.ts! };
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code !== "not_in_channel" && code !== "channel_not_found") throw error;
    const posted = await client.chat.postMessage({ channel: request.userId, ...message });
    return { channel: posted.channel!, ts: posted.ts! };
  }
}

/** Slack serves uploaded files to the bot token; an HTML answer is its sign-in page, not the file. */
async function downloadSlackFile(deps: SlackDeps, client: webApi.WebClient, fileId: string): Promise<AsyncIterable<Uint8Array>> {
  const info = await client.files.info({ file: fileId });
  const url = info.file?.url_private_download;
  if (!url) throw new ImportRejected("Slack did not give us the file. Upload it again.");
  const response = await fetch(url, { headers: { authorization: `Bearer ${deps.botToken}` } });
  if (!response.ok || !response.body || (response.headers.get("content-type") ?? "").startsWith("text/html")) {
    throw new ImportRejected(
      "Slack would not let the app download the file. Check that the app has the files:read permission (reinstall it from the manifest) and upload again.",
    );
  }
  return response.body as unknown as AsyncIterable<Uint8Array>;
}
