import pino from "pino";
import { startApp, type RunningApp } from "../../src/app";
import type { Config } from "../../src/config";
import { inboundSmsParams, postTwilioWebhook } from "../fakes/signing";
import { startFakeSlack, type FakeSlack } from "../fakes/slack-api";
import { startFakeSocketMode, type FakeSocketMode } from "../fakes/socket-mode";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, startFakeTwilio, type FakeTwilio } from "../fakes/twilio-api";
import { BOT_TOKEN, PUBLIC_URL, SENDER, SIGNING_SECRET } from "../support/app-harness";

const APP_TOKEN = "xapp-1-A0FAKEAPP-1234-abcdef";

/** With SLACK_APP_TOKEN the app takes Slack's traffic over Socket Mode; Twilio and /healthz stay on HTTP. */
describe("Socket Mode", () => {
  let slack: FakeSlack;
  let twilio: FakeTwilio;
  let socket: FakeSocketMode;
  let app: RunningApp;
  let config: Config;

  beforeAll(async () => {
    socket = await startFakeSocketMode();
    slack = await startFakeSlack({ tokens: [BOT_TOKEN, APP_TOKEN] });
    slack.respondTo("apps.connections.open", (_args, token) => {
      if (token !== APP_TOKEN) throw new Error(`apps.connections.open called with ${token}`);
      return { url: socket.url };
    });
    twilio = await startFakeTwilio();
    config = {
      slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: APP_TOKEN, apiUrl: slack.apiUrl },
      twilio: {
        accountSid: FAKE_TWILIO_ACCOUNT_SID,
        authToken: FAKE_TWILIO_AUTH_TOKEN,
        fromNumber: SENDER,
        apiUrl: twilio.url,
      },
      publicUrl: PUBLIC_URL,
      port: 0,
      database: { kind: "pglite", dataDir: null },
      logLevel: "silent",
      smsSegmentPriceUsd: 0.0083,
      mmsPriceUsd: 0.02,
      organization: { timeZone: "America/New_York" },
      conversations: { nudgeAfterMinutes: 20, releaseAfterMinutes: 90 },
    };
    app = await startApp(config, pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }));
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([slack?.close(), twilio?.close(), socket?.close()]);
  });

  it("opens the connection with the app-level token and answers a slash command through its acknowledgement", async () => {
    await socket.connected();
    expect(slack.callsTo("apps.connections.open").map((c) => c.token)).toEqual([APP_TOKEN]);
    const ack = await socket.deliver("slash_commands", {
      token: "unused-in-socket-mode",
      team_id: "T0FAKE",
      team_domain: "fake",
      channel_id: "C0TEXTING",
      channel_name: "texting",
      user_id: "U0USER",
      user_name: "volunteer",
      command: "/campaign",
      text: "",
      api_app_id: "A0FAKEAPP",
      is_enterprise_install: "false",
      response_url: "https://hooks.slack.com/commands/T0FAKE/1/abc",
      trigger_id: "1.2.abc",
    });
    expect(ack.payload).toMatchObject({ response_type: "ephemeral" });
    expect(JSON.stringify(ack.payload)).toContain("`/campaign help`");
  });

  it("keeps /healthz and Twilio's webhooks on HTTP, and serves no Slack endpoint there", async () => {
    const health = await fetch(`${app.localUrl}/healthz`);
    expect(health.status).toBe(200);
    const slackOverHttp = await fetch(`${app.localUrl}/slack/events`, { method: "POST", body: "{}" });
    expect(slackOverHttp.status).toBe(404);
    const params = inboundSmsParams({ from: "+12125550123", to: SENDER, body: "Hello over HTTP" });
    const res = await postTwilioWebhook(app.localUrl, PUBLIC_URL, "/twilio/sms", FAKE_TWILIO_AUTH_TOKEN, params);
    expect(res.status).toBe(200);
    expect(await app.db.prisma.message.count({ where: { twilioSid: params.MessageSid } })).toBe(1);
  });

  it("refuses to start, naming SLACK_APP_TOKEN, when Slack rejects the app-level token", async () => {
    const refused = startApp(
      { ...config, slack: { ...config.slack, appToken: "xapp-1-A0FAKEAPP-9-revoked" } },
      pino({ level: "silent" }),
    );
    await expect(refused).rejects.toThrow(/^Slack did not open a Socket Mode connection with SLACK_APP_TOKEN/);
  });
});
