import twilio from "twilio";
import type { MessageListInstanceCreateOptions } from "twilio/lib/rest/api/v2010/account/message";
import type { Config } from "../config";
import {
  classifyTwilioError,
  provesNotAccepted,
  sendFailureAdvice,
  type SendFailureAdvice,
} from "../domain/twilio-errors";
import { MAX_MEDIA_PER_TEXT } from "../domain/media-links";
import { maskPhone } from "../domain/phone";
import type { Logger } from "../logger";
import type { LoggedInboundSms, OutboundSms, SendResult, SentMessage, SmsGateway } from "../services/sms-gateway";
import { createTwilioClient } from "./twilio-client";
import { MAX_VALIDITY_SECONDS } from "../domain/quiet-hours";

/**
 * Sends texts through Twilio's Messages API and turns every answer into accepted / rejected /
 * unknown. The P2P rule decides the retries: a request is repeated only after an answer that
 * proves Twilio did not take it (a 4xx asking to slow down, or a connection that never opened).
 * Anything that may have reached Twilio (a timeout, a reset, a 5xx) is reported as unknown and
 * never repeated, since a second request could text the voter twice.
 */

export interface SendRetryPolicy {
  /** Most requests per send, the first included. */
  attempts: number;
  /** Backoff before the first retry; doubles each time, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts after this long since the send began: a volunteer is waiting on the click. */
  budgetMs: number;
}

export const DEFAULT_SEND_RETRY: SendRetryPolicy = Object.freeze({
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 1_000,
  budgetMs: 3_000,
});

/** Twilio answers a send in well under a second; past this the outcome is unknown and gets reconciled. */
export const DEFAULT_TWILIO_TIMEOUT_MS = 10_000;
/** At most this many logged texts are read per inbound reconciliation (its window is hours, not days). */
export const RECONCILE_INBOUND_MAX_MESSAGES = 50_000;

/** Twilio's clock and ours may differ, and its timestamps have whole seconds. */
const RECONCILE_CLOCK_SLACK_MS = 2 * 60_000;
/** Texts to one voter number are few; this bounds a reconciliation to a couple of requests. */
const RECONCILE_MAX_MESSAGES = 200;

/**
 * Connection errors raised before any byte of the request left: DNS failures, refused or
 * unroutable connections, TLS certificates rejected during the handshake.
 */
const NEVER_SENT_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "CERT_HAS_EXPIRED",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export interface TwilioGatewayOptions {
  retry?: Partial<SendRetryPolicy>;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds clock for the retry budget. */
  now?: () => number;
  /** Uniform in [0, 1), for the backoff jitter. */
  random?: () => number;
  logger?: Logger;
}

/** What one request to create a message came to. */
type Attempt =
  | { kind: "accepted"; sid: string; status: string; segments: number | null }
  /** Twilio answered with an error that proves it created nothing. */
  | { kind: "refused"; httpStatus: number; code: number | null; detail: string }
  /** The connection never opened: nothing reached Twilio. */
  | { kind: "never-sent"; detail: string }
  /** The request may have reached Twilio. */
  | { kind: "maybe-sent"; detail: string };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createTwilioGateway(
  settings: Config["twilio"],
  publicUrl: string,
  opts: TwilioGatewayOptions = {},
): SmsGateway {
  const sender = senderOf(settings);
  const retry = { ...DEFAULT_SEND_RETRY, ...opts.retry };
  if (!(retry.attempts >= 1)) throw new RangeError(`retry.attempts must be at least 1 (got ${retry.attempts})`);
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const logger = opts.logger;
  const client = createTwilioClient(settings, { timeoutMs: opts.timeoutMs ?? DEFAULT_TWILIO_TIMEOUT_MS });
  const statusCallback = `${publicUrl.replace(/\/+$/, "")}/twilio/status`;

  async function attemptSend(params: MessageListInstanceCreateOptions): Promise<Attempt> {
    try {
      const message = await client.messages.create(params);
      // A 2xx without a message in it (a proxy's page, say) proves nothing either way.
      if (typeof message.sid !== "string" || !message.sid)
        return { kind: "maybe-sent", detail: "Twilio answered without a message SID" };
      const segments = Number(message.numSegments);
      // Through a Messaging Service num_segments is 0 until a sender is picked.
      return { kind: "accepted", sid: message.sid, status: message.status, segments: segments > 0 ? segments : null };
    } catch (error) {
      return readFailure(error);
    }
  }

  function backoffMs(retryNumber: number): number {
    const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (retryNumber - 1));
    // Half fixed, half random: spaced out, yet many volunteers' retries don't land together.
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
  }

  return {
    async send(sms: OutboundSms): Promise<SendResult> {
      const params = createParams(sms, sender, statusCallback);
      const deadline = now() + retry.budgetMs;
      for (let attempts = 1; ; attempts++) {
        const attempt = await attemptSend(params);
        if (attempt.kind === "accepted") {
          const { sid, status, segments } = attempt;
          return { outcome: "accepted", sid, status, segments, attempts };
        }
        if (attempt.kind === "maybe-sent") {
          logger?.warn(
            { to: maskPhone(sms.to), attempts, detail: attempt.detail },
            "twilio send: outcome unknown, not retried",
          );
          return {
            outcome: "unknown",
            message:
              "We couldn't confirm whether this text went out. It will be checked with Twilio before anything is sent again.",
            detail: attempt.detail,
            attempts,
          };
        }
        const failure: SendFailureAdvice & { code: number | null } =
          attempt.kind === "refused"
            ? classifyTwilioError({ code: attempt.code, httpStatus: attempt.httpStatus })
            : { ...sendFailureAdvice("twilio-unreachable"), code: null };
        if (failure.retry === "backoff" && attempts < retry.attempts) {
          const delayMs = backoffMs(attempts);
          if (now() + delayMs <= deadline) {
            logger?.warn({ to: maskPhone(sms.to), attempts, delayMs, detail: attempt.detail }, "twilio send: retrying");
            await sleep(delayMs);
            continue;
          }
        }
        return {
          outcome: "rejected",
          code: failure.code,
          kind: failure.kind,
          message: failure.forVolunteer,
          detail: attempt.detail,
          retryable: false,
          attempts,
        };
      }
    },

    async findSent({ to, after, body, except = [] }): Promise<SentMessage | null> {
      // Not filtered on DateSent: a text still queued at Twilio has no date_sent yet, and it is
      // exactly the one a reconciliation must not miss.
      const messages = await client.messages.list({
        to,
        ...(sender.kind === "from" ? { from: sender.from } : {}),
        pageSize: 100,
        limit: RECONCILE_MAX_MESSAGES,
      });
      const since = after.getTime() - RECONCILE_CLOCK_SLACK_MS;
      const taken = new Set(except);
      const match = messages
        .filter(
          (m) => m.direction !== "inbound" && m.body === body && m.dateCreated.getTime() >= since && !taken.has(m.sid),
        )
        .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())[0];
      return match ? { sid: match.sid, status: match.status } : null;
    },

    async listInbound({ since }): Promise<LoggedInboundSms[]> {
      // The SDK follows next_page_uri; with one sending number the log is filtered on it (To).
      const messages = await client.messages.list({
        ...(sender.kind === "from" ? { to: sender.from } : {}),
        dateSentAfter: since,
        pageSize: 1000,
        limit: RECONCILE_INBOUND_MAX_MESSAGES,
      });
      return messages
        .filter((m) => m.direction === "inbound" && m.status === "received")
        .map((m) => ({
          sid: m.sid,
          from: m.from,
          to: m.to,
          body: m.body ?? "",
          numMedia: Number(m.numMedia) || 0,
          receivedAt: m.dateSent ?? m.dateCreated,
        }));
    },
  };
}

