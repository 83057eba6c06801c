import {
  allowsAutomaticText,
  AUTOMATIC_TEXT_LIMIT,
  isAutomaticText,
  type TextToNumber,
} from "../../../src/domain/automatic-texts";

const NOW = new Date("2026-11-30T15:00:00Z");
const HOUR = 3_600_000;
const automatic = (hoursAgo: number): TextToNumber => ({
  direction: "outbound",
  initiated: false,
  sentBy: null,
  createdAt: new Date(NOW.getTime() - hoursAgo * HOUR),
});

describe("automatic texts", () => {
  it("are the app's own outbound texts: not a campaign's, not a volunteer's, not the voter's", () => {
    expect(isAutomaticText(automatic(0))).toBe(true);
    expect(isAutomaticText({ ...automatic(0), initiated: true, sentBy: "U0ANA" })).toBe(false);
    expect(isAutomaticText({ ...automatic(0), sentBy: "U0ANA" })).toBe(false);
    expect(isAutomaticText({ ...automatic(0), direction: "inbound" })).toBe(false);
  });

  it(`allow ${AUTOMATIC_TEXT_LIMIT.count} to a number in any ${AUTOMATIC_TEXT_LIMIT.hours} hours, counting exactly 24 hours back`, () => {
    expect(AUTOMATIC_TEXT_LIMIT).toEqual({ count: 3, hours: 24 });
    expect(allowsAutomaticText([automatic(1), automatic(2)], NOW)).toBe(true);
    expect(allowsAutomaticText([automatic(1), automatic(2), automatic(24)], NOW)).toBe(false);
    expect(allowsAutomaticText([automatic(1), automatic(2), automatic(24 + 1 / HOUR)], NOW)).toBe(true);
    // Other texts to the number do not use up the room.
    const others: TextToNumber[] = [
      { ...automatic(1), sentBy: "U0ANA" },
      { ...automatic(1), initiated: true, sentBy: "U0ANA" },
      { ...automatic(1), direction: "inbound" },
    ];
    expect(allowsAutomaticText([automatic(1), automatic(2), ...others], NOW)).toBe(true);
  });
});
