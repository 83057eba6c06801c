import pino from "pino";
import type { Database } from "../../../src/db/database";
import { toggleTag } from "../../../src/services/conversation-controls";
import { ConversationInbox } from "../../../src/services/conversation-inbox";
import { type ConversationDeps } from "../../../src/services/conversation-threads";
import { recordInboundSms } from "../../../src/services/inbound-sms";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/*
 * Which events reach the webhook outbox, each once, from the transaction of its cause: a voter's
 * text (its opt-out first), and an outcome tag set and removed from the thread.
 */

const SENDER = "+12125550199";
const MEMBERS = { roleOf: async () => "volunteer" as const };

describe.each(BACKENDS)("webhook events from their causes (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let deps: ConversationDeps;
  const now = new Date("2026-11-30T15:00:00Z");
  let sids = 0;

  beforeAll(async () => {
    [db, twilio] = await Promise.all([openMigratedDatabase(create), startFakeTwilio()]);
    const sms = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
    );
    deps = {
      db,
      sms,
      sender: SENDER,
      clock: () => now,
      render: slackThreadRenderer,
      unmatchedChannel: "C0UNMATCHED",
      logger: pino({ level: "silent" }),
      webhooksSetUp: true,
    };
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  async function conversationOf(phone: string) {
    const contact = await db.prisma.contact.create({ data: { phone, firstName: "Dana" } });
    const campaign = await db.prisma.campaign.create({
      data: {
        name: `Hooks ${phone}`,
        createdBy: "U0ORG",
        conversationChannelId: "C0REPLIES",
        goalOutcomeTag: "pledged",
      },
    });
    return db.prisma.conversation.create({
      data: {
        campaignId: campaign.id,
        contactId: contact.id,
        slackChannelId: "C0REPLIES",
        slackThreadTs: `17.${phone}`,
      },
    });
  }
  const eventsOf = (phone: string) =>
    db.prisma.webhookEvent.findMany({ where: { orderKey: phone }, orderBy: { position: "asc" } });
  async function texts(phone: string, body: string, inboxDeps = deps) {
    const sid = `SM${String(++sids).padStart(32, "0")}`;
    await recordInboundSms(
      db.sql,
      { sid, from: phone, to: SENDER, body, media: [], carrierKeyword: null, raw: {} },
      new Date(),
    );
    // Twice: a second drain finds nothing new to report.
    await new ConversationInbox(inboxDeps, MEMBERS).drain();
    await new ConversationInbox(inboxDeps, MEMBERS).drain();
  }

  it("reports a voter's reply once, with the campaign", async () => {
    const conversation = await conversationOf("+12125559001");
    await texts("+12125559001", "Yes, I'll vote =)");
    const events = await eventsOf("+12125559001");
    expect(events.map((e) => e.type)).toEqual(["reply"]);
    expect(events[0]!.campaignId).toBe(conversation.campaignId);
    expect(events[0]!.payload).toMatchObject({
      type: "reply",
      phone: "+12125559001",
      campaign: { id: conversation.campaignId },
      data: { body: "Yes, I'll vote =)" },
    });
  });

  it("reports an opt-out in a reply before the reply itself", async () => {
    await conversationOf("+12125559002");
    await texts("+12125559002", "please stop texting me");
    expect((await eventsOf("+12125559002")).map((e) => e.type)).toEqual(["opt-out", "reply"]);
  });

  it("reports an outcome tag set and removed from the thread", async () => {
    const conversation = await conversationOf("+12125559003");
    const controls = { db, render: slackThreadRenderer, logger: pino({ level: "silent" }), clock: () => now };
    await toggleTag(controls, conversation.id, "pledged", actor("U0ANA", "volunteer", now), "1.1");
    await toggleTag(controls, conversation.id, "pledged", actor("U0ANA", "volunteer", now), "1.2");
    const events = await eventsOf("+12125559003");
    expect(events.map((e) => [e.type, (e.payload as { data: { tag: string } }).data.tag])).toEqual([
      ["outcome.set", "pledged"],
      ["outcome.removed", "pledged"],
    ]);
  });

  it("queues no reply event when webhooks are not set up: a plain text, one asking for help and an unmatched one", async () => {
    const notSetUp = { ...deps, webhooksSetUp: false };
    await conversationOf("+12125559004");
    // A plain text to an open thread (the batch), then one processed on its own (help), then a stranger's.
    await texts("+12125559004", "Sounds good", notSetUp);
    await texts("+12125559004", "HELP", notSetUp);
    await texts("+12125559005", "who is this?", notSetUp);
    const posted = await db.prisma.slackOutbox.count({ where: { dedupeKey: { startsWith: "sms:" } } });
    expect(posted).toBeGreaterThanOrEqual(3);
    expect(await eventsOf("+12125559004")).toEqual([]);
    expect(await eventsOf("+12125559005")).toEqual([]);
  });
});
