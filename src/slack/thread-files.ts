import { WebClient } from "@slack/web-api";
import { boltLogger, type Logger } from "../logger";
import type { ThreadFiles, VoterFile } from "../services/inbound-media";

/**
 * Voters' pictures into their thread through Slack's files v2 flow (files.getUploadURLExternal,
 * the upload, files.completeUploadExternal), on a client of its own so uploads never hold up
 * modals or the outbox's posts. A failure is thrown: the copier tries again later.
 */
export function threadFilesWebClient(token: string, options: { apiUrl?: string; logger: Logger }): WebClient {
  return new WebClient(token, {
    ...(options.apiUrl && { slackApiUrl: options.apiUrl }),
    logger: boltLogger(options.logger.child({ component: "slack-thread-files" })),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 60_000,
  });
}

export class WebClientThreadFiles implements ThreadFiles {
  constructor(private readonly client: WebClient) {}

  async upload(thread: { channel: string; threadTs: string }, files: VoterFile[]): Promise<void> {
    await this.client.filesUploadV2({
      channel_id: thread.channel,
      thread_ts: thread.threadTs,
      initial_comment:
        files.length === 1
          ? "Sent by the voter with their text:"
          : `${files.length} files sent by the voter with their text:`,
      file_uploads: files.map((f) => ({ file: f.body, filename: f.name, title: f.name })),
    });
  }
}
