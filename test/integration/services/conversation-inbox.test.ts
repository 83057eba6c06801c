import pino from "pino";
import type { Database } from "../../../src/db/database";
import { maskPhone } from "../../../src/domain/phone";
import { ConversationInbox, MAX_INBOX_ATTEMPTS } from "../../../src/services/conversation-inbox";
import { type ConversationDeps } from "../../../src/services/conversation-threads";
import { recordInboundSms } from "../../../src/services/inbound-sms";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/** Every reply's author is a member of the workspace (roles are tested in test/e2e/roles.e2e.test.ts). */
const MEMBERS = { roleOf: async () => "volunteer" as const };

describe.each(BACKENDS)("the conversation inbox (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let deps: ConversationDeps;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio();
    const sms = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: "+12125550199", apiUrl: twilio.url },
      "https://texting.example.org",
    );
    deps = {
      db,
      sms,
      sender: "+12125550199",
      clock: () => new Date(),
      render: slackThreadRenderer,
      unmatchedChannel: "C0UNMATCHED",
      logger: pino({ level: "silent" }),
      // Set up, so the batch test can check each text is reported once and in order.
      webhooksSetUp: true,
    };
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  it("takes plain texts to open threads in batches, keeping each voter's texts in order around one that asks for help", async () => {
    const campaign = await db.prisma.campaign.create({
      data: { name: "Batch order", status: "running", createdBy: "U0ORG", conversationChannelId: "C0BATCH" },
    });
    const voters = ["+12125550181", "+12125550182"];
    for (const [i, phone] of voters.entries()) {
      const contact = await db.prisma.contact.create({ data: { phone, firstName: `Batch${i}` } });
      await db.prisma.conversation.create({
        data: {
          campaignId: campaign.id,
          contactId: contact.id,
          slackChannelId: "C0BATCH",
          slackThreadTs: `1795000001.00000${i}`,
        },
      });
    }
    const bodies = [
      [voters[0]!, "first"],
      [voters[1]!, "other voter 1"],
      [voters[0]!, "HELP"],
      [voters[0]!, "after help"],
      [voters[1]!, "other voter 2"],
      [voters[0]!, "last"],
    ] as const;
    for (const [i, [from, body]] of bodies.entries()) {
      const sid = `SM${String(i).padStart(32, "b")}`;
      await recordInboundSms(
        db.sql,
        { sid, from, to: "+12125550199", body, media: [], raw: { MessageSid: sid } },
        new Date(),
      );
    }
    await new ConversationInbox(deps, MEMBERS).drain();

    const posts = await db.prisma.slackOutbox.findMany({ where: { channel: "C0BATCH" }, orderBy: { position: "asc" } });
    const inThread = (ts: string) =>
      posts
        .filter((p) => (p.payload as { thread_ts?: string }).thread_ts === ts)
        .map((p) => (p.payload as { text: string }).text);
    const first = inThread("1795000001.000000");
    expect(first.filter((t) => ["first", "HELP", "after help", "last"].includes(t))).toEqual([
      "first",
      "HELP",
      "after help",
      "last",
    ]);
    expect(first).toHaveLength(5); // and the note on the help request, right after it
    expect(first[2]).toContain("They asked for help");
    expect(inThread("1795000001.000001")).toEqual(["other voter 1", "other voter 2"]);
    // Each text is reported to WEBHOOK_URL once, in the voter's order, by the batch or one by one.
    const reported = await db.prisma.webhookEvent.findMany({
      where: { orderKey: voters[0] },
      orderBy: { position: "asc" },
    });
    expect(reported.map((e) => (e.payload as { data: { body: string } }).data.body)).toEqual([
      "first",
      "HELP",
      "after help",
      "last",
    ]);
    expect(await db.prisma.message.count({ where: { fromPhone: { in: voters }, conversationId: null } })).toBe(0);
    expect(await db.prisma.inboundEvent.count({ where: { source: "twilio.sms", processedAt: null } })).toBe(0);
  });

  it("sets aside events that keep failing, for good and across restarts, so they never starve the ones behind them", async () => {
    // 60 broken events, older than a good one: more than one batch of 50.
    const old = new Date(Date.now() - 60_000);
    await db.prisma.inboundEvent.createMany({
      data: Array.from({ length: 60 }, (_, i) => ({
        source: "slack.reply",
        externalId: `broken:${i}`,
        payload: {},
        receivedAt: old,
      })),
    });
    await recordInboundSms(
      db.sql,
      {
        sid: "SM0000000000000000000000000000good",
        from: "+13125550100",
        to: "+12125550199",
        body: "who is this?",
        media: [],
        raw: { MessageSid: "SM0000000000000000000000000000good" },
      },
      new Date(),
    );
    const inbox = new ConversationInbox(deps, MEMBERS);
    for (let tick = 0; tick < 10; tick++) await inbox.drain();
    const good = await db.prisma.inboundEvent.findFirstOrThrow({
      where: { externalId: "SM0000000000000000000000000000good" },
    });
    expect(good.processedAt).not.toBeNull();
    expect(await db.prisma.slackOutbox.count({ where: { channel: "C0UNMATCHED" } })).toBe(1);
    // The broken ones stay stored and unprocessed, set aside with their last error: nothing is dropped.
    const broken = await db.prisma.inboundEvent.findMany({ where: { externalId: { startsWith: "broken:" } } });
    expect(broken).toHaveLength(60);
    for (const event of broken) {
      expect(event).toMatchObject({
        processedAt: null,
        attempts: MAX_INBOX_ATTEMPTS,
        failedAt: expect.any(Date),
        lastError: expect.stringMatching(/./),
      });
    }
    // A restarted process does not try them again.
    await new ConversationInbox(deps, MEMBERS).drain();
    expect(
      await db.prisma.inboundEvent.count({
        where: { externalId: { startsWith: "broken:" }, attempts: { gt: MAX_INBOX_ATTEMPTS } },
      }),
    ).toBe(0);
  });

  it("reports a voter's text it had to set aside in the unmatched channel, once", async () => {
    // A conversation whose stored channel is a name, not an id: every post to its thread is refused.
    const contact = await db.prisma.contact.create({ data: { phone: "+13125550111", firstName: "Ana" } });
    await db.prisma.conversation.create({
      data: { contactId: contact.id, slackChannelId: "general", slackThreadTs: "1700000000.000100" },
    });
    const sid = "SM00000000000000000000000000poison";
    await recordInboundSms(
      db.sql,
      {
        sid,
        from: contact.phone,
        to: "+12125550199",
        body: "Is the polling place open <!channel>?",
        media: [],
        raw: { MessageSid: sid, From: contact.phone, Body: "Is the polling place open <!channel>?" },
      },
      new Date(),
    );
    const inbox = new ConversationInbox(deps, MEMBERS);
    for (let tick = 0; tick < MAX_INBOX_ATTEMPTS + 3; tick++) await inbox.drain();

    const event = await db.prisma.inboundEvent.findFirstOrThrow({ where: { externalId: sid } });
    expect(event).toMatchObject({ processedAt: null, attempts: MAX_INBOX_ATTEMPTS, failedAt: expect.any(Date) });
    expect(event.lastError).toContain("C0123ABCD");
    const posts = await db.prisma.slackOutbox.findMany({ where: { dedupeKey: `inbox-set-aside:${event.id}` } });
    expect(posts).toHaveLength(1);
    expect(posts[0]!.channel).toBe("C0UNMATCHED");
    const text = (posts[0]!.payload as { text: string }).text;
    expect(text).toContain(maskPhone(contact.phone));
    expect(text).toContain(`inbox event ${event.id}`);
    expect(text).toContain("Is the polling place open &lt;!channel&gt;?");
    expect(text).not.toContain("<!channel>");
  });

  it("tells the volunteer in the thread when their reply was set aside, once", async () => {
    const contact = await db.prisma.contact.create({ data: { phone: "+13125550122", firstName: "Ben" } });
    await db.prisma.conversation.create({
      data: { contactId: contact.id, slackChannelId: "C0REPLIES", slackThreadTs: "1700000000.000300" },
    });
    // A reply whose text is not a string: it fails however often it is tried.
    const event = await db.prisma.inboundEvent.create({
      data: {
        source: "slack.reply",
        externalId: "C0REPLIES:1700000000.000400",
        payload: {
          channel: "C0REPLIES",
          ts: "1700000000.000400",
          threadTs: "1700000000.000300",
          user: "U0VOL",
          text: 42,
        },
      },
    });
    const inbox = new ConversationInbox(deps, MEMBERS);
    for (let tick = 0; tick < MAX_INBOX_ATTEMPTS + 3; tick++) await inbox.drain();

    expect(await db.prisma.inboundEvent.findUniqueOrThrow({ where: { id: event.id } })).toMatchObject({
      processedAt: null,
      attempts: MAX_INBOX_ATTEMPTS,
      failedAt: expect.any(Date),
    });
    const posts = await db.prisma.slackOutbox.findMany({ where: { dedupeKey: `inbox-set-aside:${event.id}` } });
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      channel: "C0REPLIES",
      payload: {
        thread_ts: "1700000000.000300",
        text: expect.stringContaining("Nothing went out to the voter: send it again."),
      },
    });
    expect(twilio.messages.filter((m) => m.to === contact.phone)).toHaveLength(0);
  });

  it("records a voter's opt-out even when the rest of the text's processing keeps failing, confirms it once, and says so when it is set aside", async () => {
    const contact = await db.prisma.contact.create({ data: { phone: "+13125550133", firstName: "Cy" } });
    const campaign = await db.prisma.campaign.create({
      data: { name: "Opt-out first", createdBy: "U0ORG", senderIdentity: "Sam with Neighbors for B." },
    });
    // Every post to this conversation's thread is refused (a channel name, not an id).
    await db.prisma.conversation.create({
      data: { campaignId: campaign.id, contactId: contact.id, slackChannelId: "general", slackThreadTs: "1.000100" },
    });
    const sid = "SM0000000000000000000000000optout1";
    await recordInboundSms(
      db.sql,
      {
        sid,
        from: contact.phone,
        to: "+12125550199",
        body: "please stop texting me",
        media: [],
        raw: { MessageSid: sid },
      },
      new Date(),
    );
    const inbox = new ConversationInbox(deps, MEMBERS);
    for (let tick = 0; tick < MAX_INBOX_ATTEMPTS + 3; tick++) await inbox.drain();

    expect(await db.prisma.optOut.findUnique({ where: { phone: contact.phone } })).toMatchObject({
      source: "reply_phrase",
    });
    const event = await db.prisma.inboundEvent.findFirstOrThrow({ where: { externalId: sid } });
    expect(event).toMatchObject({ processedAt: null, failedAt: expect.any(Date), optOutRecorded: "sent" });
    // One confirmation, however often the rest was tried.
    expect(twilio.messages.filter((m) => m.to === contact.phone).map((m) => m.body)).toEqual([
      "You're unsubscribed and will get no more texts from Sam with Neighbors for B.",
    ]);
    const [report] = await db.prisma.slackOutbox.findMany({ where: { dedupeKey: `inbox-set-aside:${event.id}` } });
    expect((report!.payload as { text: string }).text).toMatch(
      /^:no_entry_sign: \*This text asks to opt out, and the opt-out is recorded\*/,
    );
  });

  it("says loudly when a set-aside text asks to opt out and the opt-out could not be recorded", async () => {
    const phone = "+13125550144";
    // The database refuses this number's opt-out, however it is tried.
    await db.prisma.$executeRawUnsafe(
      `CREATE FUNCTION refuse_test_opt_out() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'opt-outs refused'; END $$ LANGUAGE plpgsql`,
    );
    await db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_test_opt_out BEFORE INSERT ON "OptOut" FOR EACH ROW WHEN (NEW.phone = '${phone}') EXECUTE FUNCTION refuse_test_opt_out()`,
    );
    try {
      const sid = "SM0000000000000000000000000optout2";
      await recordInboundSms(
        db.sql,
        { sid, from: phone, to: "+12125550199", body: "STOP", media: [], raw: {} },
        new Date(),
      );
      const inbox = new ConversationInbox(deps, MEMBERS);
      for (let tick = 0; tick < MAX_INBOX_ATTEMPTS + 3; tick++) await inbox.drain();

      const event = await db.prisma.inboundEvent.findFirstOrThrow({ where: { externalId: sid } });
      expect(event).toMatchObject({ failedAt: expect.any(Date), optOutRecorded: null });
      const [report] = await db.prisma.slackOutbox.findMany({ where: { dedupeKey: `inbox-set-aside:${event.id}` } });
      expect((report!.payload as { text: string }).text).toMatch(
        /^:rotating_light: \*This text asks to opt out, and the opt-out could not be recorded\.\* Opt this number out by hand now/,
      );
    } finally {
      await db.prisma.$executeRawUnsafe(`DROP TRIGGER refuse_test_opt_out ON "OptOut"`);
      await db.prisma.$executeRawUnsafe(`DROP FUNCTION refuse_test_opt_out()`);
    }
  });
});
