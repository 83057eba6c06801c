import {
  DEFAULT_DIGEST_MINUTE,
  DIGEST_MINUTE_CHOICES,
  digestDay,
  digestDue,
  digestSoon,
  digestTimeLabel,
  isDigestMinute,
} from "../../../src/domain/daily-digest";

const NY = "America/New_York";

describe("the daily digest's calendar", () => {
  it("places now in the organization's local day: date, minute, and the instants today and yesterday span", () => {
    // Tuesday Nov 3 2026, 09:30 in New York (EST, UTC-5).
    expect(digestDay(new Date("2026-11-03T14:30:00Z"), NY)).toEqual({
      date: "2026-11-03",
      timeZone: NY,
      minute: 570,
      start: new Date("2026-11-03T05:00:00Z"),
      end: new Date("2026-11-04T05:00:00Z"),
      yesterday: { date: "2026-11-02", start: new Date("2026-11-02T05:00:00Z"), end: new Date("2026-11-03T05:00:00Z") },
    });
  });

  it("turns the date at local midnight, not UTC's", () => {
    expect(digestDay(new Date("2026-11-03T04:59:00Z"), NY)).toMatchObject({ date: "2026-11-02", minute: 1439 });
    expect(digestDay(new Date("2026-11-03T05:00:00Z"), NY)).toMatchObject({ date: "2026-11-03", minute: 0 });
    // 19:00 in Honolulu is already tomorrow in UTC.
    expect(digestDay(new Date("2026-11-03T05:00:00Z"), "Pacific/Honolulu")).toMatchObject({
      date: "2026-11-02",
      minute: 1140,
      start: new Date("2026-11-02T10:00:00Z"),
    });
  });

  it("gives a yesterday of 25 hours after clocks fall back and of 23 hours after they spring forward", () => {
    const afterFallBack = digestDay(new Date("2026-11-02T14:30:00Z"), NY).yesterday;
    expect(afterFallBack).toEqual({
      date: "2026-11-01",
      start: new Date("2026-11-01T04:00:00Z"),
      end: new Date("2026-11-02T05:00:00Z"),
    });
    const afterSpringForward = digestDay(new Date("2026-03-09T13:30:00Z"), NY).yesterday;
    expect(afterSpringForward.end.getTime() - afterSpringForward.start.getTime()).toBe(23 * 3_600_000);
  });

  it("starts a day whose midnight a clock change skipped at the moment it began", () => {
    // Cuba moves its clocks from 00:00 to 01:00: Mar 8 2026 begins at 01:00 CDT, 05:00 UTC.
    expect(digestDay(new Date("2026-03-08T12:00:00Z"), "America/Havana")).toMatchObject({
      date: "2026-03-08",
      start: new Date("2026-03-08T05:00:00Z"),
      end: new Date("2026-03-09T04:00:00Z"),
    });
  });

  it("is due from the campaign's minute on, 9:30 when it picked none", () => {
    expect(DEFAULT_DIGEST_MINUTE).toBe(570);
    expect(digestDue({ minute: 569 }, null)).toBe(false);
    expect(digestDue({ minute: 570 }, null)).toBe(true);
    expect(digestDue({ minute: 600 }, 1200)).toBe(false);
    expect(digestDue({ minute: 1439 }, 1200)).toBe(true);
  });

  it("asks thread links in the half hour before the digest time, not before it, not after", () => {
    expect([539, 540, 569, 570].map((minute) => digestSoon({ minute }, null))).toEqual([false, true, true, false]);
    expect([1169, 1170, 1199, 1200].map((minute) => digestSoon({ minute }, 1200))).toEqual([false, true, true, false]);
  });

  it("offers every half hour from 7 AM to 8 PM and labels times as people read them", () => {
    expect(DIGEST_MINUTE_CHOICES.map(digestTimeLabel)).toEqual(
      expect.arrayContaining(["7:00 AM", "9:30 AM", "12:00 PM", "12:30 PM", "8:00 PM"]),
    );
    expect(DIGEST_MINUTE_CHOICES).toHaveLength(27);
    expect(digestTimeLabel(0)).toBe("12:00 AM");
    expect([0, 1439, 570].every(isDigestMinute)).toBe(true);
    expect([-1, 1440, 9.5, Number.NaN].some(isDigestMinute)).toBe(false);
  });
});
