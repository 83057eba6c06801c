import { WebClient } from "@slack/web-api";
import { boltLogger, type Logger } from "../logger";

/**
 * The WebClient for lookups the app waits on: a user's role (users.info, usergroups.*) and the
 * names of users mentioned in a reply. Bolt's own client retries for about half an hour and never
 * times out a request; the inbox processes texts in order, so one stuck lookup there would hold up
 * every opt-out behind it. This one gives up after `timeoutMs` and one retry, and fails a 429 at
 * once instead of pausing: the caller's event is retried later, and nothing waits for minutes.
 */
export const LOOKUP_TIMEOUT_MS = 5_000;

export function lookupWebClient(
  token: string,
  options: { apiUrl?: string; logger: Logger; timeoutMs?: number },
): WebClient {
  return new WebClient(token, {
    ...(options.apiUrl && { slackApiUrl: options.apiUrl }),
    logger: boltLogger(options.logger.child({ component: "slack-lookup-client" })),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 1, factor: 1, minTimeout: 500, maxTimeout: 500 },
    timeout: options.timeoutMs ?? LOOKUP_TIMEOUT_MS,
  });
}
