import { DEFAULT_SEND_WINDOW, isOpenInZone } from "./quiet-hours";

/*
 * A voter who texted us waits on a volunteer. After a while (20 minutes by default) their thread
 * gets one nudge; after longer with no answer from the volunteer in charge (90 minutes), the
 * conversation goes back to the pool so someone else can take it. Both happen only inside the
 * organization's working hours (the default sending hours, in its time zone), so nobody is
 * pinged at night and a conversation is not taken from someone asleep.
 */

/** The organization's working hours: the legal default sending window, read in its own time zone. */
export const WORKING_HOURS = DEFAULT_SEND_WINDOW;

export const isWorkingTime = (zone: string, at: Date): boolean => isOpenInZone(zone, at, WORKING_HOURS);

export interface WaitingConversation {
  waitingSince: Date;
  nudgedAt: Date | null;
  assignee: string | null;
  assignedAt: Date | null;
}

export interface WaitSettings {
  nudgeAfterMinutes: number;
  releaseAfterMinutes: number;
}

const MINUTE = 60_000;

/** What is due for a waiting conversation at `now` (inside working hours): a release, a nudge, or nothing. */
export function waitAction(c: WaitingConversation, now: Date, settings: WaitSettings): "release" | "nudge" | null {
  const waited = now.getTime() - c.waitingSince.getTime();
  // The volunteer in charge is judged from when they took it, if that was after the voter spoke.
  const held = c.assignedAt && c.assignedAt > c.waitingSince ? now.getTime() - c.assignedAt.getTime() : waited;
  if (c.assignee && held >= settings.releaseAfterMinutes * MINUTE) return "release";
  const nudged = c.nudgedAt !== null && c.nudgedAt >= c.waitingSince;
  if (!nudged && waited >= settings.nudgeAfterMinutes * MINUTE) return "nudge";
  return null;
}
