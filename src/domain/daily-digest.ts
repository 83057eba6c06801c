/*
 * The daily digest's calendar: each running campaign's reply channel gets one digest a day, at a
 * local time in the organization's zone (ORG_TIME_ZONE), 09:30 unless the campaign picks another.
 * "Today" and "yesterday" are the organization's local days, so a digest posted at 09:30 in New
 * York counts yesterday from New York's midnight to midnight, daylight saving time included.
 * Pure: the caller passes `now`.
 */

import { wallTime } from "./wall-time";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Minutes after local midnight when a campaign's digest is posted unless it picks another time. */
export const DEFAULT_DIGEST_MINUTE = 9 * 60 + 30;

/** The times the campaign form offers: every half hour from 07:00 to 20:00. */
export const DIGEST_MINUTE_CHOICES: readonly number[] = Object.freeze(
  Array.from({ length: (20 - 7) * 2 + 1 }, (_, i) => 7 * 60 + i * 30),
);

/** A digest time any campaign may store: a minute of the day. */
export function isDigestMinute(minute: number): boolean {
  return Number.isInteger(minute) && minute >= 0 && minute < 24 * 60;
}

/** 570 → "9:30 AM". */
export function digestTimeLabel(minute: number): string {
  const hour = Math.floor(minute / 60);
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${h12}:${String(minute % 60).padStart(2, "0")} ${hour < 12 ? "AM" : "PM"}`;
}

/** One local calendar day: its date and the instants it starts and ends at. */
export interface LocalDate {
  /** "2026-11-03". */
  date: string;
  start: Date;
  /** The next day's start (exclusive). */
  end: Date;
}

/** Where `now` falls in the organization's calendar. */
export interface DigestDay extends LocalDate {
  timeZone: string;
  /** Minutes since local midnight at `now`. */
  minute: number;
  yesterday: LocalDate;
}

/** Today and yesterday in `zone` at `now`. */
export function digestDay(now: Date, zone: string): DigestDay {
  const wall = wallTime(zone, now.getTime());
  const todayWall = Math.floor(wall / DAY) * DAY;
  const day = (dayWall: number): LocalDate => ({
    date: new Date(dayWall).toISOString().slice(0, 10),
    start: new Date(instantOfWall(zone, dayWall)),
    end: new Date(instantOfWall(zone, dayWall + DAY)),
  });
  return {
    ...day(todayWall),
    timeZone: zone,
    minute: Math.floor((wall - todayWall) / MINUTE),
    yesterday: day(todayWall - DAY),
  };
}

/** True once the campaign's digest time (null: the default) has come on `day`. */
export function digestDue(day: Pick<DigestDay, "minute">, digestMinute: number | null): boolean {
  return day.minute >= (digestMinute ?? DEFAULT_DIGEST_MINUTE);
}

/** Thread links for a digest are asked this long before its time, so the post does not wait on Slack. */
export const LINKS_AHEAD_MINUTES = 30;

/** True in the half hour before the campaign's digest time (null: the default) on `day`. */
export function digestSoon(day: Pick<DigestDay, "minute">, digestMinute: number | null): boolean {
  const at = digestMinute ?? DEFAULT_DIGEST_MINUTE;
  return day.minute < at && day.minute >= at - LINKS_AHEAD_MINUTES;
}

/** The outbox key that makes a campaign's digest for a date one post, whatever the processes and restarts. */
export const digestKey = (campaignId: string, date: string): string => `digest:${campaignId}:${date}`;

/** The same for one volunteer's share of it, sent as a direct message. */
export const digestDirectKey = (campaignId: string, volunteer: string, date: string): string =>
  `digest-dm:${campaignId}:${volunteer}:${date}`;

/**
 * The first instant whose local wall time is at or after `wall`: the wall time itself, or when a
 * clock change skipped it (a zone moving its clocks at midnight), the moment the day began.
 */
function instantOfWall(zone: string, wall: number): number {
  let guess = wall - (wallTime(zone, wall) - wall);
  for (let i = 0; i < 2; i++) {
    const seen = wallTime(zone, guess);
    if (seen === wall) break;
    guess += wall - seen;
  }
  // A skipped hour: step back while an earlier instant still lies on or after the wall time.
  while (wallTime(zone, guess - MINUTE) >= wall) guess -= MINUTE;
  while (wallTime(zone, guess) < wall) guess += MINUTE;
  return guess;
}
