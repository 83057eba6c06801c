import {
  eventBody,
  inboundSmsParams,
  postToSlackApp,
  postTwilioWebhook,
  signTwilioWebhook,
  slashCommandBody,
  statusCallbackParams,
  urlVerificationBody,
} from "../fakes/signing";
import { FAKE_TWILIO_AUTH_TOKEN } from "../fakes/twilio-api";
import { startHarness, PUBLIC_URL, SENDER, SIGNING_SECRET, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

const VOTER = "+12125550123";

describe.each(BACKENDS)("the app, end to end (%s)", (_name, create) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(create);
  });
  afterAll(() => h?.close());

  const slack = (body: string, extra: Partial<Parameters<typeof postToSlackApp>[1]> = {}) =>
    postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body, ...extra });
  const twilio = (path: string, params: Record<string, string>, options = {}) =>
    postTwilioWebhook(h.app.localUrl, PUBLIC_URL, path, FAKE_TWILIO_AUTH_TOKEN, params, options);

  describe("GET /healthz", () => {
    it("answers 200 with the database status", async () => {
      const res = await fetch(`${h.app.localUrl}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "ok", database: "ok" });
    });
  });

  describe("/campaign", () => {
    it("answers a bare /campaign with usage, visible only to the caller", async () => {
      const res = await slack(slashCommandBody({ command: "/campaign", text: "" }));
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ response_type: "ephemeral" });
      expect(JSON.stringify(res.json)).toContain("`/campaign help`");
    });

    it("answers /campaign help the same way", async () => {
      const res = await slack(slashCommandBody({ command: "/campaign", text: "  HELP " }));
      expect(res.json).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("/campaign help") });
    });

    it("answers an unknown subcommand with a suggestion instead of silence", async () => {
      const res = await slack(slashCommandBody({ command: "/campaign", text: "hlep me" }));
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        response_type: "ephemeral",
        text: expect.stringMatching(/`\/campaign hlep` is not a command I know\. Did you mean `\/campaign help`\?/),
      });
    });
  });

  describe("Slack request signing", () => {
    it("rejects a bad signature with 401 and runs nothing", async () => {
      const res = await slack(slashCommandBody({ command: "/campaign", text: "help" }), { badSignature: true });
      expect(res.status).toBe(401);
      expect(res.text).not.toContain("/campaign help");
    });

    it("rejects a stale timestamp (over 5 minutes old) with 401", async () => {
      const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
      const res = await slack(slashCommandBody({ command: "/campaign", text: "help" }), { timestamp: sixMinutesAgo });
      expect(res.status).toBe(401);
    });

    it("answers Slack's url_verification with the challenge", async () => {
      const res = await slack(urlVerificationBody("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
      expect(res.status).toBe(200);
      expect(res.json ?? res.text).toMatchObject({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    });

    it("acknowledges an event it has no listener for (so Slack does not retry it)", async () => {
      const res = await slack(
        eventBody({ type: "app_mention", user: "U1", text: "hi", channel: "C1", ts: "1.000100" }),
      );
      expect(res.status).toBe(200);
    });
  });

  describe("POST /twilio/sms", () => {
    it("stores a valid inbound text once under duplicate delivery and answers empty TwiML", async () => {
      const params = inboundSmsParams({ from: VOTER, to: SENDER, body: "Who is this? 🤔" });
      const first = await twilio("/twilio/sms", params);
      expect(first.status).toBe(200);
      expect(first.contentType).toMatch(/^text\/xml/);
      expect(first.text).toMatch(/<Response>\s*<\/Response>|<Response\/>/);
      const retries = await Promise.all([twilio("/twilio/sms", params), twilio("/twilio/sms", params)]);
      expect(retries.map((r) => r.status)).toEqual([200, 200]);

      const stored = await h.app.db.prisma.message.findMany({ where: { twilioSid: params.MessageSid } });
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        direction: "inbound",
        fromPhone: VOTER,
        toPhone: SENDER,
        body: "Who is this? 🤔",
      });
    });

    it("keeps MMS media URLs", async () => {
      const media = [{ url: `${h.twilio.url}/media/ME1.jpg`, contentType: "image/jpeg" }];
      const params = inboundSmsParams({ from: VOTER, to: SENDER, body: "", media });
      expect((await twilio("/twilio/sms", params)).status).toBe(200);
      const stored = await h.app.db.prisma.message.findUnique({ where: { twilioSid: params.MessageSid } });
      expect(stored?.mediaUrls).toEqual([media[0]!.url]);
    });

    it("rejects a bad signature with 403 and stores nothing", async () => {
      const params = inboundSmsParams({ from: VOTER, to: SENDER, body: "forged" });
      const res = await twilio("/twilio/sms", params, { badSignature: true });
      expect(res.status).toBe(403);
      expect(await h.app.db.prisma.message.count({ where: { twilioSid: params.MessageSid } })).toBe(0);
      expect(await h.app.db.prisma.inboundEvent.count({ where: { externalId: params.MessageSid } })).toBe(0);
    });

    it("rejects a missing signature with 403", async () => {
      const params = inboundSmsParams({ from: VOTER, to: SENDER, body: "unsigned" });
      expect((await twilio("/twilio/sms", params, { omitSignature: true })).status).toBe(403);
      expect(await h.app.db.prisma.message.count({ where: { twilioSid: params.MessageSid } })).toBe(0);
    });

    it("rejects a request whose parameters were altered after signing", async () => {
      const params = inboundSmsParams({ from: VOTER, to: SENDER, body: "original" });
      const signature = signTwilioWebhook(FAKE_TWILIO_AUTH_TOKEN, `${PUBLIC_URL}/twilio/sms`, params);
      const forged = await fetch(`${h.app.localUrl}/twilio/sms`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
        body: new URLSearchParams({ ...params, Body: "tampered" }).toString(),
      });
      expect(forged.status).toBe(403);
      expect(await h.app.db.prisma.message.count({ where: { twilioSid: params.MessageSid } })).toBe(0);
    });
  });

  describe("POST /twilio/status", () => {
    it("updates the stored message's status and error code", async () => {
      const sid = `SM${"5".repeat(32)}`;
      await h.app.db.prisma.message.create({
        data: {
          direction: "outbound",
          fromPhone: SENDER,
          toPhone: VOTER,
          body: "Hi",
          twilioSid: sid,
          status: "accepted",
        },
      });
      expect((await twilio("/twilio/status", statusCallbackParams({ messageSid: sid, status: "sent" }))).status).toBe(
        204,
      );
      const failed = statusCallbackParams({ messageSid: sid, status: "undelivered", errorCode: 30007 });
      expect((await twilio("/twilio/status", failed)).status).toBe(204);
      expect(await h.app.db.prisma.message.findUnique({ where: { twilioSid: sid } })).toMatchObject({
        status: "undelivered",
        errorCode: 30007,
      });
    });

    it("rejects a bad signature with 403 and changes nothing", async () => {
      const sid = `SM${"6".repeat(32)}`;
      await h.app.db.prisma.message.create({
        data: { direction: "outbound", fromPhone: SENDER, toPhone: VOTER, body: "Hi", twilioSid: sid, status: "sent" },
      });
      const res = await twilio("/twilio/status", statusCallbackParams({ messageSid: sid, status: "failed" }), {
        badSignature: true,
      });
      expect(res.status).toBe(403);
      expect((await h.app.db.prisma.message.findUnique({ where: { twilioSid: sid } }))?.status).toBe("sent");
    });

    it("answers 400 to a signed callback with an unknown status, naming the field", async () => {
      const params = {
        ...statusCallbackParams({ messageSid: `SM${"7".repeat(32)}`, status: "sent" }),
        MessageStatus: "teleported",
      };
      const res = await twilio("/twilio/status", params);
      expect(res.status).toBe(400);
      expect(res.text).toContain("MessageStatus");
    });
  });
});
