import { gcra, retryDelayMs, SLACK_CHANNEL_RATE, SLACK_RETRY_POLICY } from "../../../src/domain/slack-rate";

describe("Slack channel rate", () => {
  it("is one post a second with bursts of three: each post moves the bucket 1 s, up to 2 s ahead", () => {
    expect(gcra(SLACK_CHANNEL_RATE)).toEqual({ intervalMs: 1000, toleranceMs: 2000 });
    expect(gcra({ perSecond: 50, burst: 1 })).toEqual({ intervalMs: 20, toleranceMs: 0 });
  });

  it("refuses a rate it could not keep, saying what is wrong", () => {
    expect(() => gcra({ perSecond: 0, burst: 3 })).toThrow("positive number of posts per second (got 0)");
    expect(() => gcra({ perSecond: Infinity, burst: 3 })).toThrow("positive number");
    expect(() => gcra({ perSecond: 1, burst: 0 })).toThrow("whole number of posts, at least 1 (got 0)");
    expect(() => gcra({ perSecond: 1, burst: 2.5 })).toThrow("whole number");
  });

  it("waits 1 s, 2 s, 4 s … after failed attempts, never more than 5 minutes", () => {
    expect([1, 2, 3, 4, 9, 10, 12].map((n) => retryDelayMs(n, SLACK_RETRY_POLICY))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000,
    ]);
  });
});
