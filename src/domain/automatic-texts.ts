/**
 * Automatic texts: what the app sends on its own in a conversation, written by no person (the
 * campaign's answer to HELP, the opt-out confirmation). At most AUTOMATIC_TEXT_LIMIT.count of them
 * go to one number in any AUTOMATIC_TEXT_LIMIT.hours hours.
 *
 * Why: an automatic answer can loop with another automated sender (an auto-responder answering our
 * answer), or be triggered over and over to have us text a number; each costs a segment, and
 * carriers filter senders that repeat themselves. A person in the thread can always answer instead.
 * Three a day answers a voter who really asks again, and stops any loop on its fourth turn.
 */

export const AUTOMATIC_TEXT_LIMIT = { count: 3, hours: 24 } as const;

export interface TextToNumber {
  direction: "inbound" | "outbound";
  /** Started by a campaign (first text or follow-up). */
  initiated: boolean;
  /** The volunteer whose click or reply sent it; null when nobody did. */
  sentBy: string | null;
  createdAt: Date;
}

const HOUR_MS = 60 * 60 * 1000;

/** Automatic texts at or after this instant count toward the limit at `now`. */
export function automaticTextWindowStart(now: Date): Date {
  return new Date(now.getTime() - AUTOMATIC_TEXT_LIMIT.hours * HOUR_MS);
}

/** A text the app sent on its own: outbound, not started by a campaign, and sent by no volunteer. */
export function isAutomaticText(text: Omit<TextToNumber, "createdAt">): boolean {
  return text.direction === "outbound" && !text.initiated && text.sentBy === null;
}

/**
 * True when one more automatic text to a number keeps it within the limit at `now`, given the
 * number's texts (any kind: only automatic ones in the window count). Every attempt counts, sent or not.
 */
export function allowsAutomaticText(texts: readonly TextToNumber[], now: Date): boolean {
  const since = automaticTextWindowStart(now).getTime();
  const recent = texts.filter((t) => isAutomaticText(t) && t.createdAt.getTime() >= since);
  return recent.length < AUTOMATIC_TEXT_LIMIT.count;
}
