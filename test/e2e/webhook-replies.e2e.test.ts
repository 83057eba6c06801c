import { inboundSmsParams, postTwilioWebhook } from "../fakes/signing";
import { PUBLIC_URL, SENDER, startHarness, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

/*
 * A voter's text is queued as a `reply` webhook event only by an app with WEBHOOK_URL and
 * WEBHOOK_SECRET: without them the event would only be closed unsent, so none is written. Both
 * apps get the same text from a number no conversation claims and post it to the unmatched channel.
 */

const UNMATCHED = "C0UNMATCHED";
// Nothing listens there: the events stay queued (or retrying), which is all this checks.
const WEBHOOKS = { url: "http://127.0.0.1:9/hooks", secret: "e2e-webhook-secret-0123456789" };

describe.each(BACKENDS)("reply events for WEBHOOK_URL (%s)", (_name, create) => {
  async function replyEventsAfterAText(settings: Parameters<typeof startHarness>[3]) {
    const h: Harness = await startHarness(create, {}, { unmatchedChannel: UNMATCHED }, settings);
    try {
      const from = "+13125550777";
      await postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/sms", h.config.twilio.authToken, {
        ...inboundSmsParams({ from, to: SENDER, body: "who is this?" }),
      });
      // Posted to the unmatched channel: the text was processed, in the transaction that queues its event.
      await h.slack.waitFor(
        "chat.postMessage",
        (c) => c.args.channel === UNMATCHED && String(c.args.text).includes("who is this?"),
        10_000,
      );
      return await h.app.db.prisma.webhookEvent.findMany({ where: { orderKey: from } });
    } finally {
      await h.close();
    }
  }

  it("writes one for a voter's text when webhooks are set up", async () => {
    const events = await replyEventsAfterAText({ webhooks: WEBHOOKS });
    expect(events.map((e) => e.type)).toEqual(["reply"]);
    expect(events[0]!.payload).toMatchObject({ type: "reply", phone: "+13125550777", data: { body: "who is this?" } });
  });

  it("writes none when WEBHOOK_URL and WEBHOOK_SECRET are unset", async () => {
    expect(await replyEventsAfterAText({})).toEqual([]);
  });
});
