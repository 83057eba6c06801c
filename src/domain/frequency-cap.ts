import { NOT_SENT } from "./message-status";

/**
 * Frequency caps: at most `count` texts a campaign initiates to one number in any `days` × 24 h,
 * counted across every campaign. There is no federal cap for political texts; some states cap
 * solicitations at 3 per 24 h and the industry norm is about 4 a month (PLATFORM.md), so campaigns
 * choose, with 3 per 7 days as the default.
 *
 * Which texts count is decided here, in two forms a test keeps equal (test/integration/domain/rules-sql.test.ts):
 * `countsTowardCap` over messages in memory, and `textsTowardCapSql` that the send gate and the
 * frequency warnings run in the database.
 */

export interface FrequencyCap {
  count: number;
  days: number;
}

export interface CapMessage {
  direction: "inbound" | "outbound";
  /** Started by the campaign (a first text or a follow-up text), not a reply inside a conversation. */
  initiated: boolean;
  status: string;
  createdAt: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Initiated texts at or after this instant count toward the cap at `now` (exact 24-hour days). */
export function capWindowStart(now: Date, cap: FrequencyCap): Date {
  return new Date(now.getTime() - cap.days * DAY_MS);
}

/**
 * Texts a campaign initiated count, from every campaign, unless Twilio proved it never sent them;
 * replies written in a conversation and automatic answers (HELP, opt-out confirmations) do not.
 */
export function countsTowardCap(message: Omit<CapMessage, "createdAt">): boolean {
  return message.direction === "outbound" && message.initiated && message.status !== NOT_SENT;
}

/** How many of one number's messages count toward its cap at `now`. */
export function textsTowardCap(messages: readonly CapMessage[], now: Date, cap: FrequencyCap): number {
  const since = capWindowStart(now, cap).getTime();
  return messages.filter((m) => countsTowardCap(m) && m.createdAt.getTime() >= since).length;
}

/** True when one more initiated text keeps the number within the cap. */
export function allowsAnotherText(textsInWindow: number, cap: FrequencyCap): boolean {
  return textsInWindow < cap.count;
}

/** SQL twin of countsTowardCap, over a "Message" row aliased `m`. */
export const countsTowardCapSql = (m: string): string =>
  `(${m}.direction = 'outbound' AND ${m}.initiated AND ${m}.status <> '${NOT_SENT}')`;

/**
 * SQL twin of textsTowardCap: an int subquery counting the texts to the number `phone` that count
 * toward a cap of `days` (an SQL int expression) at `now` (an SQL timestamptz expression).
 */
export const textsTowardCapSql = (x: { phone: string; now: string; days: string }): string =>
  `(SELECT count(*)::int FROM "Message" cap_m WHERE cap_m."toPhone" = ${x.phone} AND ${countsTowardCapSql("cap_m")}
     AND cap_m."createdAt" >= ${x.now} - ${x.days} * interval '24 hours')`;

/**
 * SQL twin of textsTowardCap for many numbers at once: rows `(phone, texts)` for every number with
 * texts counting toward a cap of `days` at `now` (numbers with none have no row).
 */
export const textsTowardCapByPhoneSql = (x: { now: string; days: string }): string =>
  `SELECT cap_p."toPhone" AS phone, count(*)::int AS texts FROM "Message" cap_p
   WHERE ${countsTowardCapSql("cap_p")} AND cap_p."createdAt" >= ${x.now} - ${x.days} * interval '24 hours'
   GROUP BY cap_p."toPhone"`;

/** When a number at its cap has room for one more text again: null when it has room now. */
export function capFreesAt(messages: readonly CapMessage[], now: Date, cap: FrequencyCap): Date | null {
  const since = capWindowStart(now, cap).getTime();
  const counting = messages
    .filter((m) => countsTowardCap(m) && m.createdAt.getTime() >= since)
    .map((m) => m.createdAt.getTime())
    .sort((a, b) => a - b);
  if (allowsAnotherText(counting.length, cap)) return null;
  // Room returns when all but cap.count - 1 of them have left the window.
  return new Date(counting[counting.length - cap.count]! + cap.days * DAY_MS);
}

/** SQL twin of capFreesAt (a timestamptz, null when there is room now) for the number `phone`. */
export const capFreesAtSql = (x: { phone: string; now: string; days: string; count: string }): string =>
  `(SELECT cap_f."createdAt" + ${x.days} * interval '24 hours' FROM "Message" cap_f
     WHERE cap_f."toPhone" = ${x.phone} AND ${countsTowardCapSql("cap_f")}
       AND cap_f."createdAt" >= ${x.now} - ${x.days} * interval '24 hours'
     ORDER BY cap_f."createdAt" DESC OFFSET (${x.count} - 1) LIMIT 1)`;
