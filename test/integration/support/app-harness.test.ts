import * as slackApi from "../../fakes/slack-api";
import * as twilioApi from "../../fakes/twilio-api";
import { startHarness } from "../../support/app-harness";
import { createPostgresDatabase } from "../../support/databases";

/** Whether anything still answers at `url`: a fake server left open keeps jest from exiting. */
const answers = (url: string) =>
  fetch(url).then(
    () => true,
    () => false,
  );

describe("startHarness when the database cannot be reached", () => {
  afterEach(() => jest.restoreAllMocks());

  it("fails with one line saying what to start or set, and closes the fake servers it started", async () => {
    const urls: string[] = [];
    const startSlack = slackApi.startFakeSlack;
    const startTwilio = twilioApi.startFakeTwilio;
    jest.spyOn(slackApi, "startFakeSlack").mockImplementation(async (...args) => {
      const fake = await startSlack(...args);
      urls.push(fake.apiUrl);
      return fake;
    });
    jest.spyOn(twilioApi, "startFakeTwilio").mockImplementation(async (...args) => {
      const fake = await startTwilio(...args);
      urls.push(fake.url);
      return fake;
    });

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
    expect(urls).toHaveLength(2);
    for (const url of urls) expect(await answers(url)).toBe(false);
  });
});
