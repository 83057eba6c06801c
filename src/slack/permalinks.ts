import { WebClient } from "@slack/web-api";
import { boltLogger, type Logger } from "../logger";
import type { PermalinkSource } from "../services/digest-links";

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

/**
 * A message's link is its channel's archive address plus "p" and the message's ts without its dot
 * (`https://team.slack.com/archives/C123/p1700000000000100`). Slack is asked for one thread per
 * channel; when its answer has exactly that form, the channel's other threads are linked the same
 * way without asking again (a digest after a restart wants hundreds of links, and each lookup is a
 * round trip to Slack). An answer of any other form (Enterprise Grid, a future change) keeps the
 * channel on one lookup per thread.
 */
export function linkTemplate(channel: string, ts: string, permalink: string): string | null {
  const prefix = permalink.slice(0, permalink.length - ts.replace(".", "").length - 1);
  const pattern = /^https:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*\/archives\/([A-Z0-9]+)\/$/;
  const match = pattern.exec(prefix);
  return match?.[2] === channel && permalink === linkFrom(prefix, ts) ? prefix : null;
}

function linkFrom(prefix: string, ts: string): string {
  return `${prefix}p${ts.replace(".", "")}`;
}

const TS = /^\d+\.\d{6}$/;

export class WebClientPermalinks implements PermalinkSource {
  /** Per channel, the link form Slack's first answer showed (null: ask for each thread). */
  private readonly forms = new Map<string, Promise<string | null>>();

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
  ) {}

  async permalink(channel: string, ts: string): Promise<string | null> {
    const known = this.forms.get(channel);
    if (known && TS.test(ts)) {
      const prefix = await known;
      if (prefix !== null) return linkFrom(prefix, ts);
    }
    const answer = this.ask(channel, ts);
    if (!known && TS.test(ts)) {
      const form = answer.then((link) => (link === null ? null : linkTemplate(channel, ts, link)));
      this.forms.set(channel, form);
      // A lookup that failed teaches nothing: the next thread of the channel asks again.
      void form.then((prefix) => {
        if (prefix === null && this.forms.get(channel) === form) this.forms.delete(channel);
      });
    }
    return answer;
  }

  private async ask(channel: string, ts: string): Promise<string | null> {
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
