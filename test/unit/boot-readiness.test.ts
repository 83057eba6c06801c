import { backoffSeconds, CredentialsRejected, untilReachable, type CheckOutcome } from "../../src/boot/readiness";

describe("untilReachable", () => {
  const unreachable: CheckOutcome = { kind: "unreachable", host: "slack.com", call: "auth.test", reason: "ENOTFOUND" };

  it("waits 1, 2, 4 … seconds between tries, up to a minute", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(backoffSeconds)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it("stops retrying on a rejected credential, and on abort", async () => {
    await expect(
      untilReachable(async () => ({ kind: "rejected", message: "invalid_auth" }), {
        service: "slack",
        signal: new AbortController().signal,
        onUnreachable: () => undefined,
      }),
    ).rejects.toBeInstanceOf(CredentialsRejected);

    const abort = new AbortController();
    const seen: number[] = [];
    const result = untilReachable(async () => unreachable, {
      service: "slack",
      signal: abort.signal,
      onUnreachable: (_, wait) => {
        seen.push(wait);
        abort.abort();
      },
    });
    await expect(result).resolves.toBeNull();
    expect(seen).toEqual([1]);
  });
});
