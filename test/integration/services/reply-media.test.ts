import pino from "pino";
import type { Database } from "../../../src/db/database";
import { ConversationInbox, MAX_INBOX_ATTEMPTS } from "../../../src/services/conversation-inbox";
import { type ConversationDeps } from "../../../src/services/conversation-threads";
import { REPLY_MEDIA_RETRY_MS } from "../../../src/services/reply-media";
import { recordThreadReply } from "../../../src/services/thread-replies";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { noisyJpeg } from "../../support/media-fixtures";

const SENDER = "+12125550199";
const REPLIES = "C0REPLIES";
const PUBLIC_URL = "https://texting.example.org";
// Monday 10:00 in New York: sending hours open.
const NOW = new Date("2026-11-30T15:00:00Z");

/*
 * The media lane's failure path: a volunteer's reply whose files fail to prepare for a reason that is
 * nobody's fault (Slack unreachable, a crash) is tried again after its wait, counted like any inbox
 * failure, and set aside with a note in the thread at the limit; nothing goes out twice.
 */
describe.each(BACKENDS)("a reply's files that fail to prepare (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let base: ConversationDeps;
  let photo: Buffer;
  let serial = 0;
  const nextTs = () => `1795000100.${String(++serial).padStart(6, "0")}`;

  beforeAll(async () => {
    [db, twilio, photo] = await Promise.all([
      openMigratedDatabase(create),
      startFakeTwilio({ now: () => NOW }),
      noisyJpeg(320, 240),
    ]);
    const sms = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      PUBLIC_URL,
    );
    base = {
      db,
      sms,
      sender: SENDER,
      clock: () => NOW,
      render: slackThreadRenderer,
      unmatchedChannel: null,
      logger: pino({ level: "silent" }),
      publicUrl: PUBLIC_URL,
    };
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });
  beforeEach(() => twilio.reset());

  /** A voter's open thread and a volunteer's reply in it sharing `files`; returns the reply's inbox event and thread. */
  async function replyWithFiles(files: string[]) {
    const contact = await db.prisma.contact.create({
      data: { phone: `+1212555${String(++serial).padStart(4, "0")}`, zip: "10001", timeZone: "America/New_York" },
    });
    const campaign = await db.prisma.campaign.create({
      data: { name: `Files ${serial}`, status: "running", createdBy: "U0ORG", conversationChannelId: REPLIES },
    });
    const thread = nextTs();
    await db.prisma.conversation.create({
      data: { campaignId: campaign.id, contactId: contact.id, slackChannelId: REPLIES, slackThreadTs: thread },
    });
    const reply = {
      channel: REPLIES,
      ts: nextTs(),
      threadTs: thread,
      user: "U0BEN",
      text: "Our flyer",
      files: true,
      attachments: files.map((name) => ({
        name,
        mimetype: "image/jpeg",
        url: `https://files.slack.com/files-pri/T0/F${serial}/${name}`,
      })),
    };
    const { eventId } = (await recordThreadReply(db, reply))!;
    return { eventId, thread, contact };
  }

  /** One pass of the inbox: its media lane takes at most one reply (it stops after it), then the loop sends what is ready. */
  async function inboxPass(readSlackFile: ConversationDeps["readSlackFile"]): Promise<void> {
    const inbox = new ConversationInbox({ ...base, readSlackFile }, { roleOf: async () => "volunteer" });
    await inbox.drain();
    await inbox.stop();
  }

  const event = (id: string) => db.prisma.inboundEvent.findUniqueOrThrow({ where: { id } });
  /** The retry wait passes (leases are in real time; the test moves the lease rather than wait 30 s). */
  const waitIsOver = (id: string) =>
    db.prisma.inboundEvent.update({ where: { id }, data: { mediaLeaseUntil: new Date(Date.now() - 1) } });

  it("tries again only after its wait, sets the reply aside at the limit with a note in its thread, and sends nothing", async () => {
    const { eventId, thread } = await replyWithFiles(["flyer.jpg"]);
    const reads: string[] = [];
    const slackDown = async (url: string) => {
      reads.push(url);
      throw new Error("socket hang up");
    };

    const before = Date.now();
    await inboxPass(slackDown);
    const after = Date.now();
    const first = await event(eventId);
    expect(reads).toHaveLength(1);
    expect(first).toMatchObject({ mediaState: "waiting", attempts: 1, lastError: "socket hang up", failedAt: null });
    expect(first.mediaLeaseUntil!.getTime()).toBeGreaterThanOrEqual(before + REPLY_MEDIA_RETRY_MS);
    expect(first.mediaLeaseUntil!.getTime()).toBeLessThanOrEqual(after + REPLY_MEDIA_RETRY_MS);

    // Before its wait is over, no pass takes it again.
    await inboxPass(slackDown);
    expect(reads).toHaveLength(1);

    for (let attempt = 2; attempt <= MAX_INBOX_ATTEMPTS; attempt++) {
      await waitIsOver(eventId);
      await inboxPass(slackDown);
      expect(reads).toHaveLength(attempt);
      expect((await event(eventId)).attempts).toBe(attempt);
    }
    expect(await event(eventId)).toMatchObject({
      mediaState: "waiting",
      processedAt: null,
      failedAt: expect.any(Date),
      attempts: MAX_INBOX_ATTEMPTS,
    });
    const note = await db.prisma.slackOutbox.findUniqueOrThrow({ where: { dedupeKey: `inbox-set-aside:${eventId}` } });
    expect(note.channel).toBe(REPLIES);
    expect(note.payload).toMatchObject({
      thread_ts: thread,
      text: expect.stringMatching(
        /^:warning: A reply in this thread could not be sent: .*socket hang up.*Nothing went out/,
      ),
    });

    // Set aside: no pass takes it again, and nothing went out.
    await waitIsOver(eventId);
    await inboxPass(slackDown);
    expect(reads).toHaveLength(MAX_INBOX_ATTEMPTS);
    expect(await db.prisma.slackOutbox.count({ where: { dedupeKey: `inbox-set-aside:${eventId}` } })).toBe(1);
    expect(twilio.messages).toHaveLength(0);
    expect(await db.prisma.message.count({ where: { direction: "outbound", sentBy: "U0BEN" } })).toBe(0);
  });

  it("after a failure halfway through the files, the retry sends the reply once, with each file once", async () => {
    const { eventId, contact } = await replyWithFiles(["front.jpg", "back.jpg"]);
    let failNext = true;
    const reads: string[] = [];
    const flaky = async (url: string) => {
      reads.push(url);
      // The second file fails once, after the first one was stored.
      if (url.endsWith("/back.jpg") && failNext) {
        failNext = false;
        throw new Error("socket hang up");
      }
      return { body: photo, contentType: "image/jpeg" };
    };

    await inboxPass(flaky);
    expect(await event(eventId)).toMatchObject({ mediaState: "waiting", attempts: 1 });
    expect(twilio.messages).toHaveLength(0);

    await waitIsOver(eventId);
    for (let pass = 0; pass < 5 && twilio.messages.length === 0; pass++) await inboxPass(flaky);
    expect(reads.map((u) => u.split("/").pop())).toEqual(["front.jpg", "back.jpg", "front.jpg", "back.jpg"]);
    const ready = await event(eventId);
    expect(ready).toMatchObject({ mediaState: "ready", processedAt: expect.any(Date), failedAt: null });
    const ids = (ready.media as { ids: string[] }).ids;
    expect(ids).toHaveLength(2);
    expect(twilio.messages).toHaveLength(1);
    expect(twilio.messages[0]).toMatchObject({
      to: contact.phone,
      body: "Our flyer",
      mediaUrls: ids.map((id) => `${PUBLIC_URL}/media/${id}`),
    });

    // Later passes send nothing more.
    await inboxPass(flaky);
    await inboxPass(flaky);
    expect(twilio.messages).toHaveLength(1);
    expect(await db.prisma.message.count({ where: { contactId: contact.id, direction: "outbound" } })).toBe(1);
  });
});
