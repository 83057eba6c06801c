import fc from "fast-check";
import {
  DEFAULT_SEND_WINDOW,
  isWithinSendWindow,
  MAX_VALIDITY_SECONDS,
  MIN_VALIDITY_SECONDS,
  sendWindowFor,
  type SendWindowPolicy,
} from "../../../src/domain/quiet-hours";

const NEW_YORK = { phone: "+12125550143", zip: "10001" };
const ALWAYS: SendWindowPolicy = Object.fromEntries(
  ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"].map((d) => [
    d,
    { start: 0, end: 1440 },
  ]),
) as unknown as SendWindowPolicy;

describe("sendWindowFor: the one answer to 'may a text go now'", () => {
  it("lets Twilio hold a text until the window closes, never past it", () => {
    // Wednesday 19:00 in New York: the window closes at 20:00.
    expect(sendWindowFor(NEW_YORK, new Date("2026-11-04T00:00:00Z"), DEFAULT_SEND_WINDOW)).toEqual({
      open: true,
      validitySeconds: 3_600,
    });
  });

  it("caps the hold at Twilio's longest validity period when the window never closes", () => {
    expect(sendWindowFor(NEW_YORK, new Date("2026-11-04T15:00:00Z"), ALWAYS)).toEqual({
      open: true,
      validitySeconds: MAX_VALIDITY_SECONDS,
    });
  });

  it("treats the last minute of the window as closed, and says when it opens next", () => {
    const window = sendWindowFor(NEW_YORK, new Date("2026-11-04T00:59:30Z"), DEFAULT_SEND_WINDOW);
    expect(window).toEqual({ open: false, closingSoon: true, opensAt: new Date("2026-11-04T14:00:00Z") });
  });

  it("says when a closed window opens", () => {
    expect(sendWindowFor(NEW_YORK, new Date("2026-11-04T03:00:00Z"), DEFAULT_SEND_WINDOW)).toEqual({
      open: false,
      closingSoon: false,
      opensAt: new Date("2026-11-04T14:00:00Z"),
    });
  });

  it("never lets a text wait in Twilio's queue outside the recipient's hours, and reopens on time", () => {
    const recipient = fc.record({
      phone: fc.constantFrom("+12125550143", "+16025550143", "+18085550143", "+18005550143", "+13105550143"),
      zip: fc.constantFrom(null, "10001", "85004", "96813", "94110"),
    });
    const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }).map((ms) => new Date(ms));
    fc.assert(
      fc.property(recipient, instant, (r, now) => {
        const window = sendWindowFor(r, now, DEFAULT_SEND_WINDOW);
        if (window.open) {
          expect(window.validitySeconds).toBeGreaterThanOrEqual(MIN_VALIDITY_SECONDS);
          expect(window.validitySeconds).toBeLessThanOrEqual(MAX_VALIDITY_SECONDS);
          expect(isWithinSendWindow(r, now)).toBe(true);
          expect(isWithinSendWindow(r, new Date(now.getTime() + (window.validitySeconds - 1) * 1000))).toBe(true);
        } else {
          expect(window.opensAt.getTime()).toBeGreaterThan(now.getTime());
          expect(isWithinSendWindow(r, window.opensAt)).toBe(true);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
