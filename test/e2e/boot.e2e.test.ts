import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFakeSlack, type FakeSlack } from "../fakes/slack-api";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, startFakeTwilio, type FakeTwilio } from "../fakes/twilio-api";
import { inboundSmsParams, postTwilioWebhook } from "../fakes/signing";
import { appEnvironment, BOT_TOKEN, PUBLIC_URL, SENDER } from "../support/app-harness";
import { freePort, startMain, waitForHealth, waitForOutput, type MainProcess } from "../support/main-process";

/** The app process when Slack or Twilio cannot be reached or refuse it, and how it stops and crashes. */
jest.setTimeout(120_000);

describe("booting against services that are down or refuse", () => {
  let slack: FakeSlack;
  let twilio: FakeTwilio;
  let dataDir: string;
  let deadSlackApiUrl: string;
  const running: MainProcess[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack({ tokens: [BOT_TOKEN] });
    twilio = await startFakeTwilio();
    dataDir = await mkdtemp(path.join(tmpdir(), "p2p-boot-"));
    // A Slack that refuses connections: a fake that listened once, then closed.
    const gone = await startFakeSlack();
    deadSlackApiUrl = gone.apiUrl;
    await gone.close();
  });
  afterEach(async () => {
    for (const proc of running.splice(0)) {
      proc.child.kill("SIGKILL");
      await proc.exited;
    }
    await twilio.acceptConnections();
  });
  afterAll(async () => {
    await slack?.close();
    await twilio?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const launch = (port: number, extra: NodeJS.ProcessEnv = {}) => {
    const proc = startMain(
      appEnvironment(slack.apiUrl, port, { TWILIO_API_URL: twilio.url, DATA_DIR: dataDir, ...extra }),
    );
    running.push(proc);
    return proc;
  };

  it("with Slack unreachable: the port opens, /healthz says it waits for Slack, the log names the host and call, SIGTERM ends it", async () => {
    const port = freePort();
    const app = launch(port, { SLACK_API_URL: deadSlackApiUrl });
    const health = await waitForHealth(
      port,
      app.exited,
      (_, body) => JSON.stringify(body.waitingFor) === JSON.stringify(["slack"]),
    );
    expect(health).toEqual({ status: 503, body: { status: "starting", ready: false, waitingFor: ["slack"] } });
    await waitForOutput(app, "slack unreachable");
    const line = app
      .output()
      .split("\n")
      .find((l) => l.includes("slack unreachable"))!;
    expect(JSON.parse(line)).toMatchObject({
      level: 40,
      service: "slack",
      host: new URL(deadSlackApiUrl).host,
      call: "auth.test",
      reason: "ECONNREFUSED",
    });
    // A network failure is not blamed on the token.
    expect(app.output()).not.toContain("did not accept");
    // Slack webhooks wait (Slack retries); Twilio's are taken, since the database is ready.
    const slackEvent = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: "POST", body: "{}" });
    expect(slackEvent.status).toBe(503);
    expect(slackEvent.headers.get("retry-after")).toBe("5");
    const params = inboundSmsParams({ from: "+12125550123", to: SENDER, body: "Sent while Slack is down" });
    const stored = await postTwilioWebhook(
      `http://127.0.0.1:${port}`,
      PUBLIC_URL,
      "/twilio/sms",
      FAKE_TWILIO_AUTH_TOKEN,
      params,
    );
    expect(stored.status).toBe(200);

    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain("stopped cleanly");
  });

  it("with Twilio down: waits for Twilio, retries, and is ready once Twilio answers again", async () => {
    await twilio.refuseConnections();
    const port = freePort();
    const app = launch(port);
    await waitForHealth(port, app.exited, (_, body) => JSON.stringify(body.waitingFor) === JSON.stringify(["twilio"]));
    await waitForOutput(app, "twilio unreachable");
    expect(app.output()).toContain(
      `"host":"${new URL(twilio.url).host}","call":"GET /2010-04-01/Accounts/${FAKE_TWILIO_ACCOUNT_SID}.json","reason":"ECONNREFUSED"`,
    );
    await twilio.acceptConnections();
    const health = await waitForHealth(port, app.exited, (status) => status === 200);
    expect(health.body).toMatchObject({ status: "ok", ready: true, database: "ok" });
    await waitForOutput(app, '"msg":"ready"');
  });

  it("with Twilio refusing the credentials: exits 1 naming the settings, not a network problem", async () => {
    const app = launch(freePort(), { TWILIO_AUTH_TOKEN: "f".repeat(32) });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain(
      "Twilio did not accept TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio answered GET /2010-04-01/Accounts/",
    );
    expect(app.output()).toContain("HTTP 401 (error 20003)");
    expect(app.output()).not.toContain("unreachable");
  });

  it("on SIGTERM, /healthz fails first while the port still answers, then the process stops", async () => {
    const port = freePort();
    const app = launch(port, { SHUTDOWN_DRAIN_SECONDS: "3" });
    await waitForHealth(port, app.exited, (status) => status === 200);
    app.child.kill("SIGTERM");
    const draining = await waitForHealth(port, app.exited, (status) => status === 503, 3_000);
    expect(draining.body).toEqual({ status: "stopping", ready: false });
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain("stopped cleanly");
  });

  it.each([
    ["rejection", "unhandled promise rejection", "the database went away mid-send"],
    ["exception", "uncaught exception", "a listener threw outside any request"],
  ])("an unhandled %s is logged with its error and the process exits 1", async (kind, what, message) => {
    const proc = startMain({}, "test/e2e/fixtures/crash-on-purpose.ts", undefined, [kind]);
    running.push(proc);
    const code = await proc.exited;
    const fatal = proc
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.level === 60);
    expect(code).toBe(1);
    expect(fatal).toMatchObject({ kind: expect.stringMatching(/^unhandled|^uncaught/), err: { message } });
    expect(String(fatal!.msg)).toContain(what);
    expect(proc.output()).toContain("closing what was open");
  });
});
