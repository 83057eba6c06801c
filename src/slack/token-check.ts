import { ErrorCode, LogLevel, WebClient, type WebAPICallError } from "@slack/web-api";
import type { CheckOutcome } from "../boot/readiness";

/** Answers from Slack that mean the token itself is wrong: retrying cannot help. */
const REJECTED_TOKEN = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "not_allowed_token_type",
  "missing_scope",
  "team_access_not_granted",
]);

const DEFAULT_API_URL = "https://slack.com/api/";

/** A WebClient for checks: one try, a short timeout (Bolt's own client retries for about 30 minutes). */
export function checkingWebClient(token: string, apiUrl: string | undefined, timeoutMs = 10_000): WebClient {
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 0 },
    timeout: timeoutMs,
    // Failures are reported by the caller, with their host and reason.
    logLevel: LogLevel.ERROR,
  });
}

/** The host a Slack call goes to, for log lines ("slack.com", "127.0.0.1:4567"). */
export function slackHost(apiUrl: string | undefined): string {
  return new URL(apiUrl ?? DEFAULT_API_URL).host;
}

/** Sorts a failed Web API call into "Slack refused the token" and "Slack could not be reached". */
export function classifySlackFailure(error: unknown, call: string, apiUrl: string | undefined): CheckOutcome {
  const e = error as WebAPICallError & { data?: { error?: string }; original?: Error & { code?: string } };
  if (e.code === ErrorCode.PlatformError && e.data?.error && REJECTED_TOKEN.has(e.data.error)) {
    return { kind: "rejected", message: `Slack answered ${call} with ${e.data.error}` };
  }
  const reason =
    e.code === ErrorCode.RequestError
      ? networkReason(e.original ?? error)
      : e.code === ErrorCode.HTTPError
        ? `HTTP ${(e as { statusCode?: number }).statusCode ?? "error"}`
        : e.code === ErrorCode.RateLimitedError
          ? "rate limited"
          : e.code === ErrorCode.PlatformError
            ? `Slack answered ${e.data?.error ?? "an error"}`
            : ((error as Error).message ?? String(error));
  return { kind: "unreachable", host: slackHost(apiUrl), call, reason };
}

/** The most telling reason in an error's cause chain: a system code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT) over "fetch failed". */
export function networkReason(error: unknown): string {
  let deepest = (error as Error)?.message ?? String(error);
  for (
    let e = error as { code?: unknown; cause?: unknown; message?: string } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === "string" && /^E[A-Z_]+$|^UND_ERR/.test(e.code)) return e.code;
    if (e.message) deepest = e.message;
    e = e.cause as typeof e;
  }
  return deepest;
}

/** auth.test with the bot token: ok (with the bot's ids and granted scopes), rejected, or unreachable. */
export async function checkSlackToken(token: string, apiUrl: string | undefined): Promise<CheckOutcome> {
  try {
    const result = await checkingWebClient(token, apiUrl).auth.test();
    const scopes = (result.response_metadata as { scopes?: string[] } | undefined)?.scopes;
    return {
      kind: "ok",
      detail: { team: result.team, botUserId: result.user_id, botId: result.bot_id, scopes },
    };
  } catch (error) {
    return classifySlackFailure(error, "auth.test", apiUrl);
  }
}
