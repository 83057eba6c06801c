import { abVerdict } from "../../../src/domain/ab-test";
import { duration, verdictText } from "../../../src/slack/blocks/campaign-results";

describe("report wording", () => {
  it("words each verdict in plain words", () => {
    expect(verdictText("B", "replies", abVerdict({ sent: 1000, successes: 100 }, { sent: 1000, successes: 142 }))).toBe(
      "B gets 4.2 points more replies (p = 0.004): likely a real difference",
    );
    expect(verdictText("C", "replies", abVerdict({ sent: 1000, successes: 142 }, { sent: 1000, successes: 100 }))).toBe(
      "C gets 4.2 points fewer replies (p = 0.004): likely a real difference",
    );
    expect(verdictText("B", "replies", abVerdict({ sent: 100, successes: 10 }, { sent: 100, successes: 12 }))).toBe(
      "not enough data yet: about 1,807 more texts per variant to tell a 3-point difference",
    );
    expect(verdictText("B", "outcomes", abVerdict({ sent: 50, successes: 0 }, { sent: 50, successes: 0 }))).toBe(
      "not enough data yet: no outcomes in either variant",
    );
    expect(
      verdictText("B", "replies", abVerdict({ sent: 5000, successes: 500 }, { sent: 5000, successes: 505 })),
    ).toMatch(
      /^no real difference: B and A differ by 0\.1 points \(p = 0\.\d{3}\), and both have enough texts to tell a 3\.0-point difference$/,
    );
  });

  it("says how long in the unit that reads best", () => {
    expect(duration(null)).toBe("–");
    expect(duration(42)).toBe("42 s");
    expect(duration(150)).toBe("2.5 min");
    expect(duration(5400)).toBe("1 h 30 min");
    expect(duration(7200)).toBe("2 h");
    expect(duration(200_000)).toBe("2.3 days");
  });
});
