import pino from "pino";
import type { Database } from "../../../src/db/database";
import { newId } from "../../../src/db/ids";
import { ConversationInbox } from "../../../src/services/conversation-inbox";
import { type ConversationDeps } from "../../../src/services/conversation-threads";
import { reconcileUnconfirmedSends } from "../../../src/services/send-results";
import { recordThreadReply } from "../../../src/services/thread-replies";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const SENDER = "+12125550199";
const UNMATCHED = "C0UNMATCHED";
const REPLIES = "C0REPLIES";
// Monday 10:00 in New York: sending hours open.
const NOW = new Date("2026-11-30T15:00:00Z");

describe.each(BACKENDS)("volunteers' replies that are not texted (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let deps: ConversationDeps;
  let ts = 0;
  const nextTs = () => `1795000000.${String(++ts).padStart(6, "0")}`;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio({ now: () => NOW });
    const sms = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
    );
    deps = {
      db,
      sms,
      sender: SENDER,
      clock: () => NOW,
      render: slackThreadRenderer,
      unmatchedChannel: UNMATCHED,
      logger: pino({ level: "silent" }),
    };
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });
  beforeEach(() => twilio.reset());

  /** A post of the app's that Slack accepted, with the ts it answered. */
  async function appPost(channel: string, dedupeKey: string) {
    const resultTs = nextTs();
    await db.prisma.slackOutbox.create({
      data: { channel, method: "chat.postMessage", payload: { text: "…" }, dedupeKey, status: "sent", resultTs },
    });
    return resultTs;
  }

  /** A volunteer replies in the thread of `threadTs`; the inbox processes it. Returns the reply's ts. */
  async function replyIn(channel: string, threadTs: string, text: string) {
    const reply = { channel, ts: nextTs(), threadTs, user: "U0BEN", text };
    await recordThreadReply(db, reply);
    await new ConversationInbox(deps, { roleOf: async () => "volunteer" }).drain();
    return reply.ts;
  }
  const noteOn = (channel: string, replyTs: string) =>
    db.prisma.slackOutbox.findUnique({ where: { dedupeKey: `reply-note:${channel}:${replyTs}` } });

  it("tells a volunteer who replied under the app's post about an unmatched or set-aside text that nothing went out", async () => {
    const unmatchedPost = await appPost(UNMATCHED, `sms:${newId()}`);
    const setAsidePost = await appPost(UNMATCHED, `inbox-set-aside:${newId()}`);

    const underUnmatched = await replyIn(UNMATCHED, unmatchedPost, "Hi, who is this?");
    expect(await noteOn(UNMATCHED, underUnmatched)).toMatchObject({
      channel: UNMATCHED,
      payload: {
        thread_ts: unmatchedPost,
        text: expect.stringMatching(
          /^<@U0BEN>, replies here are not texted: this text belongs to no conversation, so nothing went out\. To answer them, text them from a campaign/,
        ),
      },
    });
    const underSetAside = await replyIn(UNMATCHED, setAsidePost, "Polls open at 6");
    expect(await noteOn(UNMATCHED, underSetAside)).toMatchObject({
      payload: {
        thread_ts: setAsidePost,
        text: expect.stringContaining("replies here are not texted: this voter's text was set aside"),
      },
    });
    expect(twilio.messages).toHaveLength(0);
  });

  it("says nothing in threads of people's own messages, nor of the app's other posts elsewhere", async () => {
    const person = await replyIn(UNMATCHED, nextTs(), "Lunch at noon?");
    const elsewhere = await appPost(REPLIES, `sms:${newId()}`);
    const underElsewhere = await replyIn(REPLIES, elsewhere, "Anyone?");
    expect(await noteOn(UNMATCHED, person)).toBeNull();
    expect(await noteOn(REPLIES, underElsewhere)).toBeNull();
    expect(twilio.messages).toHaveLength(0);
  });

  it("tells a volunteer what reconciliation found of their unconfirmed replies, and leaves the contact's campaign entry alone", async () => {
    const contact = await db.prisma.contact.create({
      data: { phone: "+12125550401", firstName: "Dana", zip: "10001", timeZone: "America/New_York" },
    });
    const campaign = await db.prisma.campaign.create({
      data: { name: "Reconciled replies", status: "running", createdBy: "U0ORG", conversationChannelId: REPLIES },
    });
    await db.prisma.campaignContact.create({
      data: { campaignId: campaign.id, contactId: contact.id, status: "sent", firstTextAt: NOW, lastTextAt: NOW },
    });
    const thread = nextTs();
    await db.prisma.conversation.create({
      data: { campaignId: campaign.id, contactId: contact.id, slackChannelId: REPLIES, slackThreadTs: thread },
    });
    // One reply never reached Twilio; the other did, but its answer was lost.
    twilio.dropConnectionNext();
    await replyIn(REPLIES, thread, "Polls open at 6");
    twilio.dropConnectionNext({ afterCreate: true });
    await replyIn(REPLIES, thread, "See you there");
    const replies = await db.prisma.message.findMany({
      where: { conversationId: { not: null }, direction: "outbound", sentBy: "U0BEN" },
      orderBy: { body: "asc" },
    });
    expect(replies.map((m) => [m.body, m.status, m.campaignId])).toEqual([
      ["Polls open at 6", "unconfirmed", campaign.id],
      ["See you there", "unconfirmed", campaign.id],
    ]);

    const later = new Date(NOW.getTime() + 120_000);
    expect(await reconcileUnconfirmedSends(deps, later)).toEqual({
      confirmed: 1,
      notSent: 1,
      failed: 0,
    });
    // A reply is not the campaign's text: the contact stays where the campaign left them.
    expect(
      await db.prisma.campaignContact.findFirstOrThrow({ where: { campaignId: campaign.id, contactId: contact.id } }),
    ).toMatchObject({ status: "sent", skipCode: null });
    const [notSent, sent] = await Promise.all(
      replies.map((m) => db.prisma.slackOutbox.findUniqueOrThrow({ where: { dedupeKey: `reconciled:${m.id}` } })),
    );
    expect(notSent).toMatchObject({
      channel: REPLIES,
      payload: {
        thread_ts: thread,
        text: ":x: <@U0BEN>, Twilio never took your reply, so it was not sent. Send it again if it still matters:\n>Polls open at 6",
      },
    });
    expect(sent).toMatchObject({
      payload: {
        text: ":white_check_mark: <@U0BEN>, your reply did go out after all: Twilio has it.\n>See you there",
      },
    });
  });

  it("holds a reply with files (and the thread's later replies) while a preparer's lease lasts, takes it again once a crashed one's lease ends, and never loses it", async () => {
    const contact = await db.prisma.contact.create({
      data: { phone: "+12125550402", firstName: "Eve", zip: "10001", timeZone: "America/New_York" },
    });
    const campaign = await db.prisma.campaign.create({
      data: { name: "Leased files", status: "running", createdBy: "U0ORG", conversationChannelId: REPLIES },
    });
    const thread = nextTs();
    await db.prisma.conversation.create({
      data: { campaignId: campaign.id, contactId: contact.id, slackChannelId: REPLIES, slackThreadTs: thread },
    });
    const withFile = {
      channel: REPLIES,
      ts: nextTs(),
      threadTs: thread,
      user: "U0BEN",
      text: "Our flyer",
      files: true,
      attachments: [
        { name: "flyer.jpg", mimetype: "image/jpeg", url: "https://files.slack.com/files-pri/T0/F0/flyer.jpg" },
      ],
    };
    const { eventId } = (await recordThreadReply(db, withFile))!;
    const later = { channel: REPLIES, ts: nextTs(), threadTs: thread, user: "U0BEN", text: "Did you see it?" };
    await recordThreadReply(db, later);
    // Another process leased its files and died with them.
    await db.prisma.inboundEvent.update({
      where: { id: eventId },
      data: { mediaLeaseUntil: new Date(Date.now() + 10 * 60_000) },
    });
    await new ConversationInbox(deps, { roleOf: async () => "volunteer" }).drain();
    expect(await db.prisma.inboundEvent.findUniqueOrThrow({ where: { id: eventId } })).toMatchObject({
      mediaState: "waiting",
      processedAt: null,
    });
    expect(twilio.messages).toHaveLength(0); // the later reply waits behind it

    // The lease ends: this process takes the files (this app cannot read Slack files here, so none is
    // read), the reply gets its note, and the later reply goes out after it.
    await db.prisma.inboundEvent.update({ where: { id: eventId }, data: { mediaLeaseUntil: new Date(0) } });
    const inbox = new ConversationInbox(deps, { roleOf: async () => "volunteer", pollMs: 50 });
    inbox.start();
    try {
      for (let i = 0; i < 400 && !twilio.messages.length; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await inbox.stop();
    }
    expect(twilio.messages.map((m) => m.body)).toEqual(["Did you see it?"]);
    expect(await db.prisma.inboundEvent.findUniqueOrThrow({ where: { id: eventId } })).toMatchObject({
      mediaState: "ready",
      media: { ids: [], refused: [] },
      processedAt: expect.any(Date),
    });
    expect(await noteOn(REPLIES, withFile.ts)).toMatchObject({
      payload: {
        thread_ts: thread,
        text: expect.stringContaining("the file shared here could not be read from Slack"),
      },
    });
  });
});
