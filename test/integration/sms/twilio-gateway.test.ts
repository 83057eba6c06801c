/**
 * The Twilio send gateway against the fake Twilio REST API: real SDK, real HTTP, faults injected
 * at the network edge. Retry pauses go through an injected sleep (recorded, not waited) and an
 * injected clock, so the retry budget is checked without timing anything.
 */
import fc from "fast-check";
import type { Config } from "../../../src/config";
import type { SendResult } from "../../../src/services/sms-gateway";
import { createTwilioGateway, DEFAULT_SEND_RETRY, type TwilioGatewayOptions } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";

const PUBLIC_URL = "https://texting.example.org";
const SERVICE_SID = `MG${"2".repeat(32)}`;
const FROM = "+12125550199";
const VOTER = "+12125550100";
const SMS = { to: VOTER, body: "Hi Ana, it's Sam with Vote Forward. Reply STOP to opt out" };

describe("Twilio send gateway", () => {
  let fake: FakeTwilio;

  beforeAll(async () => {
    fake = await startFakeTwilio();
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    fake.reset();
    await fake.acceptConnections();
  });

  const settings = (
    sender: { messagingServiceSid?: string; fromNumber?: string } = { fromNumber: FROM },
  ): Config["twilio"] => ({
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    apiUrl: fake.url,
    ...sender,
  });

  /** A gateway whose pauses are recorded and advance a fake clock instead of waiting. */
  function gatewayWithClock(
    opts: TwilioGatewayOptions = {},
    sender?: { messagingServiceSid?: string; fromNumber?: string },
  ) {
    let clock = 1_000_000;
    const pauses: number[] = [];
    const gateway = createTwilioGateway(settings(sender), PUBLIC_URL, {
      now: () => clock,
      random: () => 0.5,
      ...opts,
      sleep: async (ms) => {
        pauses.push(ms);
        clock += ms;
        await opts.sleep?.(ms);
      },
    });
    return { gateway, pauses };
  }

  const posts = () => fake.requests.filter((r) => r.method === "POST");

  describe("accepted", () => {
    it("sends from the configured number with the status callback", async () => {
      const { gateway } = gatewayWithClock();
      const result = await gateway.send(SMS);

      expect(fake.messages).toHaveLength(1);
      const sent = fake.messages[0]!;
      expect(result).toEqual({ outcome: "accepted", sid: sent.sid, status: "queued", segments: 1, attempts: 1 });
      expect(sent).toMatchObject({
        to: VOTER,
        from: FROM,
        messagingServiceSid: null,
        body: SMS.body,
        statusCallback: `${PUBLIC_URL}/twilio/status`,
        validityPeriod: null,
        mediaUrls: [],
      });
    });

    it("sends through the Messaging Service when one is configured, even with a from-number", async () => {
      const { gateway } = gatewayWithClock({}, { messagingServiceSid: SERVICE_SID, fromNumber: FROM });
      const result = await gateway.send({ ...SMS, validityPeriodSeconds: 1800 });

      const sent = fake.messages[0]!;
      // Through a service the message starts "accepted" and its segments are not counted yet.
      expect(result).toEqual({ outcome: "accepted", sid: sent.sid, status: "accepted", segments: null, attempts: 1 });
      expect(sent).toMatchObject({
        from: null,
        messagingServiceSid: SERVICE_SID,
        validityPeriod: 1800,
        statusCallback: `${PUBLIC_URL}/twilio/status`,
      });
      expect(sent.params).not.toHaveProperty("From");
    });

    it("sends media as an MMS, one MediaUrl per file", async () => {
      const { gateway } = gatewayWithClock();
      const mediaUrls = ["https://texting.example.org/m/rally.jpg", "https://texting.example.org/m/map.png"];
      const result = await gateway.send({ ...SMS, mediaUrls });
      expect(result).toMatchObject({ outcome: "accepted", sid: expect.stringMatching(/^MM/) });
      expect(fake.messages[0]!.params.MediaUrl).toEqual(mediaUrls);
    });

    it("sends whole seconds of validity, at most Twilio's 10 hours", async () => {
      const { gateway } = gatewayWithClock();
      await gateway.send({ ...SMS, validityPeriodSeconds: 90.7 });
      await gateway.send({ ...SMS, validityPeriodSeconds: 11 * 3600 });
      expect(fake.messages.map((m) => m.validityPeriod)).toEqual([90, 36_000]);
    });

    it("refuses a text with no time left, or with too many media, before calling Twilio", async () => {
      const { gateway } = gatewayWithClock();
      await expect(gateway.send({ ...SMS, validityPeriodSeconds: 0.5 })).rejects.toThrow(
        "validityPeriodSeconds must be at least 1 second (got 0.5): a text with no time left in the recipient's window must not be sent.",
      );
      await expect(
        gateway.send({ ...SMS, mediaUrls: Array.from({ length: 11 }, (_, i) => `https://x.example/${i}.jpg`) }),
      ).rejects.toThrow("A text carries at most 10 media files (got 11).");
      expect(fake.requests).toHaveLength(0);
    });

    it("needs a sender", () => {
      expect(() => createTwilioGateway(settings({}), PUBLIC_URL)).toThrow(
        /set TWILIO_MESSAGING_SERVICE_SID \(preferred\) or TWILIO_FROM_NUMBER/,
      );
    });
  });

  describe("rejected", () => {
    it.each([
      [21211, "invalid-number"],
      [21408, "country-not-enabled"],
      [21610, "opted-out"],
      [21614, "landline"],
      [21617, "too-long"],
      [30004, "blocked"],
      [30005, "not-in-service"],
      [30006, "landline"],
      [30007, "carrier-filtered"],
      [30034, "unregistered-sender"],
      [30003, "unreachable"],
      [30008, "delivery-failed"],
      [20003, "sender-not-set-up"],
      [21999, "rejected"],
    ])("Twilio error %i: %s, sent once, never retried", async (code, kind) => {
      const { gateway, pauses } = gatewayWithClock();
      fake.failNext({ code });
      const result = await gateway.send(SMS);

      expect(result).toMatchObject({
        outcome: "rejected",
        code,
        kind,
        retryable: false,
        attempts: 1,
        detail: expect.stringContaining(`error ${code}`),
      });
      expect(posts()).toHaveLength(1);
      expect(pauses).toEqual([]);
      expect(fake.messages).toHaveLength(0);
    });

    it("tells the volunteer why in plain words", async () => {
      const { gateway } = gatewayWithClock();
      fake.failNext({ code: 21614 });
      expect(await gateway.send(SMS)).toMatchObject({ message: "This number is a landline and can't receive texts." });
    });

    it("wrong credentials are a setup problem", async () => {
      const gateway = createTwilioGateway({ ...settings(), authToken: "not-the-token" }, PUBLIC_URL);
      expect(await gateway.send(SMS)).toMatchObject({
        outcome: "rejected",
        kind: "sender-not-set-up",
        code: 20003,
        attempts: 1,
      });
    });
  });

  describe("retries only what Twilio proved it did not take", () => {
    it("429 (error 20429) twice, then accepted: three requests, one text", async () => {
      const { gateway, pauses } = gatewayWithClock();
      fake.failNext({ code: 20429, times: 2 });
      const result = await gateway.send(SMS);

      expect(result).toMatchObject({ outcome: "accepted", attempts: 3, sid: fake.messages[0]!.sid });
      expect(posts().map((r) => r.status)).toEqual([429, 429, 201]);
      expect(fake.messages).toHaveLength(1);
      // Exponential backoff with jitter (random fixed at 0.5 here): 3/4 of 250 ms, then of 500 ms.
      expect(pauses).toEqual([188, 375]);
    });

    it("a bare HTTP 429 with no Twilio code is retried too", async () => {
      const { gateway } = gatewayWithClock();
      fake.failNext({ status: 429 });
      expect(await gateway.send(SMS)).toMatchObject({ outcome: "accepted", attempts: 2 });
      expect(posts().map((r) => r.status)).toEqual([429, 201]);
    });

    it("429 forever: gives up within the attempts, as 'Twilio is busy'", async () => {
      const { gateway, pauses } = gatewayWithClock();
      fake.failNext({ code: 20429, times: 100 });
      const result = await gateway.send(SMS);

      expect(result).toEqual({
        outcome: "rejected",
        code: 20429,
        kind: "twilio-busy",
        message: "Twilio is busy right now, so the text wasn't sent. Try again in a moment.",
        detail: "HTTP 429 error 20429: Too Many Requests",
        retryable: false,
        attempts: DEFAULT_SEND_RETRY.attempts,
      });
      expect(posts()).toHaveLength(DEFAULT_SEND_RETRY.attempts);
      expect(pauses.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(DEFAULT_SEND_RETRY.budgetMs);
    });

    it("429 forever: stops when the time budget would run out, whatever the attempts allow", async () => {
      const { gateway, pauses } = gatewayWithClock({
        retry: { attempts: 50, baseDelayMs: 400, maxDelayMs: 800, budgetMs: 2_000 },
      });
      fake.failNext({ code: 20429, times: 100 });
      const result = await gateway.send(SMS);

      expect(result).toMatchObject({ outcome: "rejected", kind: "twilio-busy" });
      // 300 + 600 + 600 = 1,500 ms; one more 600 ms pause would pass 2,000 ms.
      expect(pauses).toEqual([300, 600, 600]);
      expect(result.attempts).toBe(4);
      expect(posts()).toHaveLength(4);
    });

    it("connection refused, then accepted: the refused attempt never reached Twilio", async () => {
      await fake.refuseConnections();
      const { gateway, pauses } = gatewayWithClock({ sleep: () => fake.acceptConnections() });
      const result = await gateway.send(SMS);

      expect(result).toMatchObject({ outcome: "accepted", attempts: 2 });
      expect(pauses).toHaveLength(1);
      expect(posts()).toHaveLength(1);
      expect(fake.messages).toHaveLength(1);
    });

    it("connection refused throughout: 'couldn't reach Twilio', nothing sent", async () => {
      await fake.refuseConnections();
      const { gateway } = gatewayWithClock();
      const result = await gateway.send(SMS);

      expect(result).toMatchObject({
        outcome: "rejected",
        kind: "twilio-unreachable",
        code: null,
        retryable: false,
        attempts: DEFAULT_SEND_RETRY.attempts,
      });
      expect(result.outcome === "rejected" && result.detail).toMatch(/^ECONNREFUSED/);
      expect(fake.requests).toHaveLength(0);
    });

    it("an unknown host is retried like a refused connection", async () => {
      let clock = 0;
      const gateway = createTwilioGateway({ ...settings(), apiUrl: "http://twilio-gateway-test.invalid" }, PUBLIC_URL, {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      });
      const result = await gateway.send(SMS);
      expect(result).toMatchObject({
        outcome: "rejected",
        kind: "twilio-unreachable",
        attempts: DEFAULT_SEND_RETRY.attempts,
      });
      expect(result.outcome === "rejected" && result.detail).toMatch(/^(ENOTFOUND|EAI_AGAIN)/);
    });
  });

  describe("unknown: may have reached Twilio, so never resent", () => {
    it("the connection drops after Twilio received the request", async () => {
      const { gateway, pauses } = gatewayWithClock();
      fake.dropConnectionNext();
      const result = await gateway.send(SMS);

      expect(result).toMatchObject({
        outcome: "unknown",
        attempts: 1,
        detail: expect.stringMatching(/ECONNRESET|socket hang up/),
      });
      expect(result.outcome === "unknown" && result.message).toBe(
        "We couldn't confirm whether this text went out. It will be checked with Twilio before anything is sent again.",
      );
      expect(fake.requests).toHaveLength(1);
      expect(pauses).toEqual([]);
    });

    it("the connection drops after Twilio created the message: one text, found by findSent", async () => {
      const { gateway } = gatewayWithClock();
      const before = new Date();
      fake.dropConnectionNext({ afterCreate: true });
      expect(await gateway.send(SMS)).toMatchObject({ outcome: "unknown", attempts: 1 });
      expect(fake.requests).toHaveLength(1);
      expect(fake.messages).toHaveLength(1);

      expect(await gateway.findSent({ to: VOTER, after: before, body: SMS.body })).toEqual({
        sid: fake.messages[0]!.sid,
        status: "queued",
      });
    });

    it("Twilio times out", async () => {
      const { gateway } = gatewayWithClock({ timeoutMs: 100 });
      fake.delay(1_000);
      const result = await gateway.send(SMS);
      expect(result).toMatchObject({ outcome: "unknown", attempts: 1, detail: expect.stringMatching(/timeout/i) });
      expect(fake.requests).toHaveLength(1);
    });

    it.each([500, 502, 503])("HTTP %i", async (status) => {
      const { gateway } = gatewayWithClock();
      fake.failNext({ status });
      expect(await gateway.send(SMS)).toMatchObject({
        outcome: "unknown",
        attempts: 1,
        detail: expect.stringContaining(`HTTP ${status}`),
      });
      expect(fake.requests).toHaveLength(1);
    });
  });

  describe("findSent", () => {
    it("finds the text with this body to this number since the send began, not other texts", async () => {
      const { gateway } = gatewayWithClock();
      const before = new Date();
      await gateway.send({ to: VOTER, body: "an earlier conversation reply" });
      const sent = await gateway.send(SMS);
      await gateway.send({ to: "+12125550101", body: SMS.body });
      if (sent.outcome !== "accepted") throw new Error("the send failed");

      expect(await gateway.findSent({ to: VOTER, after: before, body: SMS.body })).toEqual({
        sid: sent.sid,
        status: "queued",
      });
      expect(await gateway.findSent({ to: VOTER, after: before, body: "never sent" })).toBeNull();
      expect(
        await gateway.findSent({ to: VOTER, after: new Date(Date.now() + 10 * 60_000), body: SMS.body }),
      ).toBeNull();
      expect(await gateway.findSent({ to: "+12125550102", after: before, body: SMS.body })).toBeNull();
    });

    it("passes over the SIDs it is told are taken: two alike texts are two different messages", async () => {
      const { gateway } = gatewayWithClock();
      const before = new Date();
      const first = await gateway.send(SMS);
      const second = await gateway.send(SMS);
      if (first.outcome !== "accepted" || second.outcome !== "accepted") throw new Error("the send failed");
      const found = await gateway.findSent({ to: VOTER, after: before, body: SMS.body });
      const other = found!.sid === first.sid ? second.sid : first.sid;
      expect(await gateway.findSent({ to: VOTER, after: before, body: SMS.body, except: [found!.sid] })).toEqual({
        sid: other,
        status: "queued",
      });
      expect(
        await gateway.findSent({ to: VOTER, after: before, body: SMS.body, except: [first.sid, second.sid] }),
      ).toBeNull();
    });

    it("reports the status Twilio has now, and asks only about our own number", async () => {
      const { gateway } = gatewayWithClock();
      const before = new Date();
      const sent = await gateway.send(SMS);
      if (sent.outcome !== "accepted") throw new Error("the send failed");
      fake.setStatus(sent.sid, "delivered");

      expect(await gateway.findSent({ to: VOTER, after: before, body: SMS.body })).toEqual({
        sid: sent.sid,
        status: "delivered",
      });
      expect(fake.requests.at(-1)).toMatchObject({ method: "GET", params: { To: VOTER, From: FROM } });
      const otherNumber = createTwilioGateway(settings({ fromNumber: "+12125550198" }), PUBLIC_URL);
      expect(await otherNumber.findSent({ to: VOTER, after: before, body: SMS.body })).toBeNull();
    });

    it("through a Messaging Service, matches whatever number the service picked", async () => {
      const { gateway } = gatewayWithClock({}, { messagingServiceSid: SERVICE_SID });
      const before = new Date();
      const sent = await gateway.send(SMS);
      if (sent.outcome !== "accepted") throw new Error("the send failed");
      expect(await gateway.findSent({ to: VOTER, after: before, body: SMS.body })).toEqual({
        sid: sent.sid,
        status: "accepted",
      });
      expect(fake.requests.at(-1)!.params).not.toHaveProperty("From");
    });
  });

  describe("property: never a second request after one Twilio may have taken", () => {
    type FakeAnswer =
      | { type: "accept" }
      | { type: "twilio-error"; code: number }
      | { type: "http-error"; status: number }
      | { type: "drop"; afterCreate: boolean }
      | { type: "refuse" }
      | { type: "timeout" };

    const answer: fc.Arbitrary<FakeAnswer> = fc.oneof(
      fc.constant<FakeAnswer>({ type: "accept" }),
      fc.record({
        type: fc.constant("twilio-error" as const),
        code: fc.constantFrom(20429, 20429, 21211, 21610, 30007, 30034, 30003, 21999),
      }),
      fc.record({ type: fc.constant("http-error" as const), status: fc.constantFrom(429, 500, 503) }),
      fc.record({ type: fc.constant("drop" as const), afterCreate: fc.boolean() }),
      fc.constant<FakeAnswer>({ type: "refuse" }),
      fc.constant<FakeAnswer>({ type: "timeout" }),
    );

    const mayHaveReachedTwilio = (a: FakeAnswer) =>
      a.type === "drop" || a.type === "timeout" || (a.type === "http-error" && a.status >= 500);

    it("holds for any sequence of answers", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 8 }), async (answers) => {
          fake.reset();
          await fake.acceptConnections();
          const queue = [...answers];
          const applied: FakeAnswer[] = [];
          const arrangeNextAnswer = async () => {
            const next = queue.shift() ?? { type: "accept" };
            applied.push(next);
            await fake.acceptConnections();
            fake.delay(0);
            if (next.type === "twilio-error") fake.failNext({ code: next.code });
            if (next.type === "http-error") fake.failNext({ status: next.status });
            if (next.type === "drop") fake.dropConnectionNext({ afterCreate: next.afterCreate });
            if (next.type === "refuse") await fake.refuseConnections();
            if (next.type === "timeout") fake.delay(400);
          };
          await arrangeNextAnswer();
          const gateway = createTwilioGateway(settings(), PUBLIC_URL, {
            timeoutMs: 150,
            retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 2, budgetMs: 60_000 },
            sleep: arrangeNextAnswer,
          });

          const result: SendResult = await gateway.send(SMS);

          // Every request but the last was answered with a proof of non-acceptance that asks to retry.
          const requests = posts();
          for (const earlier of requests.slice(0, -1)) expect(earlier).toMatchObject({ status: 429 });
          expect(requests.slice(0, -1).every((r) => !r.dropped)).toBe(true);
          expect(applied.slice(0, -1).some(mayHaveReachedTwilio)).toBe(false);
          expect(fake.messages.length).toBeLessThanOrEqual(1);
          expect(result.attempts).toBe(applied.length);

          const last = applied.at(-1)!;
          if (result.outcome === "accepted") expect(result.sid).toBe(fake.messages[0]?.sid);
          if (result.outcome === "rejected") expect(fake.messages).toHaveLength(0);
          expect(result.outcome === "unknown").toBe(mayHaveReachedTwilio(last));
          expect(result.outcome === "accepted").toBe(last.type === "accept");
        }),
        { numRuns: 60 },
      );
    });
  });
});
