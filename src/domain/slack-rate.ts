/*
 * How fast the app may post into one Slack channel, and how long a failed post waits before its
 * next attempt. Pure numbers; the outbox drainer applies them in the database.
 */

/** Posts per second a channel takes in the long run, and how many may go out back to back. */
export interface ChannelRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** Slack: chat.postMessage about 1 per second per channel, short bursts allowed (api.slack.com/docs/rate-limits). */
export const SLACK_CHANNEL_RATE: ChannelRate = { perSecond: 1, burst: 3 };

/**
 * The rate as GCRA parameters (a token bucket kept as one time): each post moves the channel's
 * "full again at" time `intervalMs` forward, and a post is allowed while that time is at most
 * `toleranceMs` ahead of now. In any window of W ms this lets through at most
 * `burst + W / intervalMs` posts, and at most `burst` in a window shorter than `intervalMs`.
 */
export function gcra(rate: ChannelRate): { intervalMs: number; toleranceMs: number } {
  if (!(rate.perSecond > 0) || !Number.isFinite(rate.perSecond)) {
    throw new RangeError(`A channel rate needs a positive number of posts per second (got ${rate.perSecond}).`);
  }
  if (!Number.isInteger(rate.burst) || rate.burst < 1) {
    throw new RangeError(`A channel burst must be a whole number of posts, at least 1 (got ${rate.burst}).`);
  }
  const intervalMs = 1000 / rate.perSecond;
  return { intervalMs, toleranceMs: (rate.burst - 1) * intervalMs };
}

/** When a post that failed for a passing reason is tried again. */
export interface RetryPolicy {
  /** Wait after the first failed attempt; doubles with each further one. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** After this many attempts the post is marked failed. */
  readonly maxAttempts: number;
}

/**
 * 1 s, 2 s, 4 s … capped at 30 s: forty attempts span about 18 minutes of Slack trouble. The cap is
 * short because a channel's head post holds the whole channel: once Slack answers again, its threads
 * catch up within 30 s instead of waiting out a long backoff.
 */
export const SLACK_RETRY_POLICY: RetryPolicy = { firstDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: 40 };

/** Wait before attempt `attempts + 1`, after `attempts` (≥ 1) failed attempts. */
export function retryDelayMs(attempts: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * A channel that refuses every post (the bot is not in it) is tried again after 1 min, 2, 4 … at
 * most hourly, and at once when the bot joins: its posts wait in order, none is dropped.
 */
export const BLOCKED_CHANNEL_RETRY: Pick<RetryPolicy, "firstDelayMs" | "maxDelayMs"> = {
  firstDelayMs: 60_000,
  maxDelayMs: 3_600_000,
};

/** Wait before trying a blocked channel again, after its `refusals` (≥ 1) refusals in a row. */
export function blockedChannelDelayMs(refusals: number): number {
  return retryDelayMs(refusals, { ...BLOCKED_CHANNEL_RETRY, maxAttempts: Infinity });
}

/** Channels (C…, G…) can be fixed by a person inviting the bot; a DM or user id cannot. */
export const canBeBlocked = (channel: string): boolean => /^[CG]/.test(channel);
