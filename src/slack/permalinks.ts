import { WebClient } from "@slack/web-api";
import { boltLogger, type Logger } from "../logger";
import type { PermalinkSource } from "../services/daily-digest";

/**
 * Thread links for the daily digest (chat.getPermalink), on a WebClient of its own: not Bolt's,
 * so a slow or rate-limited lookup never holds up a modal, and not the outbox's, whose posts keep
 * their pace. It neither waits out a 429 nor retries: a lookup that fails leaves the link out.
 */
export function permalinkWebClient(
  token: string,
  options: { apiUrl?: string; logger: Logger; timeoutMs?: number },
): WebClient {
  return new WebClient(token, {
    ...(options.apiUrl && { slackApiUrl: options.apiUrl }),
    logger: boltLogger(options.logger.child({ component: "slack-permalink-client" })),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 5_000,
  });
}

export class WebClientPermalinks implements PermalinkSource {
  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
  ) {}

  async permalink(channel: string, ts: string): Promise<string | null> {
    try {
      const answer = await this.client.chat.getPermalink({ channel, message_ts: ts });
      return typeof answer.permalink === "string" && answer.permalink.startsWith("https://") ? answer.permalink : null;
    } catch (error) {
      const code = (error as { data?: { error?: string }; code?: string }).data?.error ?? (error as Error).message;
      this.logger.warn({ channel, ts, error: code }, "Slack gave no permalink for a thread");
      return null;
    }
  }
}
