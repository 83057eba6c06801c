/**
 * Proves the request builders and signatures are what Slack and Twilio send: checked against
 * Slack's documented example, Bolt's and Twilio's own verifiers, and a real Bolt app.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { App, isValidSlackRequest } from "@slack/bolt";
import { quietSlackLogger as quiet } from "../support/quiet-logger";
import twilio from "twilio";
import { closeServer, listen, readBody } from "./http";
import { startFakeSlack, type FakeSlack } from "./slack-api";
import {
  blockActionsPayload,
  eventBody,
  inboundSmsParams,
  interactionBody,
  messageEvent,
  postToSlackApp,
  postTwilioWebhook,
  signSlackRequest,
  signTwilioWebhook,
  slashCommandBody,
  statusCallbackParams,
  urlVerificationBody,
  viewSubmissionPayload,
} from "./signing";

describe("Slack request signing", () => {
  it("reproduces the example from Slack's documentation", () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
      "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands" +
      "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const headers = signSlackRequest("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618);
    expect(headers).toEqual({
      "x-slack-request-timestamp": "1531420618",
      "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
      "content-type": "application/x-www-form-urlencoded",
    });
  });

  it("matches an independent HMAC and Bolt's own verifier, and defaults the timestamp to now", () => {
    const body = eventBody(messageEvent({ channel: "C1", text: "héllo 😀" }));
    const headers = signSlackRequest("secret", body);
    const ts = Number(headers["x-slack-request-timestamp"]);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(5);
    const expected =
      "v0=" +
      createHmac("sha256", "secret")
        .update(Buffer.from(`v0:${ts}:${body}`, "utf8"))
        .digest("hex");
    expect(headers["x-slack-signature"]).toBe(expected);
    expect(headers["content-type"]).toBe("application/json");

    const verify = (secret: string) =>
      isValidSlackRequest({
        signingSecret: secret,
        body,
        headers: { "x-slack-signature": headers["x-slack-signature"], "x-slack-request-timestamp": ts },
        logger: quiet,
      });
    expect(verify("secret")).toBe(true);
    expect(verify("other")).toBe(false);
  });

  it("builds a slash command body with Slack's fields, order and encoding", () => {
    const body = slashCommandBody({
      command: "/text",
      text: "start campaign 1",
      response_url: "https://hooks.slack.com/commands/T/1/x",
    });
    expect([...new URLSearchParams(body).keys()]).toEqual([
      "token",
      "team_id",
      "team_domain",
      "channel_id",
      "channel_name",
      "user_id",
      "user_name",
      "command",
      "text",
      "api_app_id",
      "is_enterprise_install",
      "response_url",
      "trigger_id",
    ]);
    expect(body).toContain("command=%2Ftext");
    expect(body).toContain("text=start+campaign+1");
    expect(body).toContain("response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT%2F1%2Fx");
  });

  it("builds interaction and url_verification bodies", () => {
    const payload = blockActionsPayload({ actionId: "send", value: "intent-1" });
    const body = interactionBody(payload);
    expect(body.startsWith("payload=")).toBe(true);
    expect(JSON.parse(new URLSearchParams(body).get("payload")!)).toEqual(payload);
    expect(JSON.parse(urlVerificationBody("abc"))).toEqual({
      token: expect.any(String),
      challenge: "abc",
      type: "url_verification",
    });
  });
});

describe("signed requests against a real Bolt app", () => {
  const SECRET = "bolt-signing-secret";
  let slack: FakeSlack;
  let app: App;
  let appUrl: string;
  const seen: Record<string, unknown[]> = { command: [], action: [], view: [], message: [] };

  beforeAll(async () => {
    slack = await startFakeSlack();
    app = new App({
      token: "xoxb-bolt",
      signingSecret: SECRET,
      logger: quiet,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command("/text", async ({ command, ack, respond }) => {
      await ack();
      seen.command!.push(command);
      await respond({ text: `got ${command.text}`, response_type: "ephemeral" });
    });
    app.action("send", async ({ action, ack }) => {
      await ack();
      seen.action!.push(action);
    });
    app.view("compose", async ({ view, ack }) => {
      await ack();
      seen.view!.push(view);
    });
    app.message(async ({ message }) => {
      seen.message!.push(message);
    });
    const server = (await app.start(0)) as http.Server;
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.stop();
    await slack.close();
  });

  it("answers url_verification with the challenge", async () => {
    const res = await postToSlackApp(appUrl, { secret: SECRET, body: urlVerificationBody("ch4llenge") });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: "ch4llenge" });
  });

  it("routes a slash command, whose respond() lands on the fake response_url", async () => {
    const responseUrl = slack.responseUrl("cmd-1");
    const res = await postToSlackApp(appUrl, {
      secret: SECRET,
      body: slashCommandBody({ command: "/text", text: "hello", response_url: responseUrl }),
    });
    expect(res.status).toBe(200);
    expect(seen.command).toContainEqual(
      expect.objectContaining({ command: "/text", text: "hello", team_id: "T0FAKE" }),
    );
    const call = await slack.waitFor("response_url", (c) => c.args.responseId === "cmd-1");
    expect(call.args).toMatchObject({ text: "got hello", response_type: "ephemeral" });
    // Bolt's own WebClient went to the fake too (auth.test when it authorizes the request).
    expect(slack.callsTo("auth.test")[0]).toMatchObject({ token: "xoxb-bolt", status: 200 });
  });

  it("routes block_actions and view_submission payloads", async () => {
    const action = await postToSlackApp(appUrl, {
      secret: SECRET,
      body: interactionBody(blockActionsPayload({ actionId: "send", value: "intent-7" })),
    });
    expect(action.status).toBe(200);
    expect(seen.action).toContainEqual(
      expect.objectContaining({ action_id: "send", value: "intent-7", type: "button" }),
    );

    const values = { msg: { body: { type: "plain_text_input", value: "Hi there" } } };
    const view = await postToSlackApp(appUrl, {
      secret: SECRET,
      body: interactionBody(viewSubmissionPayload({ callbackId: "compose", values, privateMetadata: '{"c":1}' })),
    });
    expect(view.status).toBe(200);
    expect(seen.view).toContainEqual(
      expect.objectContaining({ callback_id: "compose", private_metadata: '{"c":1}', state: { values } }),
    );
  });

  it("delivers a thread-reply message event", async () => {
    const event = messageEvent({ channel: "G1", text: "reply to voter", threadTs: "1700000000.000100" });
    const res = await postToSlackApp(appUrl, { secret: SECRET, body: eventBody(event, { eventId: "Ev0001" }) });
    expect(res.status).toBe(200);
    // Bolt acks events before listeners finish; wait for the listener.
    for (let i = 0; i < 50 && seen.message!.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen.message).toContainEqual(
      expect.objectContaining({ text: "reply to voter", thread_ts: "1700000000.000100", channel: "G1" }),
    );
  });

  it("rejects a bad signature and a stale timestamp with 401", async () => {
    const body = slashCommandBody({ text: "nope" });
    expect((await postToSlackApp(appUrl, { secret: SECRET, body, badSignature: true })).status).toBe(401);
    expect(
      (await postToSlackApp(appUrl, { secret: SECRET, body, timestamp: Math.floor(Date.now() / 1000) - 600 })).status,
    ).toBe(401);
  });

  it("confirms Bolt 5.1 refuses a form body sent with a charset suffix", async () => {
    const res = await postToSlackApp(appUrl, {
      secret: SECRET,
      body: slashCommandBody({ text: "charset" }),
      contentType: "application/x-www-form-urlencoded; charset=utf-8",
    });
    expect(res.status).toBe(400);
    expect(seen.command).not.toContainEqual(expect.objectContaining({ text: "charset" }));
  });
});

describe("Twilio webhook signing", () => {
  const TOKEN = "12345678901234567890123456789012";
  const PUBLIC = "https://texting.example.org";

  it("matches twilio.validateRequest for SMS, MMS and awkward characters", () => {
    const cases = [
      inboundSmsParams({ from: "+12125550100", to: "+12125550199", body: "STOP texting me" }),
      inboundSmsParams({
        from: "+12125550100",
        to: "+12125550199",
        body: "",
        media: [
          { url: "https://api.twilio.com/m/1", contentType: "image/jpeg" },
          { url: "https://api.twilio.com/m/2", contentType: "image/png" },
        ],
      }),
      inboundSmsParams({ from: "+12125550100", to: "+12125550199", body: "¿Qué? 😀 a&b=c+d %20" }),
      statusCallbackParams({ messageSid: `SM${"a".repeat(32)}`, status: "undelivered", errorCode: 30007 }),
    ];
    for (const params of cases) {
      const url = `${PUBLIC}/twilio/sms?campaign=1`;
      const signature = signTwilioWebhook(TOKEN, url, params);
      expect(twilio.validateRequest(TOKEN, signature, url, params)).toBe(true);
      expect(signature).toBe(twilio.getExpectedTwilioSignature(TOKEN, url, params));
      expect(twilio.validateRequest("another-token-000000000000000000", signature, url, params)).toBe(false);
      expect(twilio.validateRequest(TOKEN, signature, `${PUBLIC}/twilio/other`, params)).toBe(false);
    }
  });

  it("builds realistic inbound and status-callback params", () => {
    const sms = inboundSmsParams({ from: "+12125550100", to: "+12125550199", body: "hi" });
    expect(sms).toMatchObject({
      From: "+12125550100",
      To: "+12125550199",
      Body: "hi",
      NumMedia: "0",
      NumSegments: "1",
      SmsStatus: "received",
      ApiVersion: "2010-04-01",
    });
    expect(sms.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sms.AccountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(sms.SmsSid).toBe(sms.MessageSid);
    expect(sms).toHaveProperty("FromZip");
    expect(sms).toHaveProperty("FromState");

    const mms = inboundSmsParams({
      from: "+1",
      to: "+2",
      body: "",
      media: [{ url: "https://x/1", contentType: "image/gif" }],
    });
    expect(mms).toMatchObject({ NumMedia: "1", MediaUrl0: "https://x/1", MediaContentType0: "image/gif" });
    expect(mms.MessageSid).toMatch(/^MM[0-9a-f]{32}$/);

    expect(statusCallbackParams({ messageSid: "SMx", status: "delivered" })).toMatchObject({
      MessageSid: "SMx",
      MessageStatus: "delivered",
      SmsStatus: "delivered",
    });
    expect(statusCallbackParams({ messageSid: "SMx", status: "delivered" })).not.toHaveProperty("ErrorCode");
    expect(statusCallbackParams({ messageSid: "SMx", status: "failed", errorCode: 30034 }).ErrorCode).toBe("30034");
  });

  it("postTwilioWebhook signs over the public URL while posting to the app's address", async () => {
    // A stand-in app endpoint that validates exactly as an app behind a proxy must.
    const received: Array<Record<string, string>> = [];
    const server = http.createServer(async (req, res) => {
      const params = Object.fromEntries(new URLSearchParams((await readBody(req)).toString("utf8")));
      const signature = req.headers["x-twilio-signature"];
      const valid =
        typeof signature === "string" && twilio.validateRequest(TOKEN, signature, `${PUBLIC}${req.url}`, params);
      if (!valid) {
        res.writeHead(403, { "content-type": "text/plain" }).end("invalid signature");
        return;
      }
      received.push(params);
      res.writeHead(200, { "content-type": "text/xml" }).end('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    });
    const base = await listen(server);
    try {
      const params = inboundSmsParams({ from: "+12125550100", to: "+12125550199", body: "Yes, count me in!" });
      const ok = await postTwilioWebhook(base, PUBLIC, "/twilio/sms", TOKEN, params);
      expect(ok).toEqual({
        status: 200,
        text: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
        contentType: "text/xml",
      });
      expect(received).toEqual([params]);

      expect((await postTwilioWebhook(base, PUBLIC, "/twilio/sms", TOKEN, params, { badSignature: true })).status).toBe(
        403,
      );
      expect(
        (await postTwilioWebhook(base, PUBLIC, "/twilio/sms", TOKEN, params, { omitSignature: true })).status,
      ).toBe(403);
      expect(received).toHaveLength(1);
    } finally {
      await closeServer(server);
    }
  });
});
