import { createHmac, timingSafeEqual } from "node:crypto";

/*
 * Outgoing webhooks: what a receiver (a CRM, an email tool, a spreadsheet automation) gets, how it
 * checks that we sent it, and how long we keep trying. The signature is HMAC-SHA256, keyed with
 * WEBHOOK_SECRET, over `<timestamp>.<raw body>`; the timestamp (Unix seconds) travels beside it so a
 * receiver can refuse old replays, like Slack's and Stripe's schemes.
 */

/** The events a receiver can get. */
export const WEBHOOK_EVENTS = ["opt-out", "opt-in", "outcome.set", "outcome.removed", "reply"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export const SIGNATURE_HEADER = "X-Texting-Signature";
export const TIMESTAMP_HEADER = "X-Texting-Timestamp";
export const EVENT_ID_HEADER = "X-Texting-Event-Id";

/** `v1=<hex>`: the HMAC-SHA256 of `<timestamp>.<body>` with the shared secret. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** A receiver's check (the README shows the same in a few lines): constant time, and at most `toleranceSeconds` old. */
export function verifyWebhookSignature(
  secret: string,
  headers: { signature: string; timestamp: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Retries go on for a day after the event, then it is given up (and shown to organizers). */
export const WEBHOOK_RETRY_FOR_MS = 24 * 3_600_000;
const FIRST_RETRY_MS = 30_000;
const LONGEST_WAIT_MS = 3_600_000;

/**
 * When to try again after the `attempts`-th failed delivery of an event made at `createdAt`: 30 s,
 * then doubling up to an hour between tries; null once that would be more than a day after the event.
 */
export function nextWebhookAttempt(attempts: number, createdAt: Date, now: Date): Date | null {
  const wait = Math.min(FIRST_RETRY_MS * 2 ** Math.max(attempts - 1, 0), LONGEST_WAIT_MS);
  const next = new Date(now.getTime() + wait);
  return next.getTime() - createdAt.getTime() > WEBHOOK_RETRY_FOR_MS ? null : next;
}
