import {
  blockActionsPayload,
  eventBody,
  inboundSmsParams,
  interactionBody,
  messageEvent,
  postToSlackApp,
  postTwilioWebhook,
  slashCommandBody,
  viewSubmissionPayload,
} from "../fakes/signing";
import type { SlackCall } from "../fakes/slack-api";
import { PUBLIC_URL, SENDER, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { BACKENDS } from "../support/databases";

const ORGANIZER = "U0ORGANIZER";
const ANA = "U0ANA";
const BEN = "U0BEN";
const REPLIES = "C0REPLIES";
const UNMATCHED = "C0UNMATCHED";
// Monday Nov 30 2026, 10:00 in New York: sending hours are open.
const MONDAY_10AM_NY = new Date("2026-11-30T15:00:00Z");
const BURST = 500;
// Slack's rate scaled 50× for the burst test (1 post/s sustained would take over 8 minutes); the fake enforces the same.
const SCALED_RATE = { perSecond: 50, burst: 3 };

type Message = {
  text?: string;
  thread_ts?: string;
  username?: string;
  blocks?: Array<{
    block_id?: string;
    elements?: Array<{ action_id?: string; value?: string; options?: Array<{ value: string }> }>;
  }>;
};

describe.each(BACKENDS)("voter conversations in Slack threads (%s)", (_name, create) => {
  let h: Harness;
  let now = MONDAY_10AM_NY;

  beforeAll(async () => {
    h = await startHarness(
      create,
      { clock: () => now, slackChannelRate: SCALED_RATE },
      { unmatchedChannel: UNMATCHED },
    );
    h.slack.setRateLimit("chat.postMessage", { perChannelPerSecond: SCALED_RATE.perSecond, burst: SCALED_RATE.burst });
  });
  afterAll(() => h?.close());
  beforeEach(() => {
    now = MONDAY_10AM_NY;
    h.slack.reset();
    h.twilio.reset();
    h.slack.setRateLimit("chat.postMessage", { perChannelPerSecond: SCALED_RATE.perSecond, burst: SCALED_RATE.burst });
  });

  const slack = (body: string, headers?: Record<string, string>) =>
    postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body, headers });
  const text = (from: string, body: string, extra: Record<string, string> = {}) =>
    postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/sms", h.config.twilio.authToken, {
      ...inboundSmsParams({ from, to: SENDER, body }),
      ...extra,
    });
  const posts = (channel: string) =>
    h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === channel && c.status === 200);
  const waitPost = (channel: string, predicate: (m: Message) => boolean) =>
    h.slack.waitFor(
      "chat.postMessage",
      (c: SlackCall) => c.args.channel === channel && c.status === 200 && predicate(c.args as Message),
      10_000,
    );

  /** A running campaign that texted `phone` once (Ana clicked Send). */
  async function textedBy(name: string, phone: string, firstName: string) {
    await h.app.db.prisma.contact.create({
      data: {
        phone,
        firstName,
        lastName: "Voter",
        zip: "10001",
        state: "NY",
        timeZone: "America/New_York",
        tags: [name.toLowerCase()],
      },
    });
    const saved = await launchedCampaign(h.app.db, {
      name,
      tag: name.toLowerCase(),
      createdBy: ORGANIZER,
      form: { channelId: REPLIES, helpText: "Neighbors for B texts about Measure B. Reply STOP to opt out." },
    });
    await slack(
      slashCommandBody({
        command: "/campaign",
        text: `send ${name}`,
        user_id: ANA,
        response_url: h.slack.responseUrl(`${name}-card`),
      }),
    );
    const card = (await h.slack.waitFor("response_url", (c) => c.args.responseId === `${name}-card`)).args as Message;
    const send = card.blocks!.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send")!;
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: "texting_send",
          value: send.value!,
          userId: ANA,
          responseUrl: h.slack.responseUrl(`${name}-sent`),
        }),
      ),
    );
    await h.slack.waitFor("response_url", (c) => c.args.responseId === `${name}-sent`);
    return saved;
  }

  it("opens a thread on the first reply, appends the next, sends a volunteer's thread reply once, and handles STOP phrasing, START and HELP", async () => {
    const campaign = await textedBy("Spring", "+12125550101", "Dana");
    expect(h.twilio.messages).toHaveLength(1);
    expect(posts(REPLIES)).toHaveLength(0); // no thread on send

    await text("+12125550101", "Yes! <!channel> I'll be there @here");
    const root = await waitPost(REPLIES, (m) => (m.text ?? "").startsWith("Dana Voter"));
    expect(JSON.stringify(root.args)).toContain("Hi Dana, this is Sam with Neighbors for B.");
    const first = await waitPost(REPLIES, (m) => m.username === "Dana Voter");
    const rootTs = String(
      (await h.app.db.prisma.conversation.findFirstOrThrow({ where: { campaignId: campaign.id } })).slackThreadTs,
    );
    expect(first.args).toMatchObject({
      thread_ts: rootTs,
      text: "Yes! &lt;!channel&gt; I'll be there @\u2060here",
      parse: "none",
    });
    const conversation = await h.app.db.prisma.conversation.findFirstOrThrow({ where: { campaignId: campaign.id } });
    expect(conversation).toMatchObject({ slackChannelId: REPLIES, slackThreadTs: rootTs });
    // The voter spoke: the conversation waits on a volunteer from their first text on.
    const waitingSince = conversation.waitingSince;
    expect(waitingSince).not.toBeNull();

    await text("+12125550101", "What time do polls open?");
    await waitPost(REPLIES, (m) => m.text === "What time do polls open?" && m.thread_ts === rootTs);

    // A volunteer answers in the thread: one SMS, marked sent; Slack's retry of the event sends nothing more.
    const replyTs = "1795000000.000200";
    const reply = eventBody(
      messageEvent({
        channel: REPLIES,
        user: BEN,
        threadTs: rootTs,
        ts: replyTs,
        text: "Polls open at *6 am*, see <https://vote.org|vote.org>",
      }),
      { eventId: "Ev0REPLY" },
    );
    expect((await slack(reply)).status).toBe(200);
    await h.slack.waitFor("reactions.add", (c) => c.args.timestamp === replyTs, 10_000);
    expect((await slack(reply, { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" })).status).toBe(200);
    const sent = h.twilio.messages.filter((m) => m.body.startsWith("Polls open"));
    // Slack's formatting becomes plain text, and the link a tracked short link (its clicks count in reports).
    expect(sent.map((m) => m.body)).toEqual([
      expect.stringMatching(/^Polls open at 6 am, see https:\/\/texting\.example\.org\/l\/[0-9A-Za-z]{10}$/),
    ]);
    const code = sent[0]!.body.slice(-10);
    expect(await h.app.db.prisma.shortLink.findUnique({ where: { code } })).toMatchObject({
      targetUrl: "https://vote.org",
      campaignId: conversation.campaignId,
      contactId: conversation.contactId,
    });
    expect(await h.app.db.prisma.message.findFirst({ where: { body: sent[0]!.body } })).toMatchObject({
      sentBy: BEN,
      initiated: false,
      conversationId: conversation.id,
    });
    // Answered: no longer waiting, and Ben, who answered a conversation nobody held, holds it.
    expect(await h.app.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).toMatchObject({
      waitingSince: null,
      assignee: BEN,
    });
    // A reply also sent to the channel is a reply like any other: texted once, marked sent.
    const broadcastTs = "1795000000.000250";
    await slack(
      eventBody(
        messageEvent({
          channel: REPLIES,
          user: BEN,
          threadTs: rootTs,
          ts: broadcastTs,
          text: "See you at the polls!",
          extra: { subtype: "thread_broadcast" },
        }),
      ),
    );
    await h.slack.waitFor("reactions.add", (c) => c.args.timestamp === broadcastTs, 10_000);
    expect(h.twilio.messages.filter((m) => m.body === "See you at the polls!")).toHaveLength(1);
    // Edits, bot posts and top-level messages are never texted.
    await slack(
      eventBody(
        messageEvent({
          channel: REPLIES,
          user: BEN,
          threadTs: rootTs,
          text: "edited",
          extra: { subtype: "message_changed" },
        }),
      ),
    );
    await slack(eventBody(messageEvent({ channel: REPLIES, threadTs: rootTs, text: "from a bot", fromBot: true })));
    await slack(eventBody(messageEvent({ channel: REPLIES, user: BEN, text: "not in a thread" })));
    // A file that is no readable picture cannot go out as MMS: the volunteer is told why, nothing is sent.
    const flyer = h.slack.addFile({ name: "flyer.png", bytes: Buffer.from("png"), mimetype: "image/png" });
    await slack(
      eventBody(
        messageEvent({ channel: REPLIES, user: BEN, threadTs: rootTs, text: "here's the flyer", files: [flyer] }),
      ),
    );
    await waitPost(REPLIES, (m) => (m.text ?? "").includes("“flyer.png” cannot be sent as a text message"));
    expect(h.twilio.messages.filter((m) => m.body.includes("flyer"))).toHaveLength(0);

    // An opt-out phrase mid-conversation: suppressed everywhere, one confirmation (not a Twilio keyword).
    await text("+12125550101", "please stop texting me");
    await waitPost(REPLIES, (m) => (m.text ?? "").startsWith(":no_entry_sign: Opted out"));
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone: "+12125550101" } })).toMatchObject({
      source: "reply_phrase",
    });
    const confirmations = () => h.twilio.messages.filter((m) => m.body.startsWith("You're unsubscribed"));
    for (let i = 0; i < 50 && confirmations().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(confirmations().map((m) => m.body)).toEqual([
      "You're unsubscribed and will get no more texts from Sam with Neighbors for B.",
    ]);
    // A volunteer's reply now is refused in the thread.
    await slack(
      eventBody(messageEvent({ channel: REPLIES, user: BEN, threadTs: rootTs, text: "Sorry to hear that!" })),
    );
    await waitPost(REPLIES, (m) => (m.text ?? "").includes("this voter opted out: nothing went out"));
    expect(h.twilio.messages.filter((m) => m.body === "Sorry to hear that!")).toHaveLength(0);

    // START re-subscribes (Twilio answers it itself). Twilio answers its own HELP too: we add nothing;
    // a request for help in words Twilio does not answer gets the campaign's help text.
    await text("+12125550101", "START", { OptOutType: "START" });
    await waitPost(REPLIES, (m) => (m.text ?? "").startsWith(":arrow_forward: Opted back in"));
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone: "+12125550101" } })).toBeNull();
    await text("+12125550101", "help", { OptOutType: "HELP" });
    await waitPost(REPLIES, (m) => (m.text ?? "").includes("Twilio answered with its own help text"));
    const helpText = "Neighbors for B texts about Measure B. Reply STOP to opt out.";
    expect(h.twilio.messages.map((m) => m.body)).not.toContain(helpText);
    await text("+12125550101", "ayuda");
    await waitPost(REPLIES, (m) => (m.text ?? "").includes("the campaign's help text was sent"));
    for (let i = 0; i < 50 && !h.twilio.messages.some((m) => m.body === helpText); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(h.twilio.messages.filter((m) => m.body === helpText)).toHaveLength(1);
    expect(confirmations()).toHaveLength(1);

    // Twilio refusing a volunteer's reply with 21610 records the carrier's opt-out.
    h.twilio.failNext({ code: 21610 });
    await slack(eventBody(messageEvent({ channel: REPLIES, user: BEN, threadTs: rootTs, text: "Thanks for asking!" })));
    await waitPost(REPLIES, (m) => (m.text ?? "").includes("your reply was not sent"));
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone: "+12125550101" } })).toMatchObject({
      source: "carrier",
    });
  });

  it("stores a text with NUL bytes as it can be shown, keeps the exact original, and posts it in its thread", async () => {
    await textedBy("Nul", "+12125550404", "Gil");
    const body = "Polls\u0000 open?\u0000\u0000 <!channel>";
    const params = inboundSmsParams({ from: "+12125550404", to: SENDER, body });
    const res = await postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/sms", h.config.twilio.authToken, {
      ...params,
      "X\u0000Hostile": "\u0000",
    });
    expect(res.status).toBe(200);

    const shown = "Polls\u2400 open?\u2400\u2400 <!channel>";
    expect(await h.app.db.prisma.message.findUniqueOrThrow({ where: { twilioSid: params.MessageSid } })).toMatchObject({
      body: shown,
    });
    const event = await h.app.db.prisma.inboundEvent.findFirstOrThrow({ where: { externalId: params.MessageSid } });
    const payload = event.payload as { body: string; raw: Record<string, string>; rawBase64: string };
    expect(payload.body).toBe(shown);
    expect(payload.raw["X\u2400Hostile"]).toBe("\u2400");
    // Every byte Twilio delivered is recoverable.
    expect(JSON.parse(Buffer.from(payload.rawBase64, "base64").toString("utf8"))).toEqual({
      ...params,
      "X\u0000Hostile": "\u0000",
    });
    await waitPost(
      REPLIES,
      (m) => m.username === "Gil Voter" && m.text === "Polls\u2400 open?\u2400\u2400 &lt;!channel&gt;",
    );
  });

  it("posts a text no conversation claims to the unmatched channel, a duplicated webhook once, and tells a volunteer answering under it that nothing is texted", async () => {
    const params = inboundSmsParams({ from: "+13125550999", to: SENDER, body: "who is this?" });
    const deliver = () =>
      postTwilioWebhook(h.app.localUrl, PUBLIC_URL, "/twilio/sms", h.config.twilio.authToken, params);
    await Promise.all([deliver(), deliver(), deliver()]);
    await waitPost(UNMATCHED, (m) => (m.text ?? "").includes("who is this?"));
    await new Promise((r) => setTimeout(r, 300));
    expect(posts(UNMATCHED)).toHaveLength(1);
    expect(String(posts(UNMATCHED)[0]!.args.text)).toContain("•••-•••-0999");
    expect(await h.app.db.prisma.message.count({ where: { fromPhone: "+13125550999" } })).toBe(1);

    // A volunteer answering under it is told that replies there are not texted.
    const text = await h.app.db.prisma.message.findFirstOrThrow({ where: { fromPhone: "+13125550999" } });
    const post = await h.app.db.prisma.slackOutbox.findUniqueOrThrow({ where: { dedupeKey: `sms:${text.id}` } });
    expect(post.resultTs).toEqual(expect.any(String));
    await slack(
      eventBody(messageEvent({ channel: UNMATCHED, user: BEN, threadTs: post.resultTs!, text: "Hi! This is Ben." })),
    );
    await waitPost(
      UNMATCHED,
      (m) => m.thread_ts === post.resultTs && (m.text ?? "").startsWith(`<@${BEN}>, replies here are not texted`),
    );
    expect(h.twilio.messages.filter((m) => m.body === "Hi! This is Ben.")).toHaveLength(0);
  });

  it("lets volunteers assign, tag, set a follow-up, send a canned reply and opt out from the thread", async () => {
    const campaign = await textedBy("Controls", "+12125550202", "Eli");
    // The organizer saves a canned reply through /campaign replies; a misspelled field is refused first.
    await slack(
      slashCommandBody({
        command: "/campaign",
        text: "replies Controls",
        user_id: ORGANIZER,
        channel_id: "C0ORGANIZE",
      }),
    );
    const form = (
      await h.slack.waitFor(
        "views.update",
        (c) => String((c.args.view as { callback_id?: string }).callback_id) === "campaign_canned_reply",
      )
    ).args.view as { private_metadata: string };
    const submitReply = (title: string, body: string) =>
      slack(
        interactionBody(
          viewSubmissionPayload({
            callbackId: "campaign_canned_reply",
            privateMetadata: form.private_metadata,
            userId: ORGANIZER,
            values: {
              title: { "canned.title": { type: "plain_text_input", value: title } },
              body: { "canned.body": { type: "plain_text_input", value: body } },
            },
          }),
        ),
      );
    expect((await submitReply("Polling place", "Hi {frstName}, find your polling place at vote.org")).json).toEqual({
      response_action: "errors",
      errors: { body: "{frstName} is not a field. Did you mean {firstName}?" },
    });
    expect((await submitReply("Polling place", "Hi {firstName}, find your polling place at vote.org")).text).toBe("");
    expect(
      await h.app.db.prisma.cannedReply.findMany({ where: { campaignId: campaign.id }, select: { title: true } }),
    ).toEqual([{ title: "Polling place" }]);
    await text("+12125550202", "maybe");
    const root = (await waitPost(REPLIES, (m) => (m.text ?? "").startsWith("Eli Voter"))).args as Message;
    await waitPost(REPLIES, (m) => m.text === "maybe");
    const controls = root.blocks!.find((b) => b.block_id === "thread_controls")!.elements!;
    const conversationId = controls.find((e) => e.action_id === "thread_assign")!.value!;
    const click = (actionId: string, value: string, user = BEN) =>
      slack(
        interactionBody(
          blockActionsPayload({
            actionId,
            value,
            userId: user,
            channelId: REPLIES,
            action:
              actionId === "thread_assign" || actionId === "thread_opt_out"
                ? {}
                : { type: "static_select", selected_option: { value } },
          }),
        ),
      );
    await click("thread_assign", conversationId);
    await click("thread_tag", `${conversationId}|pledged`);
    await click("thread_follow_up", `${conversationId}|72`);
    await h.slack.waitFor(
      "chat.update",
      (c) => JSON.stringify(c.args).includes("`pledged`") && JSON.stringify(c.args).includes(`<@${BEN}>`),
      10_000,
    );
    expect(await h.app.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).toMatchObject({
      assignee: BEN,
      tags: ["pledged"],
      followUpAt: new Date(MONDAY_10AM_NY.getTime() + 72 * 3_600_000),
    });

    const canned = controls.find((e) => e.action_id === "thread_canned")!.options![0]!.value;
    await click("thread_canned", canned);
    await waitPost(REPLIES, (m) => (m.text ?? "").includes("sent a canned reply"));
    expect(h.twilio.messages.map((m) => m.body)).toContainEqual(
      expect.stringMatching(/^Hi Eli, find your polling place at https:\/\/texting\.example\.org\/l\/[0-9A-Za-z]{10}$/),
    );

    await click("thread_opt_out", conversationId);
    await h.slack.waitFor("chat.update", (c) => JSON.stringify(c.args).includes("opted out"), 10_000);
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone: "+12125550202" } })).toMatchObject({
      source: "admin",
      adminLock: true,
    });
    await text("+12125550202", "START", { OptOutType: "START" });
    await waitPost(REPLIES, (m) => (m.text ?? "").startsWith(":lock: They texted START"));
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone: "+12125550202" } })).not.toBeNull();
  });

  it(`drains a burst of ${BURST} replies into one channel at the allowed rate, losing none and doubling none`, async () => {
    await textedBy("Burst", "+12125550303", "Flo");
    const bodies = Array.from({ length: BURST }, (_, i) => `reply ${String(i).padStart(3, "0")}`);
    for (let i = 0; i < BURST; i += 50) await Promise.all(bodies.slice(i, i + 50).map((b) => text("+12125550303", b)));
    await h.slack.waitFor(
      "chat.postMessage",
      (c) =>
        c.status === 200 &&
        (c.args.text === bodies.at(-1) ||
          posts(REPLIES).filter((p) => String(p.args.text).startsWith("reply ")).length >= BURST),
      60_000,
    );
    for (
      let i = 0;
      i < 100 && posts(REPLIES).filter((p) => String(p.args.text).startsWith("reply ")).length < BURST;
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    const replies = posts(REPLIES).filter((p) => String(p.args.text).startsWith("reply "));
    expect(replies.map((p) => p.args.text).sort()).toEqual(bodies);
    expect(h.slack.callsTo("chat.postMessage").filter((c) => c.status === 429)).toHaveLength(0);
    // Never faster than the scaled rate: at most burst + rate × elapsed posts in any window.
    const times = posts(REPLIES)
      .map((p) => p.at.getTime())
      .sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      const inSecond = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
      expect(inSecond).toBeLessThanOrEqual(SCALED_RATE.perSecond + SCALED_RATE.burst);
    }
  }, 90_000);
});
