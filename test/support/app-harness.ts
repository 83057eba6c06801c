import pino from "pino";
import { startApp, type AppOptions, type RunningApp } from "../../src/app";
import type { Config } from "../../src/config";
import { startFakeSlack, type FakeSlack } from "../fakes/slack-api";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, startFakeTwilio, type FakeTwilio } from "../fakes/twilio-api";
import type { TestDatabaseTarget } from "./databases";

/** Slack users the end-to-end tests act as organizers (workspace admins in the fake Slack). */
export const TEST_ORGANIZERS = ["U0ORGANIZER", "U0USER"] as const;

export const SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef";
export const BOT_TOKEN = "xoxb-e2e-bot-token";
/** What Twilio is told to call; signatures are computed over this, not the local address. */
export const PUBLIC_URL = "https://texting.example.org";
export const SENDER = "+12125550199";

export interface Harness {
  app: RunningApp;
  slack: FakeSlack;
  twilio: FakeTwilio;
  config: Config;
  close(): Promise<void>;
}

/** The real app on a random port, against fake Slack and Twilio servers and a fresh database. */
export async function startHarness(
  create: () => Promise<TestDatabaseTarget>,
  options: AppOptions = {},
  slackSettings: Partial<Config["slack"]> = {},
  settings: Pick<Partial<Config>, "http" | "webhooks"> = {},
): Promise<Harness> {
  // Whatever started is closed again when anything fails: an open fake server keeps jest from exiting.
  const [slackStart, twilioStart, madeStart] = await Promise.allSettled([
    startFakeSlack({ tokens: [BOT_TOKEN] }),
    startFakeTwilio({ now: options.clock }),
    create(),
  ]);
  // The organizers the tests act as are workspace admins; everyone else is a plain member (a volunteer).
  if (slackStart.status === "fulfilled")
    for (const id of TEST_ORGANIZERS) slackStart.value.addUser({ id, is_admin: true });
  const undo = async () => {
    await Promise.allSettled([
      slackStart.status === "fulfilled" && slackStart.value.close(),
      twilioStart.status === "fulfilled" && twilioStart.value.close(),
      madeStart.status === "fulfilled" && madeStart.value.dispose(),
    ]);
  };
  if (slackStart.status === "rejected" || twilioStart.status === "rejected" || madeStart.status === "rejected") {
    await undo();
    // The database's reason first: it is the one that says what to start or set.
    throw [madeStart, slackStart, twilioStart].find((s) => s.status === "rejected")!.reason;
  }
  const [slack, twilio, made] = [slackStart.value, twilioStart.value, madeStart.value];
  const target = made.target;
  const config: Config = {
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl, ...slackSettings },
    twilio: {
      accountSid: FAKE_TWILIO_ACCOUNT_SID,
      authToken: FAKE_TWILIO_AUTH_TOKEN,
      fromNumber: SENDER,
      apiUrl: twilio.url,
    },
    publicUrl: PUBLIC_URL,
    port: 0,
    database: target,
    logLevel: "silent",
    smsSegmentPriceUsd: 0.0083,
    mmsPriceUsd: 0.02,
    organization: { timeZone: "America/New_York" },
    conversations: { nudgeAfterMinutes: 20, releaseAfterMinutes: 90 },
    ...settings,
  };
  let app: RunningApp;
  try {
    app = await startApp(config, pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), options);
  } catch (error) {
    await undo();
    throw error;
  }
  return {
    app,
    slack,
    twilio,
    config,
    async close() {
      try {
        await app.stop();
      } finally {
        await Promise.all([slack.close(), twilio.close(), made.dispose()]);
      }
    },
  };
}

/** The environment that starts the real app process against a fake Slack (for auth.test) on `port`. */
export function appEnvironment(slackApiUrl: string, port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
    TWILIO_FROM_NUMBER: SENDER,
    PUBLIC_URL,
    PORT: String(port),
    SLACK_API_URL: slackApiUrl,
    LOG_LEVEL: "info",
    // Tests and benchmarks stop the process with SIGTERM and have no load balancer to drain.
    SHUTDOWN_DRAIN_SECONDS: "0",
    ...extra,
  };
}
