import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { inboundSmsParams, signTwilioWebhook } from "../fakes/signing";
import { startFakeSlack, type FakeSlack } from "../fakes/slack-api";
import { FAKE_TWILIO_AUTH_TOKEN, startFakeTwilio, type FakeTwilio } from "../fakes/twilio-api";
import { appEnvironment, BOT_TOKEN, PUBLIC_URL, SENDER } from "../support/app-harness";
import { createPostgresDatabase, type TestDatabaseTarget } from "../support/databases";
import { openDatabase } from "../../src/db/database";
import { freePort, startMain, waitForHealthy } from "../support/main-process";

jest.setTimeout(90_000);

describe("the app process (src/main.ts)", () => {
  it("refuses to start without its settings: one message listing each, exit code 2, no stack trace", async () => {
    const { exited, output } = startMain({ PORT: "not-a-port" });
    expect(await exited).toBe(2);
    const text = output();
    expect(text).toContain("The app cannot start: 7 settings need fixing.");
    for (const name of [
      "SLACK_BOT_TOKEN",
      "SLACK_SIGNING_SECRET",
      "TWILIO_ACCOUNT_SID",
      "TWILIO_AUTH_TOKEN",
      "PUBLIC_URL",
      "PORT",
    ]) {
      expect(text).toContain(`- ${name} `);
    }
    expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  describe("with valid settings", () => {
    let slack: FakeSlack;
    let twilio: FakeTwilio;
    let dataDir: string;
    let pg: TestDatabaseTarget;
    beforeAll(async () => {
      slack = await startFakeSlack({ tokens: [BOT_TOKEN] });
      twilio = await startFakeTwilio();
      dataDir = await mkdtemp(path.join(tmpdir(), "p2p-data-"));
      pg = await createPostgresDatabase();
    });
    afterAll(async () => {
      await slack?.close();
      await twilio?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      await pg?.dispose();
    });

    const baseEnv = (port: number) => appEnvironment(slack.apiUrl, port, { TWILIO_API_URL: twilio.url });

    it("boots on the embedded database in DATA_DIR, and a bad Slack token fails the boot clearly", async () => {
      const port = freePort();
      const app = startMain({ ...baseEnv(port), DATA_DIR: dataDir });
      await waitForHealthy(port, app.exited);
      // The port answers a moment before main.ts logs that it listens: wait for the line.
      for (let i = 0; i < 100 && !app.output().includes("texting console listening"); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(app.output()).toContain('"msg":"texting console listening"');
      app.child.kill("SIGTERM");
      expect(await app.exited).toBe(0);

      const rejected = startMain({ ...baseEnv(freePort()), DATA_DIR: dataDir, SLACK_BOT_TOKEN: "xoxb-revoked" });
      expect(await rejected.exited).toBe(1);
      expect(rejected.output()).toContain("Slack did not accept SLACK_BOT_TOKEN");
    });

    it("boots on PostgreSQL and, on SIGTERM, finishes the request in flight before closing the database", async () => {
      if (pg.target.kind !== "postgres") throw new Error("expected a PostgreSQL target");
      const port = freePort();
      const app = startMain({ ...baseEnv(port), DATABASE_URL: pg.target.url });
      await waitForHealthy(port, app.exited);

      // Start a Twilio webhook, send half of its body, then ask the app to stop.
      const params = inboundSmsParams({ from: "+12125550123", to: SENDER, body: "Sent just before shutdown" });
      const body = new URLSearchParams(params).toString();
      const signature = signTwilioWebhook(FAKE_TWILIO_AUTH_TOKEN, `${PUBLIC_URL}/twilio/sms`, params);
      const answered = new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port,
            path: "/twilio/sms",
            method: "POST",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              "content-length": Buffer.byteLength(body),
              "x-twilio-signature": signature,
            },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.write(body.slice(0, 20));
        setTimeout(() => {
          app.child.kill("SIGTERM");
          setTimeout(() => req.end(body.slice(20)), 300);
        }, 100);
      });
      expect(await answered).toBe(200);
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain("stopped cleanly");

      const db = await openDatabase(pg.target);
      try {
        expect(await db.prisma.message.count({ where: { twilioSid: params.MessageSid } })).toBe(1);
      } finally {
        await db.close();
      }
    });
  });
});
