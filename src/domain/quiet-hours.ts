import { z } from "zod";
import { US_STATE_ZONES, zoneForZip, zonesForPhone } from "./time-zone";
import { wallMinute } from "./wall-time";

/*
 * Quiet hours: a text may go out only while the send window is open in the recipient's local time
 * (PLATFORM.md, "Rules of political P2P texting"). Local time is read with Intl and real IANA zones,
 * so daylight saving time (and Arizona and Hawaii not observing it) is handled by the zone data.
 */

export const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One day's window in local minutes since midnight: `start` inclusive, `end` exclusive (1440 = midnight). */
export interface DailySendWindow {
  readonly start: number;
  readonly end: number;
}

/** When texts may go out, per local weekday; null closes the day. */
export interface SendWindowPolicy {
  readonly sunday: DailySendWindow | null;
  readonly monday: DailySendWindow | null;
  readonly tuesday: DailySendWindow | null;
  readonly wednesday: DailySendWindow | null;
  readonly thursday: DailySendWindow | null;
  readonly friday: DailySendWindow | null;
  readonly saturday: DailySendWindow | null;
}

export interface Recipient {
  phone: string;
  zip?: string | null;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const MINUTES_PER_DAY = 24 * 60;

const hours = (start: number, end: number): DailySendWindow => Object.freeze({ start: start * 60, end: end * 60 });

/** Monday–Saturday 09:00–20:00, Sunday 12:00–20:00: satisfies every state rule found (PLATFORM.md). */
export const DEFAULT_SEND_WINDOW: SendWindowPolicy = Object.freeze({
  sunday: hours(12, 20),
  monday: hours(9, 20),
  tuesday: hours(9, 20),
  wednesday: hours(9, 20),
  thursday: hours(9, 20),
  friday: hours(9, 20),
  saturday: hours(9, 20),
});

const dailySendWindowSchema = z
  .object({
    start: z
      .int()
      .min(0)
      .max(MINUTES_PER_DAY - 1),
    end: z.int().min(1).max(MINUTES_PER_DAY),
  })
  .refine((window) => window.start < window.end, { error: "must end after it starts", path: ["end"] });

const closedOrOpen = dailySendWindowSchema.nullable();

/** Validates a stored or custom policy: each day closed (null) or a window inside the day. */
export const sendWindowPolicySchema: z.ZodType<SendWindowPolicy> = z
  .object({
    sunday: closedOrOpen,
    monday: closedOrOpen,
    tuesday: closedOrOpen,
    wednesday: closedOrOpen,
    thursday: closedOrOpen,
    friday: closedOrOpen,
    saturday: closedOrOpen,
  })
  .refine(hasOpenDay, { error: "at least one day must have a sending window, or no text could ever be sent" });

/**
 * The zones whose local time applies to a recipient: the ZIP's zone and every zone of the phone's
 * area code; when neither is known, every clock of the 50 states.
 */
export function recipientZones(recipient: Recipient): string[] {
  const zipZone = zoneForZip(recipient.zip);
  const zones = [...(zipZone ? [zipZone] : []), ...zonesForPhone(recipient.phone)];
  return zones.length > 0 ? [...new Set(zones)] : [...US_STATE_ZONES];
}

/** True when the send window is open at `at` in every zone that applies to the recipient. */
export function isWithinSendWindow(
  recipient: { phone: string; zip?: string | null },
  at: Date,
  policy: SendWindowPolicy = DEFAULT_SEND_WINDOW,
): boolean {
  return recipientZones(recipient).every((zone) => isOpenIn(zone, at.getTime(), policy));
}

/**
 * The earliest instant at or after `at` when the window is open for the recipient: when to defer a
 * contact to. Throws when the policy has no open day, or when its windows never overlap across the
 * recipient's zones within a year (e.g. one short window and recipients unknown, so all US zones).
 */
export function nextWindowOpening(
  recipient: Recipient,
  at: Date,
  policy: SendWindowPolicy = DEFAULT_SEND_WINDOW,
): Date {
  if (!hasOpenDay(policy))
    throw new Error("The sending window is closed every day of the week, so no text can ever be sent.");
  const zones = recipientZones(recipient);
  const giveUpAt = at.getTime() + 400 * DAY;
  let instant = at.getTime();
  while (instant <= giveUpAt) {
    let moved = false;
    for (const zone of zones) {
      const opening = nextOpeningIn(zone, instant, policy);
      if (opening !== instant) {
        instant = opening;
        moved = true;
      }
    }
    if (!moved) return new Date(instant);
  }
  throw new Error(
    `The sending window is never open at the same time in all of this recipient's time zones (${zones.join(", ")}).`,
  );
}

/**
 * When the currently open window closes for the recipient (the first instant it is closed in one of
 * their zones), e.g. to bound Twilio's validityPeriod. Null when the window is closed at `at`, and
 * also when it never closes (a policy open around the clock).
 */
export function windowClosesAt(
  recipient: Recipient,
  at: Date,
  policy: SendWindowPolicy = DEFAULT_SEND_WINDOW,
): Date | null {
  const zones = recipientZones(recipient);
  const instant = at.getTime();
  if (!zones.every((zone) => isOpenIn(zone, instant, policy))) return null;
  const closings = zones.map((zone) => closingIn(zone, instant, policy)).filter((closing) => closing !== null);
  return closings.length > 0 ? new Date(Math.min(...closings)) : null;
}

/** True when the window is open at `at` in one time zone: e.g. the organization's working hours. */
export function isOpenInZone(zone: string, at: Date, policy: SendWindowPolicy = DEFAULT_SEND_WINDOW): boolean {
  return isOpenIn(zone, at.getTime(), policy);
}

/** Twilio's longest validityPeriod, in seconds: a text still waiting in its queue after that is dropped. */
export const MAX_VALIDITY_SECONDS = 36_000;
/** A window closing sooner than this counts as closed: the text would likely wait in Twilio's queue past it. */
export const MIN_VALIDITY_SECONDS = 60;

/** Whether a text may go out now; if so, how long Twilio may hold it, else when it may go. */
export type SendWindow = { open: true; validitySeconds: number } | { open: false; opensAt: Date; closingSoon: boolean };

/**
 * The one answer to "may a text go to this recipient at `now`": every text (first texts, follow-ups,
 * volunteers' replies) asks it. Open: Twilio may hold the text until the window closes (at most its
 * own limit), never past it. Closed, or closing within a minute: when it opens next.
 */
export function sendWindowFor(
  recipient: Recipient,
  now: Date,
  policy: SendWindowPolicy = DEFAULT_SEND_WINDOW,
): SendWindow {
  if (!isWithinSendWindow(recipient, now, policy)) {
    return { open: false, opensAt: nextWindowOpening(recipient, now, policy), closingSoon: false };
  }
  const closes = windowClosesAt(recipient, now, policy);
  const seconds = closes ? Math.floor((closes.getTime() - now.getTime()) / 1000) : MAX_VALIDITY_SECONDS;
  if (closes && seconds < MIN_VALIDITY_SECONDS) {
    return {
      open: false,
      opensAt: nextWindowOpening(recipient, new Date(closes.getTime() + 1000), policy),
      closingSoon: true,
    };
  }
  return { open: true, validitySeconds: Math.min(seconds, MAX_VALIDITY_SECONDS) };
}

function hasOpenDay(policy: SendWindowPolicy): boolean {
  return WEEKDAYS.some((day) => policy[day] !== null);
}

// --- Local wall-clock arithmetic. Instants are epoch milliseconds; a "wall" time is the local
// --- date and time written as if it were UTC (so getUTCDay() is the local weekday). US zone
// --- offsets are whole minutes, so window edges and offset changes fall on whole UTC minutes.

function isOpenIn(zone: string, instant: number, policy: SendWindowPolicy): boolean {
  const wall = wallMinute(zone, instant);
  const window = windowOn(policy, wall);
  const minute = minuteOfDay(wall);
  return window !== null && window.start <= minute && minute < window.end;
}

/** The earliest instant ≥ `instant` when the window is open in one zone. */
function nextOpeningIn(zone: string, instant: number, policy: SendWindowPolicy): number {
  if (isOpenIn(zone, instant, policy)) return instant;
  const from = Math.ceil(instant / MINUTE) * MINUTE; // the rest of this minute is closed too
  if (isOpenIn(zone, from, policy)) return from;
  const wall = wallMinute(zone, from);
  const candidate = from + (nextStartWall(policy, wall) - wall);
  // A clock change on the way shifts the wall clock: start again from the first minute after it.
  const change = firstOffsetChange(zone, from, candidate);
  return change === null ? candidate : nextOpeningIn(zone, change, policy);
}

/** The first instant > `instant` when the (open) window is closed in one zone; null if it never closes. */
function closingIn(zone: string, instant: number, policy: SendWindowPolicy, daysFollowed = 0): number | null {
  const from = Math.floor(instant / MINUTE) * MINUTE;
  const wall = wallMinute(zone, from);
  const window = windowOn(policy, wall);
  if (window === null || daysFollowed > 10) return null;
  const candidate = from + (startOfDay(wall) + window.end * MINUTE - wall);
  const change = firstOffsetChange(zone, from, candidate);
  if (change !== null) {
    return isOpenIn(zone, change, policy) ? closingIn(zone, change, policy, daysFollowed + 1) : change;
  }
  // A window ending at midnight runs on into a next-day window starting at midnight.
  return isOpenIn(zone, candidate, policy) ? closingIn(zone, candidate, policy, daysFollowed + 1) : candidate;
}

/** The wall time of the next window start after `wall` (the zone is closed at `wall`). */
function nextStartWall(policy: SendWindowPolicy, wall: number): number {
  for (let days = 0; days <= 7; days += 1) {
    const day = startOfDay(wall) + days * DAY;
    const window = windowOn(policy, day);
    if (window !== null && day + window.start * MINUTE > wall) return day + window.start * MINUTE;
  }
  throw new Error("The sending window is closed every day of the week, so no text can ever be sent.");
}

/**
 * The first whole minute in (from, to] whose UTC offset differs from the one at `from`, or null when
 * the offsets at both ends agree (US zones change at most twice a year, never twice in a week).
 */
function firstOffsetChange(zone: string, from: number, to: number): number | null {
  const offset = offsetAt(zone, from);
  if (offsetAt(zone, to) === offset) return null;
  let before = from;
  let after = to;
  while (after - before > MINUTE) {
    const middle = before + Math.floor((after - before) / MINUTE / 2) * MINUTE;
    if (offsetAt(zone, middle) === offset) before = middle;
    else after = middle;
  }
  return after;
}

function offsetAt(zone: string, instant: number): number {
  const minute = Math.floor(instant / MINUTE) * MINUTE;
  return wallMinute(zone, minute) - minute;
}

function windowOn(policy: SendWindowPolicy, wall: number): DailySendWindow | null {
  return policy[WEEKDAYS[new Date(wall).getUTCDay()] ?? "sunday"];
}

function startOfDay(wall: number): number {
  return Math.floor(wall / DAY) * DAY;
}

function minuteOfDay(wall: number): number {
  return Math.floor((wall - startOfDay(wall)) / MINUTE);
}

/** A campaign's stored policy, or the default when none is stored or it no longer validates: never looser than the law. */
export function storedPolicyOrDefault(stored: unknown): SendWindowPolicy {
  if (stored === null || stored === undefined) return DEFAULT_SEND_WINDOW;
  const parsed = sendWindowPolicySchema.safeParse(stored);
  return parsed.success ? parsed.data : DEFAULT_SEND_WINDOW;
}

/** "Mon, 9:00 AM EST": when something happens in the recipient's zone (New York's when unknown). */
export function localTimeLabel(at: Date, zone: string | null): string {
  const format = (timeZone: string) =>
    new Intl.DateTimeFormat("en-US", {
      weekday: "short",
      hour: "numeric",
      minute: "2-digit",
      timeZone,
      timeZoneName: "short",
    }).format(at);
  try {
    return format(zone ?? "America/New_York");
  } catch {
    return format("America/New_York"); // an unknown zone name
  }
}
