import { optedOutSql } from "./suppression";

/*
 * Follow-up texts: most people need more than one touch. A campaign has up to two follow-up
 * scripts, each sent a number of days after the previous text to contacts who have not replied.
 * A contact is due for the next follow-up when (and only when):
 * - its last text in this campaign went out (status sent) at least that follow-up's delay ago;
 * - the campaign has a follow-up for the next step;
 * - they have not replied since the campaign's first text (someone who replied is in a
 *   conversation, where volunteers answer; they get no scripted follow-up);
 * - their number is not opted out.
 * The campaign must be running too; callers check that with campaign-status.ts. Decided here in
 * two forms a test keeps equal (test/integration/domain/rules-sql.test.ts).
 */

/** Days after the previous text, for follow-up 1 and 2, unless the organizer changes them. */
export const DEFAULT_FOLLOW_UP_DELAYS = [2, 5] as const;
export const MAX_FOLLOW_UPS = DEFAULT_FOLLOW_UP_DELAYS.length;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface FollowUpScript {
  /** 0 for follow-up 1, 1 for follow-up 2. */
  position: number;
  delayDays: number | null;
}

export interface FollowUpFacts {
  status: string;
  /** The text the entry is on: 0 the first text, 1 and 2 the follow-ups. */
  step: number;
  firstTextAt: Date | null;
  lastTextAt: Date | null;
  optedOut: boolean;
  /** When the contact texted us (any campaign). */
  replies: readonly Date[];
}

/** The follow-up step the entry is due for at `now` (1 or 2), or null. */
export function dueFollowUpStep(facts: FollowUpFacts, scripts: readonly FollowUpScript[], now: Date): number | null {
  if (facts.status !== "sent" || facts.optedOut || !facts.firstTextAt || !facts.lastTextAt) return null;
  const next = scripts.find((s) => s.position === facts.step);
  if (!next || next.delayDays === null) return null;
  if (facts.lastTextAt.getTime() > now.getTime() - next.delayDays * DAY_MS) return null;
  const since = facts.firstTextAt.getTime();
  if (facts.replies.some((at) => at.getTime() >= since)) return null;
  return facts.step + 1;
}

/** SQL twin of "has replied since the campaign's first text", over a "CampaignContact" alias. */
export const repliedSinceFirstTextSql = (entry: string): string =>
  `EXISTS (SELECT 1 FROM "Message" fu_r WHERE fu_r."contactId" = ${entry}."contactId" AND fu_r.direction = 'inbound'
     AND fu_r."createdAt" >= ${entry}."firstTextAt")`;

/**
 * SQL twin of dueFollowUpStep: true when the "CampaignContact" `entry` (its "Contact" is `contact`)
 * is due for its next follow-up at `now` (an SQL timestamptz expression).
 */
export const followUpDueSql = (x: { entry: string; contact: string; now: string }): string =>
  `(${x.entry}.status = 'sent' AND ${x.entry}."firstTextAt" IS NOT NULL AND ${x.entry}."lastTextAt" IS NOT NULL
    AND EXISTS (SELECT 1 FROM "ScriptVariant" fu_s WHERE fu_s."campaignId" = ${x.entry}."campaignId" AND fu_s.kind = 'follow_up'
      AND fu_s.position = ${x.entry}.step AND ${x.entry}."lastTextAt" <= ${x.now} - fu_s."delayDays" * interval '24 hours')
    AND NOT ${repliedSinceFirstTextSql(x.entry)}
    AND NOT ${optedOutSql(`${x.contact}.phone`)})`;