type Sender = { kind: "service"; messagingServiceSid: string } | { kind: "from"; from: string };

function senderOf(settings: Config["twilio"]): Sender {
  if (settings.messagingServiceSid) return { kind: "service", messagingServiceSid: settings.messagingServiceSid };
  if (settings.fromNumber) return { kind: "from", from: settings.fromNumber };
  throw new Error(
    "The Twilio gateway needs a sender: set TWILIO_MESSAGING_SERVICE_SID (preferred) or TWILIO_FROM_NUMBER.",
  );
}

function createParams(sms: OutboundSms, sender: Sender, statusCallback: string): MessageListInstanceCreateOptions {
  if (!sms.to) throw new TypeError("A text needs a recipient: `to` is empty.");
  const mediaUrl = sms.mediaUrls ? [...sms.mediaUrls] : [];
  if (mediaUrl.length > MAX_MEDIA_PER_TEXT)
    throw new RangeError(`A text carries at most ${MAX_MEDIA_PER_TEXT} media files (got ${mediaUrl.length}).`);
  const params: MessageListInstanceCreateOptions = {
    to: sms.to,
    body: sms.body,
    statusCallback,
    ...(sender.kind === "service" ? { messagingServiceSid: sender.messagingServiceSid } : { from: sender.from }),
  };
  if (mediaUrl.length > 0) params.mediaUrl = mediaUrl;
  if (sms.validityPeriodSeconds !== undefined) params.validityPeriod = validityPeriod(sms.validityPeriodSeconds);
  return params;
}

function validityPeriod(seconds: number): number {
  const whole = Math.floor(seconds);
  if (!Number.isFinite(seconds) || whole < 1) {
    throw new RangeError(
      `validityPeriodSeconds must be at least 1 second (got ${seconds}): a text with no time left in the recipient's window must not be sent.`,
    );
  }
  return Math.min(whole, MAX_VALIDITY_SECONDS);
}

function readFailure(error: unknown): Attempt {
  if (error instanceof twilio.RestException) {
    const detail = `HTTP ${error.status}${error.code ? ` error ${error.code}` : ""}: ${error.message}`;
    if (provesNotAccepted(error.status))
      return { kind: "refused", httpStatus: error.status, code: error.code ?? null, detail };
    return { kind: "maybe-sent", detail };
  }
  const detail = describeNetworkError(error);
  return neverLeft(error) ? { kind: "never-sent", detail } : { kind: "maybe-sent", detail };
}

/** True only when the error proves the connection never opened; Node reports several tries (IPv4/IPv6) as one AggregateError. */
function neverLeft(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, errors, cause } = error as { code?: unknown; errors?: unknown; cause?: unknown };
  if (Array.isArray(errors) && errors.length > 0) return errors.every(neverLeft);
  if (typeof code === "string") return NEVER_SENT_ERROR_CODES.has(code);
  return cause !== undefined && cause !== error && neverLeft(cause);
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
