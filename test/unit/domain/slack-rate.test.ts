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

  it("waits 1 s, 2 s, 4 s … after failed attempts, never more than 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 12].map((n) => retryDelayMs(n, SLACK_RETRY_POLICY))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });

  it("keeps a post through about 18 minutes of Slack trouble before giving up", () => {
    let waited = 0;
    for (let attempts = 1; attempts < SLACK_RETRY_POLICY.maxAttempts; attempts++)
      waited += retryDelayMs(attempts, SLACK_RETRY_POLICY);
    expect(waited / 60_000).toBeGreaterThan(17);
    expect(waited / 60_000).toBeLessThan(19);
  });
});
