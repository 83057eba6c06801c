import { ErrorCode, WebClient } from "@slack/web-api";
import { boltLogger, type Logger } from "../logger";
import type { SlackOutboxMethod, SlackPostOutcome, SlackPoster } from "../services/slack-outbox";

/** Errors that say nothing about the post itself: Slack's trouble, or the app's token or scopes being fixed. */
const RETRYABLE_ERRORS = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "ratelimited",
  "rate_limited",
  "team_added_to_org",
  "invalid_auth",
  "not_authed",
  "token_revoked",
  "token_expired",
  "account_inactive",
  "missing_scope",
  "not_allowed_token_type",
  "ekm_access_denied",
]);

/** Slack refuses the channel, not the post: the bot is not in it (a private channel looks not found), or it is archived. */
const CHANNEL_UNAVAILABLE = new Set(["not_in_channel", "channel_not_found", "is_archived"]);

/** The reaction is already there: a repost after a crash did what was asked. */
const DONE_ALREADY = new Set(["already_reacted"]);

/**
 * The outbox's own WebClient, separate from the one Bolt uses for `views.open` and ephemeral
 * answers: a 429 here never pauses that one. It rejects rate-limited calls instead of waiting
 * (the outbox pauses the channel) and never retries by itself (the default retries 5xx and network
 * errors for about 30 minutes); the outbox retries durably. The timeout stays well under the lease.
 */
export function outboxWebClient(
  token: string,
  options: { apiUrl?: string; logger: Logger; timeoutMs?: number },
): WebClient {
  return new WebClient(token, {
    ...(options.apiUrl && { slackApiUrl: options.apiUrl }),
    logger: boltLogger(options.logger.child({ component: "slack-outbox-client" })),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 10_000,
  });
}

/** Slack refused a message's layout, not its words. */
const BLOCK_ERRORS = new Set(["invalid_blocks", "invalid_blocks_format"]);

/**
 * The outbox's SlackPoster over a WebClient: one call, its answer classified. A message whose
 * blocks Slack refuses is sent again as its fallback text alone, so what it says still arrives (an
 * import's summary never leaves "Importing…" on screen); chat.update clears the old blocks with [].
 */
export class WebClientSlackPoster implements SlackPoster {
  constructor(private readonly client: WebClient) {}

  async call(method: SlackOutboxMethod, args: Record<string, unknown>): Promise<SlackPostOutcome> {
    const outcome = await this.callOnce(method, args);
    if (outcome.kind !== "rejected" || !BLOCK_ERRORS.has(outcome.error) || args.blocks === undefined) return outcome;
    const { blocks: _refused, ...words } = args;
    return this.callOnce(method, method === "chat.update" ? { ...words, blocks: [] } : words);
  }

  private async callOnce(method: SlackOutboxMethod, args: Record<string, unknown>): Promise<SlackPostOutcome> {
    try {
      const { ts } = (await this.client.apiCall(method, args)) as { ts?: unknown };
      return { kind: "posted", ts: typeof ts === "string" ? ts : null };
    } catch (error) {
      return classifySlackError(error);
    }
  }
}

/** Sorts a WebClient error into what the outbox does next. */
export function classifySlackError(error: unknown): SlackPostOutcome {
  const coded = error as {
    code?: string;
    retryAfter?: number;
    data?: { error?: string };
    statusCode?: number;
    message?: string;
  };
  switch (coded.code) {
    case ErrorCode.RateLimitedError:
      return { kind: "rate_limited", retryAfterMs: Math.max(1, coded.retryAfter ?? 1) * 1000 };
    case ErrorCode.PlatformError: {
      const code = coded.data?.error ?? "unknown_error";
      if (DONE_ALREADY.has(code)) return { kind: "posted", ts: null };
      if (CHANNEL_UNAVAILABLE.has(code)) return { kind: "channel_unavailable", error: code };
      return RETRYABLE_ERRORS.has(code) ? { kind: "retry", error: code } : { kind: "rejected", error: code };
    }
    case ErrorCode.HTTPError: {
      const status = coded.statusCode ?? 0;
      const described = `HTTP ${status} from Slack`;
      return status >= 500 || status === 408
        ? { kind: "retry", error: described }
        : { kind: "rejected", error: described };
    }
    default:
      // Network errors, timeouts, and anything unexpected: worth another try.
      return { kind: "retry", error: coded.message ?? String(error) };
  }
}
