import fc from "fast-check";
import { wallMinute, wallTime } from "../../../src/domain/wall-time";

const ZONES = ["America/New_York", "America/Los_Angeles", "America/Phoenix", "Pacific/Honolulu", "Asia/Kolkata", "UTC"];

describe("wall times", () => {
  it("write the local date and time as if it were UTC, across a daylight saving change", () => {
    // 2026-03-08 06:59:30 UTC is 01:59:30 EST; a minute later it is 03:00:30 EDT.
    expect(new Date(wallTime("America/New_York", Date.parse("2026-03-08T06:59:30.250Z"))).toISOString()).toBe(
      "2026-03-08T01:59:30.250Z",
    );
    expect(new Date(wallTime("America/New_York", Date.parse("2026-03-08T07:00:30Z"))).toISOString()).toBe(
      "2026-03-08T03:00:30.000Z",
    );
    expect(new Date(wallTime("Asia/Kolkata", Date.parse("2026-11-30T15:00:00Z"))).toISOString()).toBe(
      "2026-11-30T20:30:00.000Z",
    );
  });

  it("give the minute's wall time, cached or not, as the exact one at the minute's start", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.parse("2020-01-01"), max: Date.parse("2035-01-01") }),
        (zone, instant) => {
          const minuteStart = Math.floor(instant / 60_000) * 60_000;
          expect(wallMinute(zone, instant)).toBe(wallTime(zone, minuteStart));
          expect(wallMinute(zone, instant)).toBe(wallTime(zone, minuteStart));
          expect(wallTime(zone, instant) - wallTime(zone, minuteStart)).toBe(instant - minuteStart);
        },
      ),
    );
  });
});
