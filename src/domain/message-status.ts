/**
 * Twilio's outbound message lifecycle: accepted → queued → sending → sent → delivered | undelivered,
 * or failed (never left Twilio). Status callbacks can arrive out of order; a later callback must
 * never move a message backwards (a late "sent" must not overwrite "delivered").
 */
export const OUTBOUND_STATUSES = [
  "accepted",
  "scheduled",
  "queued",
  "sending",
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "canceled",
  "read",
] as const;

export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

const RANK: Record<OutboundStatus, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  // Terminal outcomes outrank every step on the way.
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
  read: 5,
};

export function isOutboundStatus(value: string): value is OutboundStatus {
  return (OUTBOUND_STATUSES as readonly string[]).includes(value);
}

/** True when a callback reporting `next` should replace the stored `current` status. */
export function isStatusAdvance(current: OutboundStatus, next: OutboundStatus): boolean {
  return RANK[next] > RANK[current];
}

/** The stored statuses a callback reporting `next` may replace. */
export function statusesReplacedBy(next: OutboundStatus): OutboundStatus[] {
  return OUTBOUND_STATUSES.filter((current) => isStatusAdvance(current, next));
}

/** Our own statuses before Twilio answers: the click claimed the text, or Twilio's answer was lost. */
export const CLAIMED = "claimed";
export const UNCONFIRMED = "unconfirmed";
/** Never left: Twilio refused it, or reconciliation found Twilio never had it (Twilio's own "failed" means the same). */
export const NOT_SENT = "failed";

/** Reached the phone: what a report counts as delivered. */
export const DELIVERED_STATUSES: readonly string[] = ["delivered", "read"];
/** Never reached the phone: refused by Twilio (failed) or by the carrier (undelivered). */
export const FAILED_STATUSES: readonly string[] = [NOT_SENT, "undelivered"];
