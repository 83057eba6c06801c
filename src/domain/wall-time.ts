/*
 * Wall times: the local date and time in a zone, written as if it were UTC (so a day starts at a
 * multiple of 24 hours and getUTCDay() is the local weekday). Read with Intl and real IANA zones,
 * so daylight saving time is the zone data's business. Quiet hours and the daily digest both use it.
 */

const MINUTE = 60_000;

/** One formatter per zone: building one costs far more than using it, and the send path asks per click. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The wall time in `zone` at `instant`, to the millisecond. */
export function wallTime(zone: string, instant: number): number {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatterFor(zone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const seconds = Math.floor(instant / 1000) * 1000;
  return (
    Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    ) +
    (instant - seconds)
  );
}

/** Wall minutes already worked out, by zone and UTC minute: every click in a minute asks for the same few. */
const wallMinutes = new Map<string, number>();
const MAX_WALL_MINUTES = 10_000;

/** The wall time in `zone` at the start of `instant`'s minute (every zone in use is offset by whole minutes). */
export function wallMinute(zone: string, instant: number): number {
  const minute = Math.floor(instant / MINUTE) * MINUTE;
  const key = `${zone}|${minute}`;
  const known = wallMinutes.get(key);
  if (known !== undefined) return known;
  const wall = wallTime(zone, minute);
  if (wallMinutes.size >= MAX_WALL_MINUTES) wallMinutes.clear();
  wallMinutes.set(key, wall);
  return wall;
}
