import fc from "fast-check";
import {
  DEFAULT_SEND_WINDOW,
  isWithinSendWindow,
  localTimeLabel,
  nextWindowOpening,
  recipientZones,
  sendWindowPolicySchema,
  storedPolicyOrDefault,
  WEEKDAYS,
  windowClosesAt,
  type DailySendWindow,
  type Recipient,
  type SendWindowPolicy,
} from "../../../src/domain/quiet-hours";
import { US_STATE_ZONES } from "../../../src/domain/time-zone";

const at = (iso: string) => new Date(iso);
const hm = (hours: number, minutes = 0) => hours * 60 + minutes;

const NEW_YORK = { phone: "+12125550143" };
const TOLL_FREE = { phone: "+18005550143" };

/** Reads local weekday and time with toLocaleString: an oracle independent of quiet-hours.ts. */
function localClock(zone: string, instant: Date): { weekday: number; minute: number } {
  const text = instant.toLocaleString("en-US", {
    timeZone: zone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const [day = "", time = ""] = text.split(" ");
  const [hours = 0, minutes = 0] = time.split(":").map(Number);
  return { weekday: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(day), minute: hours * 60 + minutes };
}

function openIn(zone: string, instant: Date, policy: SendWindowPolicy): boolean {
  const { weekday, minute } = localClock(zone, instant);
  const window = policy[WEEKDAYS[weekday] ?? "sunday"];
  return window !== null && window.start <= minute && minute < window.end;
}

function openForAll(recipient: Recipient, instant: Date, policy: SendWindowPolicy): boolean {
  return recipientZones(recipient).every((zone) => openIn(zone, instant, policy));
}

const withSunday = (sunday: DailySendWindow | null): SendWindowPolicy => ({ ...DEFAULT_SEND_WINDOW, sunday });

describe("the default send window (PLATFORM.md)", () => {
  it("opens Monday–Saturday at 09:00 and Sunday at noon, local time", () => {
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-14T12:59:59.999Z"))).toBe(false); // Mon 08:59 EDT
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-14T13:00:00Z"))).toBe(true); // Mon 09:00
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-19T13:00:00Z"))).toBe(true); // Sat 09:00
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-13T13:00:00Z"))).toBe(false); // Sun 09:00
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-13T15:59:00Z"))).toBe(false); // Sun 11:59
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-13T16:00:00Z"))).toBe(true); // Sun 12:00
  });

  it("closes at 20:00 exactly: the end is exclusive", () => {
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-15T23:59:59.999Z"))).toBe(true); // 19:59:59.999 EDT
    expect(isWithinSendWindow(NEW_YORK, at("2025-07-16T00:00:00Z"))).toBe(false); // 20:00 EDT
    expect(windowClosesAt(NEW_YORK, at("2025-07-15T20:00:00Z"))).toEqual(at("2025-07-16T00:00:00Z"));
  });

  it("validates as a stored policy", () => {
    expect(sendWindowPolicySchema.parse(DEFAULT_SEND_WINDOW)).toEqual(DEFAULT_SEND_WINDOW);
  });
});

describe("local time in real zones", () => {
  const phoenix = { phone: "+16025550143", zip: "85004" };
  const denver = { phone: "+13035550143", zip: "80202" };

  it("keeps Arizona on standard time while Denver observes daylight saving", () => {
    const summerMorning = at("2025-07-15T15:30:00Z"); // Denver 09:30 MDT, Phoenix 08:30 MST
    expect(isWithinSendWindow(denver, summerMorning)).toBe(true);
    expect(isWithinSendWindow(phoenix, summerMorning)).toBe(false);
    const winterMorning = at("2025-01-14T16:30:00Z"); // both 09:30 MST
    expect(isWithinSendWindow(denver, winterMorning)).toBe(true);
    expect(isWithinSendWindow(phoenix, winterMorning)).toBe(true);
  });

  it("keeps Honolulu on the same UTC hours all year", () => {
    const honolulu = { phone: "+18085550143", zip: "96813" };
    for (const day of ["2025-01-14", "2025-07-15"]) {
      expect(isWithinSendWindow(honolulu, at(`${day}T18:59:00Z`))).toBe(false);
      expect(isWithinSendWindow(honolulu, at(`${day}T19:00:00Z`))).toBe(true); // 09:00 HST
    }
  });

  it("follows New York's spring-forward day (Sunday 9 March 2025, 02:00 → 03:00)", () => {
    expect(nextWindowOpening(NEW_YORK, at("2025-03-09T01:30:00Z"))).toEqual(at("2025-03-09T16:00:00Z")); // noon EDT
    expect(windowClosesAt(NEW_YORK, at("2025-03-09T20:00:00Z"))).toEqual(at("2025-03-10T00:00:00Z")); // 20:00 EDT
    // A window starting inside the skipped hour opens when the clock jumps to 03:00.
    const earlySunday = withSunday({ start: hm(2, 30), end: hm(4) });
    expect(nextWindowOpening(NEW_YORK, at("2025-03-09T06:30:00Z"), earlySunday)).toEqual(at("2025-03-09T07:00:00Z"));
    expect(windowClosesAt(NEW_YORK, at("2025-03-09T07:10:00Z"), earlySunday)).toEqual(at("2025-03-09T08:00:00Z"));
  });

  it("follows New York's fall-back day (Sunday 2 November 2025, 02:00 → 01:00)", () => {
    expect(nextWindowOpening(NEW_YORK, at("2025-11-02T00:30:00Z"))).toEqual(at("2025-11-02T17:00:00Z")); // noon EST
    // The hour 01:00–02:00 happens twice: a window inside it opens twice.
    const repeatedHour = withSunday({ start: hm(1), end: hm(1, 30) });
    expect(windowClosesAt(NEW_YORK, at("2025-11-02T05:15:00Z"), repeatedHour)).toEqual(at("2025-11-02T05:30:00Z"));
    expect(nextWindowOpening(NEW_YORK, at("2025-11-02T05:45:00Z"), repeatedHour)).toEqual(at("2025-11-02T06:00:00Z"));
    expect(windowClosesAt(NEW_YORK, at("2025-11-02T06:15:00Z"), repeatedHour)).toEqual(at("2025-11-02T06:30:00Z"));
  });
});

describe("which zones apply", () => {
  it("uses both zones when the ZIP and the area code disagree", () => {
    const movedToBeverlyHills = { phone: "+12125550143", zip: "90210" };
    expect(recipientZones(movedToBeverlyHills)).toEqual(["America/Los_Angeles", "America/New_York"]);
    expect(isWithinSendWindow(movedToBeverlyHills, at("2025-07-15T15:00:00Z"))).toBe(false); // NY 11:00, LA 08:00
    expect(isWithinSendWindow(movedToBeverlyHills, at("2025-07-15T16:00:00Z"))).toBe(true); // LA 09:00
    expect(isWithinSendWindow(movedToBeverlyHills, at("2025-07-16T00:00:00Z"))).toBe(false); // NY 20:00
  });

  it("uses every zone of a split area code when there is no ZIP", () => {
    expect(recipientZones({ phone: "+12085550143" })).toEqual(["America/Boise", "America/Los_Angeles"]);
  });

  it("uses the ZIP alone for a toll-free number", () => {
    expect(recipientZones({ phone: "+18005550143", zip: "60601" })).toEqual(["America/Chicago"]);
  });

  it("uses every US clock when nothing is known", () => {
    expect(recipientZones(TOLL_FREE)).toEqual([...US_STATE_ZONES]);
    expect(recipientZones({ phone: "+442079460958", zip: null })).toEqual([...US_STATE_ZONES]);
  });

  it("texts a toll-free number only while the window is open from New York to Honolulu", () => {
    // Tuesday in July: Honolulu opens at 19:00Z (09:00 HST), New York closes at 00:00Z (20:00 EDT).
    expect(isWithinSendWindow(TOLL_FREE, at("2025-07-15T18:59:59Z"))).toBe(false);
    expect(isWithinSendWindow(TOLL_FREE, at("2025-07-15T19:00:00Z"))).toBe(true);
    expect(isWithinSendWindow(TOLL_FREE, at("2025-07-15T23:59:59Z"))).toBe(true);
    expect(isWithinSendWindow(TOLL_FREE, at("2025-07-16T00:00:00Z"))).toBe(false);
    expect(nextWindowOpening(TOLL_FREE, at("2025-07-15T05:00:00Z"))).toEqual(at("2025-07-15T19:00:00Z"));
    expect(windowClosesAt(TOLL_FREE, at("2025-07-15T20:00:00Z"))).toEqual(at("2025-07-16T00:00:00Z"));
    // Sunday: only from Honolulu's noon (22:00Z) to New York's 20:00 (00:00Z).
    expect(nextWindowOpening(TOLL_FREE, at("2025-07-13T12:00:00Z"))).toEqual(at("2025-07-13T22:00:00Z"));
  });
});

describe("nextWindowOpening and windowClosesAt", () => {
  it("returns the same instant when the window is already open", () => {
    const open = at("2025-07-15T14:00:00.123Z");
    expect(nextWindowOpening(NEW_YORK, open)).toEqual(open);
  });

  it("returns null from windowClosesAt while the window is closed", () => {
    expect(windowClosesAt(NEW_YORK, at("2025-07-15T05:00:00Z"))).toBeNull();
  });

  it("runs a window ending at midnight on into the next day's window starting at midnight", () => {
    const lateAndEarly: SendWindowPolicy = {
      ...DEFAULT_SEND_WINDOW,
      monday: { start: hm(18), end: hm(24) },
      tuesday: { start: 0, end: hm(2) },
    };
    expect(windowClosesAt(NEW_YORK, at("2025-07-14T23:00:00Z"), lateAndEarly)).toEqual(at("2025-07-15T06:00:00Z")); // Tue 02:00 EDT
  });

  it("throws a clear error for a policy with no open day", () => {
    const closed = Object.fromEntries(WEEKDAYS.map((day) => [day, null])) as unknown as SendWindowPolicy;
    expect(() => nextWindowOpening(NEW_YORK, at("2025-07-15T05:00:00Z"), closed)).toThrow(/closed every day/);
  });

  it("throws a clear error when the windows never overlap across the recipient's zones", () => {
    const oneMondayHour: SendWindowPolicy = {
      ...(Object.fromEntries(WEEKDAYS.map((day) => [day, null])) as unknown as SendWindowPolicy),
      monday: { start: hm(9), end: hm(10) },
    };
    expect(nextWindowOpening(NEW_YORK, at("2025-07-15T05:00:00Z"), oneMondayHour)).toEqual(at("2025-07-21T13:00:00Z"));
    expect(() => nextWindowOpening(TOLL_FREE, at("2025-07-15T05:00:00Z"), oneMondayHour)).toThrow(
      /never open at the same time/,
    );
  });
});

describe("sendWindowPolicySchema", () => {
  it("accepts closed days and whole-day windows", () => {
    const custom = { ...DEFAULT_SEND_WINDOW, sunday: null, saturday: { start: 0, end: 1440 } };
    expect(sendWindowPolicySchema.parse(custom)).toEqual(custom);
  });

  it.each<[unknown, string]>([
    [{ ...DEFAULT_SEND_WINDOW, monday: { start: hm(20), end: hm(9) } }, "ends before it starts"],
    [{ ...DEFAULT_SEND_WINDOW, monday: { start: hm(9), end: hm(9) } }, "is empty"],
    [{ ...DEFAULT_SEND_WINDOW, monday: { start: -1, end: hm(9) } }, "starts before midnight"],
    [{ ...DEFAULT_SEND_WINDOW, monday: { start: hm(9), end: 1441 } }, "ends after midnight"],
    [{ ...DEFAULT_SEND_WINDOW, monday: { start: 9.5, end: hm(10) } }, "is not in whole minutes"],
    [{ ...DEFAULT_SEND_WINDOW, friday: undefined }, "forgets a day"],
    [Object.fromEntries(WEEKDAYS.map((day) => [day, null])), "is closed every day"],
  ])("rejects policy %# (%s)", (policy) => {
    expect(sendWindowPolicySchema.safeParse(policy).success).toBe(false);
  });
});

describe("quiet-hours properties", () => {
  const recipient = fc.record({
    phone: fc.constantFrom(
      "+12125550143", // New York
      "+12085550143", // Idaho: Mountain and Pacific
      "+19285550143", // Arizona with the Navajo Nation
      "+18505550143", // Florida panhandle
      "+19075550143", // Alaska with the Aleutians
      "+18085550143", // Hawaii
      "+18005550143", // toll-free
      "+17875550143", // Puerto Rico
      "+14165550143", // Toronto: no zone known
      "+442079460958",
    ),
    zip: fc.constantFrom(
      null,
      undefined,
      "",
      "90210",
      "10001",
      "85004",
      "86515",
      "96813",
      "99501",
      "83814",
      "97914",
      "ABCDE",
    ),
  });
  const instant = fc.date({ min: at("2020-01-01T00:00:00Z"), max: at("2035-12-31T00:00:00Z"), noInvalidDate: true });
  const dailyWindow = fc
    .integer({ min: 0, max: 1439 })
    .chain((start) => fc.integer({ min: start + 1, max: 1440 }).map((end) => ({ start, end })));
  const policy = fc.oneof(
    fc.constant(DEFAULT_SEND_WINDOW),
    fc
      .tuple(...WEEKDAYS.map(() => fc.option(dailyWindow, { nil: null, freq: 3 })))
      .map(
        (days) => Object.fromEntries(WEEKDAYS.map((day, i) => [day, days[i] ?? null])) as unknown as SendWindowPolicy,
      )
      .filter((p) => WEEKDAYS.some((day) => p[day] !== null)),
  );

  it("(a) is within the window exactly when every zone's local time is inside it", () => {
    fc.assert(
      fc.property(recipient, instant, policy, (r, t, p) => {
        expect(isWithinSendWindow(r, t, p)).toBe(openForAll(r, t, p));
      }),
      { numRuns: 500 },
    );
  });

  it("(b) nextWindowOpening is the earliest open instant at or after t", () => {
    fc.assert(
      fc.property(
        recipient,
        instant,
        policy,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (r, t, p, fractions) => {
          let opening: Date;
          try {
            opening = nextWindowOpening(r, t, p);
          } catch (error) {
            expect(String(error)).toMatch(/never open at the same time/);
            return;
          }
          expect(opening.getTime()).toBeGreaterThanOrEqual(t.getTime());
          expect(openForAll(r, opening, p)).toBe(true);
          const gap = opening.getTime() - t.getTime();
          if (gap > 0) {
            const earlier = [0, 0.5, ...fractions]
              .map((f) => t.getTime() + Math.floor(f * gap))
              .filter((e) => e < opening.getTime());
            for (const e of [...earlier, opening.getTime() - 1]) expect(openForAll(r, new Date(e), p)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("(c) windowClosesAt is the first closed instant after an open one", () => {
    fc.assert(
      fc.property(recipient, instant, policy, (r, t, p) => {
        const closes = windowClosesAt(r, t, p);
        if (!openForAll(r, t, p)) {
          expect(closes).toBeNull();
          return;
        }
        if (closes === null) return; // open around the clock
        expect(closes.getTime()).toBeGreaterThan(t.getTime());
        expect(openForAll(r, new Date(closes.getTime() - 1), p)).toBe(true);
        expect(openForAll(r, closes, p)).toBe(false);
        const middle = new Date(t.getTime() + Math.floor((closes.getTime() - t.getTime()) / 2));
        expect(openForAll(r, middle, p)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("(c) also holds right at open instants found by nextWindowOpening", () => {
    fc.assert(
      fc.property(recipient, instant, (r, t) => {
        const opening = nextWindowOpening(r, t);
        const closes = windowClosesAt(r, opening);
        expect(closes).not.toBeNull();
        expect(openForAll(r, new Date((closes?.getTime() ?? 0) - 1), DEFAULT_SEND_WINDOW)).toBe(true);
        expect(openForAll(r, closes ?? opening, DEFAULT_SEND_WINDOW)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe("stored policies and local times", () => {
  it("use the default window when none is stored or the stored one no longer validates", () => {
    const standard = DEFAULT_SEND_WINDOW;
    expect(storedPolicyOrDefault(null)).toBe(standard);
    expect(storedPolicyOrDefault({ monday: { start: 600, end: 500 } })).toBe(standard);
    const weekdays = { ...standard, saturday: null, sunday: null };
    expect(storedPolicyOrDefault(JSON.parse(JSON.stringify(weekdays)))).toEqual(weekdays);
  });

  it("name a moment in the recipient's zone, New York's when it is unknown", () => {
    const nineInNewYork = new Date("2026-11-30T14:00:00Z");
    expect(localTimeLabel(nineInNewYork, "America/New_York")).toBe("Mon, 9:00 AM EST");
    expect(localTimeLabel(nineInNewYork, "Pacific/Honolulu")).toBe("Mon, 4:00 AM HST");
    expect(localTimeLabel(nineInNewYork, null)).toBe("Mon, 9:00 AM EST");
    expect(localTimeLabel(nineInNewYork, "Not/AZone")).toBe("Mon, 9:00 AM EST");
  });
});
