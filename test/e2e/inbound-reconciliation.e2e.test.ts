import pino from "pino";
import { reconcileInboundTexts } from "../../src/services/inbound-reconciliation";
import { createTwilioGateway } from "../../src/sms/twilio-gateway";
import { postTwilioWebhook } from "../fakes/signing";
import { PUBLIC_URL, SENDER, startHarness, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

const ORGANIZER = "U0ORGANIZER";
const UNMATCHED = "C0UNMATCHED";
// Monday Nov 30 2026, 10:00 in New York.
const NOW = new Date("2026-11-30T15:00:00Z");

/*
 * Texts whose webhook never reached the app (an outage, or a 503 under overload) are still in
 * Twilio's message log. The reconciliation reads the log through the real SDK, against the fake
 * Twilio's list endpoint, and the inbox processes each text once, however it arrived.
 */
describe.each(BACKENDS)("texts recovered from Twilio's message log (%s)", (_name, create) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(create, { clock: () => NOW }, { unmatchedChannel: UNMATCHED });
  });
  afterAll(() => h?.close());

  const reconcile = () =>
    reconcileInboundTexts(
      { db: h.app.db, sms: createTwilioGateway(h.config.twilio, PUBLIC_URL), logger: pino({ level: "silent" }) },
      NOW,
    );
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 500; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting until ${what}`);
  };

  it("processes a text only the log has once, does not double one the webhook brought, and records an opt-out only the log has", async () => {
    const campaign = await h.app.db.prisma.campaign.create({
      data: { name: "Recovered", status: "running", createdBy: ORGANIZER, conversationChannelId: "C0REPLIES" },
    });
    for (const [phone, firstName] of [
      ["+12125550161", "Lena"],
      ["+12125550162", "Omar"],
      ["+12125550163", "Pia"],
    ] as const) {
      const contact = await h.app.db.prisma.contact.create({ data: { phone, firstName, zip: "10001" } });
      await h.app.db.prisma.conversation.create({ data: { campaignId: campaign.id, contactId: contact.id } });
    }
    const lost = h.twilio.receive({ from: "+12125550161", to: SENDER, body: "Sent while your app was down" });
    const delivered = h.twilio.receive({ from: "+12125550162", to: SENDER, body: "This one got through" });
    const optOut = h.twilio.receive({ from: "+12125550163", to: SENDER, body: "please stop texting me" });
    // Someone else's outbound text in the same log is not a voter's text.
    h.twilio.receive({ from: "+12125550164", to: "+13105550100", body: "to another number" });
    const webhook = await postTwilioWebhook(
      h.app.localUrl,
      PUBLIC_URL,
      "/twilio/sms",
      h.config.twilio.authToken,
      delivered.params,
    );
    expect(webhook.status).toBe(200);

    // The app's own run of the job at boot may have found them first: either way they are stored once.
    expect((await reconcile()).listed).toBe(3);
    expect(await h.app.db.prisma.message.count({ where: { twilioSid: { in: [lost.sid, optOut.sid] } } })).toBe(2);
    expect(await reconcile()).toEqual({ listed: 3, recovered: 0 });
    await until("every stored text is processed", async () => {
      const left = await h.app.db.prisma.inboundEvent.count({ where: { source: "twilio.sms", processedAt: null } });
      return left === 0;
    });

    const bySid = async (sid: string) => h.app.db.prisma.message.findMany({ where: { twilioSid: sid } });
    expect((await bySid(lost.sid)).map((m) => m.body)).toEqual(["Sent while your app was down"]);
    expect((await bySid(delivered.sid)).map((m) => m.body)).toEqual(["This one got through"]);
    expect(await h.app.db.prisma.inboundEvent.count({ where: { externalId: delivered.sid } })).toBe(1);
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone: "+12125550163" } })).toMatchObject({
      source: "reply_phrase",
    });
    // Each text was queued for its thread once.
    for (const sid of [lost.sid, delivered.sid, optOut.sid]) {
      const [message] = await bySid(sid);
      expect(await h.app.db.prisma.slackOutbox.count({ where: { dedupeKey: `sms:${message!.id}` } })).toBe(1);
    }
    // Found in the log, then delivered late by a webhook too: still once.
    const late = await postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/sms", h.config.twilio.authToken, {
      ...lost.params,
    });
    expect(late.status).toBe(200);
    expect(await bySid(lost.sid)).toHaveLength(1);
  });
});
