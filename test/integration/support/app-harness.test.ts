import { setTimeout as sleep } from "node:timers/promises";
import { startHarness } from "../../support/app-harness";
import { createPostgresDatabase } from "../../support/databases";

/** Listening TCP servers of this process: the fake Slack and Twilio are two of them. */
const listeningServers = () => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;

/** Node lets go of a closed server's handle a loop turn after `close` resolves. */
async function listeningServersOnceSettled(expected: number): Promise<number> {
  for (let turn = 0; turn < 50 && listeningServers() !== expected; turn++) await sleep(10);
  return listeningServers();
}

describe("startHarness when the database cannot be reached", () => {
  it("fails with one line saying what to start or set, and leaves no fake server listening", async () => {
    const before = listeningServers();
    const failure = await startHarness(() => createPostgresDatabase("postgresql://postgres@127.0.0.1:1/test")).then(
      () => null,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(
      /^No PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:1\/test \(.*ECONNREFUSED.*\): start /,
    );
    expect(failure?.message).toContain("TEST_DATABASE_URL");
    expect(failure?.message).not.toContain("\n");
    expect(failure?.stack).toBe(failure?.message);
    expect(await listeningServersOnceSettled(before)).toBe(before);
  });
});
