/**
 * Frequency caps: at most `count` texts a campaign initiates to one number in any `days` × 24 h,
 * counted across every campaign. Replies inside a conversation do not count. There is no federal
 * cap for political texts; some states cap solicitations at 3 per 24 h and the industry norm is
 * about 4 a month (PLATFORM.md), so campaigns choose, with 3 per 7 days as the default.
 */

export interface FrequencyCap {
  count: number;
  days: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Initiated texts at or after this instant count toward the cap at `now`. */
export function capWindowStart(now: Date, cap: FrequencyCap): Date {
  return new Date(now.getTime() - cap.days * DAY_MS);
}

/** True when one more initiated text keeps the number within the cap. */
export function allowsAnotherText(initiatedInWindow: number, cap: FrequencyCap): boolean {
  return initiatedInWindow < cap.count;
}
