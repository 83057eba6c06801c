import { eventBody, inboundSmsParams, postToSlackApp, postTwilioWebhook } from "../fakes/signing";
import { FAKE_BOT_USER_ID, type SlackCall } from "../fakes/slack-api";
import { PUBLIC_URL, SENDER, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { BACKENDS } from "../support/databases";

const ORGANIZER = "U0ORGANIZER";
const LOCKED = "C0LOCKED";
const UNMATCHED = "C0UNMATCHED";
const VOTER = "+12125550142";

/*
 * A campaign's reply channel the bot was never invited to: Slack answers not_in_channel to every
 * post. The voter's texts must not vanish behind a thread root that failed: they wait, organizers
 * are told once which channel needs the bot, and when it joins the thread opens with every text.
 */
describe.each(BACKENDS)("a reply channel without the bot (%s)", (_name, create) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(create, {}, { unmatchedChannel: UNMATCHED });
  });
  afterAll(() => h?.close());

  const text = (body: string) =>
    postTwilioWebhook(
      h.app.localUrl,
      PUBLIC_URL,
      "/twilio/sms",
      h.config.twilio.authToken,
      inboundSmsParams({ from: VOTER, to: SENDER, body }),
    );
  const joined = (user: string) =>
    postToSlackApp(h.app.localUrl, {
      secret: SIGNING_SECRET,
      body: eventBody({ type: "member_joined_channel", user, channel: LOCKED, channel_type: "C", team: "T0FAKE" }),
    });
  const accepted = (channel: string) =>
    h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === channel && c.status === 200 && !c.error);
  const until = async (what: string, check: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 500; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting until ${what}`);
  };

  it("holds the thread while Slack refuses the channel, tells organizers once, and posts it all when the bot joins", async () => {
    h.slack.addChannel({ id: LOCKED, is_member: false });
    await h.app.db.prisma.contact.create({
      data: { phone: VOTER, firstName: "Rosa", lastName: "Voter", zip: "10001", tags: ["locked"] },
    });
    const campaign = await launchedCampaign(h.app.db, {
      name: "Locked",
      tag: "locked",
      createdBy: ORGANIZER,
      form: { channelId: LOCKED },
    });
    const contact = await h.app.db.prisma.contact.findUniqueOrThrow({ where: { phone: VOTER } });
    const conversation = await h.app.db.prisma.conversation.create({
      data: { campaignId: campaign.id, contactId: contact.id },
    });

    expect((await text("Is this about the library vote?")).status).toBe(200);
    const notice = await h.slack.waitFor("chat.postMessage", (c) => c.args.channel === ORGANIZER, 10_000);
    expect(String(notice.args.text)).toContain(`this app is not a member of <#${LOCKED}>`);
    expect(String(notice.args.text)).toContain("*Locked*");
    expect((await text("Hello?")).status).toBe(200);
    expect((await text("Anyone there?")).status).toBe(200);
    await until("all three texts are processed", async () => {
      const left = await h.app.db.prisma.inboundEvent.count({ where: { source: "twilio.sms", processedAt: null } });
      return left === 0;
    });

    // Only the root was tried; everything waits behind it, none failed, and each recipient was told once.
    const refused = h.slack.callsTo("chat.postMessage").filter((c: SlackCall) => c.args.channel === LOCKED);
    expect(refused.map((c) => c.error)).toEqual(["not_in_channel"]);
    expect(await h.app.db.prisma.slackOutbox.count({ where: { channel: LOCKED, status: "failed" } })).toBe(0);
    expect(await h.app.db.prisma.slackOutbox.count({ where: { channel: LOCKED, status: "queued" } })).toBe(4);
    expect(accepted(ORGANIZER)).toHaveLength(1);
    expect(accepted(UNMATCHED).map((c) => c.args.text)).toEqual([notice.args.text]);

    // Someone else joining changes nothing; the bot joining opens the thread at once, not after the backoff.
    const blocked = await h.app.db.prisma.slackOutboxChannel.findUniqueOrThrow({ where: { channel: LOCKED } });
    expect(blocked).toMatchObject({ blockedError: "not_in_channel", blockedRetries: 1 });
    expect((await joined("U0SOMEONE")).status).toBe(200);
    expect(await h.app.db.prisma.slackOutboxChannel.findUniqueOrThrow({ where: { channel: LOCKED } })).toEqual(blocked);
    h.slack.addChannel({ id: LOCKED, is_member: true });
    expect((await joined(FAKE_BOT_USER_ID)).status).toBe(200);
    await until("the thread is posted", () => accepted(LOCKED).length === 4);

    const [root, ...texts] = accepted(LOCKED);
    expect(String(root!.args.text)).toContain("Rosa Voter");
    expect(texts.map((c) => c.args.text)).toEqual(["Is this about the library vote?", "Hello?", "Anyone there?"]);
    const stored = await h.app.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(stored.slackChannelId).toBe(LOCKED);
    expect(texts.map((c) => c.args.thread_ts)).toEqual([
      stored.slackThreadTs,
      stored.slackThreadTs,
      stored.slackThreadTs,
    ]);
    expect(await h.app.db.prisma.slackOutboxChannel.findUniqueOrThrow({ where: { channel: LOCKED } })).toMatchObject({
      blockedError: null,
      blockedSince: null,
    });
    expect(accepted(ORGANIZER)).toHaveLength(1);
  });
});
