import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Config } from "../../src/config";
import { openDatabase } from "../../src/db/database";
import { applyMigrations } from "../../src/db/migrate";
import { runDoctor } from "../../src/doctor/doctor";
import { formatResult, type CheckResult } from "../../src/doctor/report";
import { manifestScopes } from "../../src/slack/setup-checks";
import { startFakeSlack, type FakeSlack } from "../fakes/slack-api";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, startFakeTwilio, type FakeTwilio } from "../fakes/twilio-api";
import type { FakeMessagingService } from "../fakes/twilio-setup";
import { BOT_TOKEN, SIGNING_SECRET } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { createPostgresDatabase, type TestDatabaseTarget } from "../support/databases";
import { startMain } from "../support/main-process";

jest.setTimeout(120_000);

const TLS_DIR = path.resolve(__dirname, "../fakes/tls");
const SERVICE_SID = `MG${"ab".repeat(16)}`;
const REPLY_CHANNEL = "C0REPLIES";
const UNMATCHED_CHANNEL = "C0UNMATCHED";

/** `npm run doctor` against fake Slack and Twilio, a real PostgreSQL and an https stand-in for PUBLIC_URL. */
describe("npm run doctor", () => {
  let slack: FakeSlack;
  let twilio: FakeTwilio;
  let made: TestDatabaseTarget;
  let publicServer: https.Server;
  let publicUrl: string;
  let health = 200;
  let service: FakeMessagingService;
  /** A port nothing listens on (a server that listened once, then closed). */
  let closedPort: number;

  beforeAll(async () => {
    slack = await startFakeSlack({ tokens: [BOT_TOKEN], scopes: manifestScopes() });
    const gone = await startFakeSlack();
    closedPort = Number(new URL(gone.url).port);
    await gone.close();
    twilio = await startFakeTwilio();
    made = await createPostgresDatabase();
    const db = await openDatabase(made.target);
    try {
      await applyMigrations(db);
      await db.prisma.contact.create({ data: { phone: "+12125550100", firstName: "Ana", tags: ["doctor"] } });
      await launchedCampaign(db, { name: "Turnout", tag: "doctor", createdBy: "U0ORGANIZER" });
    } finally {
      await db.close();
    }
    publicServer = https.createServer(
      {
        key: readFileSync(path.join(TLS_DIR, "localhost-key.pem")),
        cert: readFileSync(path.join(TLS_DIR, "localhost-cert.pem")),
      },
      (req, res) => {
        res.writeHead(req.url === "/healthz" ? health : 404, { "content-type": "application/json" });
        res.end(JSON.stringify(health === 200 ? { status: "ok" } : { status: "starting", waitingFor: ["slack"] }));
      },
    );
    await new Promise<void>((resolve) => publicServer.listen(0, "127.0.0.1", resolve));
    publicUrl = `https://127.0.0.1:${(publicServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await slack?.close();
    await twilio?.close();
    await made?.dispose();
    if (publicServer) {
      publicServer.closeAllConnections();
      await new Promise((resolve) => publicServer.close(resolve));
    }
  });
  beforeEach(() => {
    health = 200;
    twilio.setup.services.clear();
    twilio.setup.numbers.length = 0;
    service = twilio.setup.addMessagingService({
      sid: SERVICE_SID,
      inboundRequestUrl: `${publicUrl}/twilio/sms`,
      a2pCampaignStatus: "VERIFIED",
    });
    slack.addChannel({ id: REPLY_CHANNEL, name: "turnout-replies", is_private: true, is_member: true });
    slack.addChannel({ id: UNMATCHED_CHANNEL, name: "unmatched-texts", is_member: true });
  });

  const config = (
    overrides: { slack?: Partial<Config["slack"]>; twilio?: Partial<Config["twilio"]> } = {},
  ): Config => ({
    slack: {
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: slack.apiUrl,
      unmatchedChannel: UNMATCHED_CHANNEL,
      ...overrides.slack,
    },
    twilio: {
      accountSid: FAKE_TWILIO_ACCOUNT_SID,
      authToken: FAKE_TWILIO_AUTH_TOKEN,
      messagingServiceSid: SERVICE_SID,
      apiUrl: twilio.url,
      ...overrides.twilio,
    },
    publicUrl,
    port: 0,
    database: made.target,
    logLevel: "silent",
    smsSegmentPriceUsd: 0.0083,
    mmsPriceUsd: 0.02,
    organization: { timeZone: "America/New_York" },
    conversations: { nudgeAfterMinutes: 20, releaseAfterMinutes: 90 },
  });

  const byItem = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.item, r]));
  /** Every item but the public URL (in-process, this test's self-signed certificate is not trusted; the CLI tests cover it). */
  const failuresBesidesPublicUrl = (results: CheckResult[]) =>
    results.filter((r) => r.status === "fail" && r.item !== "PUBLIC_URL").map((r) => r.item);

  it("passes a correct setup, item by item", async () => {
    const results = byItem(await runDoctor(config()));
    expect(Object.keys(results)).toEqual([
      "Slack token",
      "Slack scopes",
      `Bot in ${REPLY_CHANNEL}`,
      `Bot in ${UNMATCHED_CHANNEL}`,
      "Twilio credentials",
      "Twilio sender",
      "A2P 10DLC",
      "PUBLIC_URL",
      "Database",
      "Migrations",
    ]);
    for (const item of Object.values(results).filter((r) => r.item !== "PUBLIC_URL")) expect(item.status).toBe("pass");
  });

  it("names a rejected Slack token, and checks nothing that needs it", async () => {
    const results = await runDoctor(config({ slack: { botToken: "xoxb-revoked" } }));
    const r = byItem(results);
    expect(r["Slack token"]).toMatchObject({ status: "fail", detail: "Slack answered auth.test with invalid_auth" });
    expect(r["Slack token"]!.fix).toMatch(/Bot User OAuth Token/);
    expect(r["Slack scopes"]!.status).toBe("skip");
    expect(failuresBesidesPublicUrl(results)).toEqual(["Slack token"]);
  });

  it("lists the scopes the token lacks against the manifest", async () => {
    const narrow = await startFakeSlack({
      tokens: [BOT_TOKEN],
      scopes: manifestScopes().filter((s) => s !== "im:read" && s !== "usergroups:read"),
      channels: [
        { id: REPLY_CHANNEL, is_member: true },
        { id: UNMATCHED_CHANNEL, is_member: true },
      ],
    });
    try {
      const results = await runDoctor(config({ slack: { apiUrl: narrow.apiUrl } }));
      expect(byItem(results)["Slack scopes"]).toMatchObject({
        status: "fail",
        detail: "missing im:read, usergroups:read",
      });
      expect(byItem(results)["Slack scopes"]!.fix).toMatch(/reinstall the app/);
      expect(failuresBesidesPublicUrl(results)).toEqual(["Slack scopes"]);
    } finally {
      await narrow.close();
    }
  });

  it("finds the bot missing from a running campaign's private reply channel and from the unmatched channel", async () => {
    slack.addChannel({ id: REPLY_CHANNEL, name: "turnout-replies", is_private: true, is_member: false });
    slack.addChannel({ id: UNMATCHED_CHANNEL, name: "unmatched-texts", is_member: false });
    const results = byItem(await runDoctor(config()));
    expect(results[`Bot in ${REPLY_CHANNEL}`]).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/cannot see this channel/),
    });
    expect(results[`Bot in ${REPLY_CHANNEL}`]!.fix).toMatch(/\/invite .*replies of campaign Turnout/);
    expect(results[`Bot in ${UNMATCHED_CHANNEL}`]).toMatchObject({
      status: "fail",
      detail: "the bot is not a member of #unmatched-texts",
    });
  });

  it("names rejected Twilio credentials", async () => {
    const results = await runDoctor(config({ twilio: { authToken: "f".repeat(32) } }));
    expect(byItem(results)["Twilio credentials"]).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/HTTP 401 \(error 20003\)/),
    });
    expect(failuresBesidesPublicUrl(results)).toEqual(["Twilio credentials"]);
  });

  it("finds a Messaging Service that is missing, or sends inbound texts elsewhere", async () => {
    service.inboundRequestUrl = "https://old-host.example.org/sms";
    let results = await runDoctor(config());
    expect(byItem(results)["Twilio sender"]).toMatchObject({
      status: "fail",
      detail: `Messaging Service Campaign texting sends inbound texts to https://old-host.example.org/sms, not ${publicUrl}/twilio/sms`,
    });
    expect(failuresBesidesPublicUrl(results)).toEqual(["Twilio sender"]);

    service.inboundRequestUrl = `${publicUrl}/twilio/sms`;
    service.useInboundWebhookOnNumber = true;
    expect(byItem(await runDoctor(config()))["Twilio sender"]!.detail).toMatch(/defers inbound texts to each number/);

    results = await runDoctor(config({ twilio: { messagingServiceSid: `MG${"cd".repeat(16)}` } }));
    expect(byItem(results)["Twilio sender"]).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^no Messaging Service MG/),
    });
  });

  it("checks a sending number's own webhook when there is no Messaging Service", async () => {
    const number = twilio.setup.addPhoneNumber({
      phoneNumber: "+12125550199",
      smsUrl: "https://demo.twilio.com/welcome/sms/reply",
    });
    const plain = { twilio: { messagingServiceSid: undefined, fromNumber: "+12125550199" } };
    expect(byItem(await runDoctor(config(plain)))["Twilio sender"]).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("sends inbound texts to https://demo.twilio.com/welcome/sms/reply"),
    });
    number.smsUrl = `${publicUrl}/twilio/sms`;
    const results = byItem(await runDoctor(config(plain)));
    expect(results["Twilio sender"]!.status).toBe("pass");
    expect(results["A2P 10DLC"]!.status).toBe("skip");
  });

  it("reports an A2P 10DLC campaign that is missing, pending or failed", async () => {
    for (const [status, detail] of [
      [null, /no A2P 10DLC campaign registered/],
      ["PENDING", /campaign POLITICAL is PENDING/],
      ["FAILED", /campaign POLITICAL is FAILED .*30886/],
    ] as const) {
      service.a2pCampaignStatus = status;
      const results = await runDoctor(config());
      expect(byItem(results)["A2P 10DLC"]).toMatchObject({ status: "fail", detail: expect.stringMatching(detail) });
      expect(failuresBesidesPublicUrl(results)).toEqual(["A2P 10DLC"]);
    }
  });

  it("reports a database it cannot reach, and one not migrated", async () => {
    const unreachable = await runDoctor({
      ...config(),
      database: { kind: "postgres", url: "postgresql://postgres@127.0.0.1:1/nowhere" },
    });
    expect(byItem(unreachable)["Database"]).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/PostgreSQL at 127\.0\.0\.1:1 cannot be opened/),
    });
    expect(byItem(unreachable)["Migrations"]!.status).toBe("skip");

    const missing = await runDoctor({
      ...config(),
      database: { kind: "pglite", dataDir: path.join(TLS_DIR, "no-such-folder") },
    });
    expect(byItem(missing)["Database"]).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^no embedded database in .*no-such-folder yet$/),
    });

    const empty = await createPostgresDatabase();
    try {
      const results = byItem(await runDoctor({ ...config(), database: empty.target }));
      expect(results["Database"]!.status).toBe("pass");
      expect(results["Migrations"]).toMatchObject({
        status: "fail",
        detail: expect.stringMatching(/^\d+ of \d+ not applied/),
      });
    } finally {
      await empty.dispose();
    }
  });

  it("reports a PUBLIC_URL that is not https, does not answer, or answers 503", async () => {
    expect(byItem(await runDoctor({ ...config(), publicUrl: "http://localhost:3000" }))["PUBLIC_URL"]!.detail).toMatch(
      /is not https/,
    );
    expect(
      byItem(await runDoctor({ ...config(), publicUrl: `https://127.0.0.1:${closedPort}` }))["PUBLIC_URL"]!.detail,
    ).toMatch(/did not answer \(ECONNREFUSED\)/);
  });

  describe("as a command", () => {
    const cliEnv = (extra: NodeJS.ProcessEnv = {}) => ({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_UNMATCHED_CHANNEL: UNMATCHED_CHANNEL,
      TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
      TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID,
      TWILIO_API_URL: twilio.url,
      PUBLIC_URL: publicUrl,
      DATABASE_URL: made.target.kind === "postgres" ? made.target.url : "",
      NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, "localhost-cert.pem"),
      ...extra,
    });

    it("exits 0 with a line per item when everything passes", async () => {
      const run = startMain(cliEnv(), "src/doctor/cli.ts");
      expect(await run.exited).toBe(0);
      const lines = run.output().trim().split("\n");
      expect(lines.filter((l) => l.startsWith("✓ "))).toHaveLength(10);
      expect(run.output()).toContain(`✓ PUBLIC_URL: ${publicUrl}/healthz answers 200 over https`);
      expect(lines.at(-1)).toBe("Everything checked passed.");
    });

    it("exits 1 without a stack trace when Slack and Twilio cannot be reached and the app answers 503", async () => {
      health = 503;
      const run = startMain(
        cliEnv({
          SLACK_API_URL: `http://127.0.0.1:${closedPort}/api/`,
          TWILIO_API_URL: `http://127.0.0.1:${closedPort}`,
        }),
        "src/doctor/cli.ts",
      );
      expect(await run.exited).toBe(1);
      const out = run.output();
      expect(out).toContain(
        `✗ Slack token: Slack could not be reached (auth.test to 127.0.0.1:${closedPort}: ECONNREFUSED) → Fix:`,
      );
      expect(out).toContain("✗ Twilio credentials: Twilio could not be reached (GET /2010-04-01/Accounts/");
      expect(out).toContain(`✗ PUBLIC_URL: ${publicUrl}/healthz answers 503 (waiting for slack)`);
      expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(out.trim().split("\n").at(-1)).toBe("3 problems to fix.");
    });
  });

  it("formats a failure as one line with its fix", () => {
    expect(formatResult({ item: "A", status: "fail", detail: "broken", fix: "mend it" })).toBe(
      "✗ A: broken → Fix: mend it",
    );
  });
});
