import { allowsAnotherText, capWindowStart } from "../../../src/domain/frequency-cap";

describe("frequency caps", () => {
  it("count whole 24-hour days back from now, across a daylight-saving change too", () => {
    // US clocks fell back on Nov 1 2026: the window is still exactly 7 × 24 hours.
    expect(capWindowStart(new Date("2026-11-04T15:00:00Z"), { count: 3, days: 7 }).toISOString()).toBe(
      "2026-10-28T15:00:00.000Z",
    );
  });

  it("allow texts up to the cap and none past it", () => {
    const cap = { count: 3, days: 7 };
    expect([0, 1, 2, 3, 4].map((n) => allowsAnotherText(n, cap))).toEqual([true, true, true, false, false]);
  });
});
