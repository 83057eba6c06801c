import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, ENVIRONMENT, environmentWithDotEnv, loadConfig } from "../../src/config";

const valid = {
  SLACK_BOT_TOKEN: "xoxb-123-456-abc",
  SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
  TWILIO_ACCOUNT_SID: `AC${"0123456789abcdef".repeat(2)}`,
  TWILIO_AUTH_TOKEN: "auth-token",
  TWILIO_MESSAGING_SERVICE_SID: `MG${"fedcba9876543210".repeat(2)}`,
  PUBLIC_URL: "https://texting.example.org/",
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("reads a valid environment, with defaults and the embedded database", () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      publicUrl: "https://texting.example.org",
      port: 3000,
      logLevel: "info",
      database: { kind: "pglite", dataDir: path.resolve("./data") },
      twilio: { messagingServiceSid: valid.TWILIO_MESSAGING_SERVICE_SID, fromNumber: undefined },
    });
  });

  it("reads the webhook address and secret only as a pair", () => {
    expect(loadConfig(valid).webhooks).toBeUndefined();
    const both = { ...valid, WEBHOOK_URL: "https://crm.example.org/hooks/texting", WEBHOOK_SECRET: "s".repeat(32) };
    expect(loadConfig(both).webhooks).toEqual({ url: both.WEBHOOK_URL, secret: both.WEBHOOK_SECRET });
    expect(problemsOf({ ...valid, WEBHOOK_URL: both.WEBHOOK_URL })).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET is not set, but WEBHOOK_URL is: set both or neither/),
    ]);
    expect(problemsOf({ ...both, WEBHOOK_SECRET: "short" })).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET must be at least 16 characters/),
    ]);
    expect(problemsOf({ ...both, WEBHOOK_URL: "crm.example.org" })).toEqual([
      expect.stringMatching(/^WEBHOOK_URL must be a URL/),
    ]);
  });

  it("reads the SMS price for cost estimates, defaulting to Twilio's US list price", () => {
    expect(loadConfig(valid).smsSegmentPriceUsd).toBe(0.0083);
    expect(loadConfig({ ...valid, SMS_SEGMENT_PRICE_USD: "0.0079" }).smsSegmentPriceUsd).toBe(0.0079);
    expect(problemsOf({ ...valid, SMS_SEGMENT_PRICE_USD: "0.83c" })).toEqual([
      expect.stringMatching(/^SMS_SEGMENT_PRICE_USD must be a price in dollars/),
    ]);
    expect(problemsOf({ ...valid, SMS_SEGMENT_PRICE_USD: "2" })).toEqual([expect.stringMatching(/not cents/)]);
  });

  it("reads the organization's time zone and how long replies may wait, with defaults", () => {
    expect(loadConfig(valid)).toMatchObject({
      organization: { timeZone: "America/New_York" },
      conversations: { nudgeAfterMinutes: 20, releaseAfterMinutes: 90 },
    });
    expect(
      loadConfig({ ...valid, ORG_TIME_ZONE: "America/Denver", NUDGE_AFTER_MINUTES: "15", RELEASE_AFTER_MINUTES: "60" }),
    ).toMatchObject({
      organization: { timeZone: "America/Denver" },
      conversations: { nudgeAfterMinutes: 15, releaseAfterMinutes: 60 },
    });
    const problems = (() => {
      try {
        loadConfig({ ...valid, ORG_TIME_ZONE: "Mountain", NUDGE_AFTER_MINUTES: "0" });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems).toEqual([
      expect.stringMatching(/^ORG_TIME_ZONE must be a time zone name such as America\/New_York/),
      expect.stringMatching(/^NUDGE_AFTER_MINUTES must be at least 1 minute/),
    ]);
  });

  it("uses PostgreSQL when DATABASE_URL is set", () => {
    const config = loadConfig({ ...valid, DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/test", PORT: "8080" });
    expect(config.database).toEqual({ kind: "postgres", url: "postgresql://postgres@127.0.0.1:5432/test" });
    expect(config.port).toBe(8080);
  });

  it("lists every problem at once, each naming its variable and where to find it", () => {
    const problems = problemsOf({ PORT: "eighty", PUBLIC_URL: "texting.example.org", SLACK_BOT_TOKEN: "  " });
    const names = problems.map((p) => p.split(" ")[0]);
    expect(names.sort()).toEqual(
      [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_MESSAGING_SERVICE_SID",
        "PUBLIC_URL",
        "PORT",
      ].sort(),
    );
    expect(problems.find((p) => p.startsWith("SLACK_BOT_TOKEN"))).toContain("is not set");
    expect(problems.find((p) => p.startsWith("SLACK_BOT_TOKEN"))).toContain(ENVIRONMENT.SLACK_BOT_TOKEN);
    expect(problems.find((p) => p.startsWith("TWILIO_MESSAGING_SERVICE_SID"))).toContain("TWILIO_FROM_NUMBER");
  });

  it("rejects malformed values with what a valid one looks like", () => {
    const problems = problemsOf({
      ...valid,
      TWILIO_MESSAGING_SERVICE_SID: undefined,
      TWILIO_FROM_NUMBER: "555-1234",
      DATABASE_URL: "mysql://localhost/x",
      LOG_LEVEL: "loud",
    });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/TWILIO_FROM_NUMBER must be an E\.164 number such as \+15551234567/);
    expect(problems.join("\n")).toMatch(/DATABASE_URL must start with postgresql:\/\//);
    expect(problems.join("\n")).toMatch(/LOG_LEVEL must be one of/);
  });

  it("writes one message an operator can act on", () => {
    expect(() => loadConfig({})).toThrow(/The app cannot start: 6 settings need fixing\.[\s\S]*README/);
  });

  it("wants https for PUBLIC_URL, except on this machine", () => {
    expect(problemsOf({ ...valid, PUBLIC_URL: "http://texting.example.org" })).toEqual([
      expect.stringMatching(/^PUBLIC_URL must start with https:\/\/ .*http is for localhost only/),
    ]);
    for (const local of ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]) {
      expect(loadConfig({ ...valid, PUBLIC_URL: local }).publicUrl).toBe(local);
    }
  });

  it("accepts exactly the tokens its messages describe", () => {
    expect(problemsOf({ ...valid, SLACK_BOT_TOKEN: "xoxp-user-token" })).toEqual([
      expect.stringMatching(/^SLACK_BOT_TOKEN must start with xoxb- /),
    ]);
    expect(problemsOf({ ...valid, SLACK_APP_TOKEN: "xoxb-not-an-app-token" })).toEqual([
      expect.stringMatching(/^SLACK_APP_TOKEN must start with xapp- /),
    ]);
    expect(loadConfig({ ...valid, SLACK_APP_TOKEN: "xapp-1-A0-123-abc" }).slack.appToken).toBe("xapp-1-A0-123-abc");
    expect(loadConfig(valid).slack.appToken).toBeUndefined();
  });

  it("drains for 5 seconds on SIGTERM unless told otherwise", () => {
    expect(loadConfig(valid).shutdownDrainSeconds).toBe(5);
    expect(loadConfig({ ...valid, SHUTDOWN_DRAIN_SECONDS: "0" }).shutdownDrainSeconds).toBe(0);
    expect(problemsOf({ ...valid, SHUTDOWN_DRAIN_SECONDS: "-1" })).toEqual([
      expect.stringMatching(/^SHUTDOWN_DRAIN_SECONDS must be between 0 and 300/),
    ]);
  });
});

describe("environmentWithDotEnv", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "p2p-dotenv-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads .env in the working folder, with the real environment winning over it", async () => {
    const file = Object.entries(valid)
      .map(([name, value]) => `${name}=${value}`)
      .concat(["PORT=4000", "# a comment", 'LOG_LEVEL="debug"'])
      .join("\n");
    await writeFile(path.join(dir, ".env"), file);
    const { env, file: read } = environmentWithDotEnv({ PORT: "5000", LOG_LEVEL: "" }, dir);
    expect(read).toBe(path.join(dir, ".env"));
    const config = loadConfig(env);
    expect(config.port).toBe(5000);
    // An empty variable counts as unset, so the file's value is used.
    expect(config.logLevel).toBe("debug");
    expect(config.slack.botToken).toBe(valid.SLACK_BOT_TOKEN);
  });

  it("is validated like the environment: a bad value in .env is named", async () => {
    await writeFile(path.join(dir, ".env"), `PUBLIC_URL=http://texting.example.org\n`);
    const { env } = environmentWithDotEnv({ ...valid, PUBLIC_URL: undefined }, dir);
    expect(problemsOf(env)).toEqual([expect.stringMatching(/^PUBLIC_URL must start with https:\/\//)]);
  });

  it("leaves the environment alone when there is no .env", () => {
    const env = { PORT: "1234" };
    expect(environmentWithDotEnv(env, dir)).toEqual({ env, file: null });
  });
});
