import {
  eventBody,
  fakeMessageTs,
  inboundSmsParams,
  messageEvent,
  postToSlackApp,
  postTwilioWebhook,
} from "../fakes/signing";
import { FAKE_TWILIO_AUTH_TOKEN } from "../fakes/twilio-api";
import { startHarness, PUBLIC_URL, SENDER, SIGNING_SECRET, type Harness } from "../support/app-harness";
import { createPgliteDatabase } from "../support/databases";

/*
 * The inbox processes texts and thread replies in the order they came. Before it texts a reply it
 * asks Slack who wrote it; Bolt's client would wait on a Slack that does not answer (and retry for
 * half an hour), so a voter's STOP queued behind that reply waited too. Lookups now give up.
 */

const VOTER = "+12125550144";

describe("the inbox while Slack does not answer (pglite)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(createPgliteDatabase);
  });
  afterAll(async () => {
    h?.slack.delay(0);
    await h?.close();
  });

  it("still records a STOP that arrived after a volunteer's reply whose author it cannot look up", async () => {
    // From now on every Slack Web API answer takes ten minutes.
    h.slack.delay(600_000);
    const reply = await postToSlackApp(h.app.localUrl, {
      secret: SIGNING_SECRET,
      body: eventBody(
        messageEvent({ channel: "C0REPLIES", user: "U0NEWVOLUNTEER", text: "On my way!", threadTs: fakeMessageTs() }),
      ),
    });
    expect(reply.status).toBe(200);
    const stop = inboundSmsParams({ from: VOTER, to: SENDER, body: "STOP" });
    expect(
      (await postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/sms", FAKE_TWILIO_AUTH_TOKEN, stop)).status,
    ).toBe(200);

    // A liveness bound, not a speed check: far under Bolt's half hour of retries.
    let optOut = null;
    for (let i = 0; i < 120 && !optOut; i++) {
      optOut = await h.app.db.prisma.optOut.findUnique({ where: { phone: VOTER } });
      if (!optOut) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(optOut).not.toBeNull();
    // The reply is not lost: its failed lookup is counted and it will be tried again.
    const event = await h.app.db.prisma.inboundEvent.findFirstOrThrow({ where: { source: "slack.reply" } });
    expect(event).toMatchObject({ processedAt: null, attempts: expect.any(Number) });
    expect(event.attempts).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
