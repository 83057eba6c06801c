import pino from "pino";
import { reconcileUnconfirmedSends } from "../../src/services/send-results";
import { slackThreadRenderer } from "../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../src/sms/twilio-gateway";
import { blockActionsPayload, interactionBody, postToSlackApp, slashCommandBody } from "../fakes/signing";
import { PUBLIC_URL, SENDER, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { BACKENDS } from "../support/databases";

const ORGANIZER = "U0ORGANIZER";
const ANA = "U0ANA";
const BEN = "U0BEN";
const CHANNEL = "C0TEXTING";

// Monday Nov 30 2026, 10:00 in New York: inside the default sending hours (9:00–20:00).
const MONDAY_10AM_NY = new Date("2026-11-30T15:00:00Z");
const MONDAY_3AM_NY = new Date("2026-11-30T08:00:00Z");

type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: Array<{ action_id?: string; value?: string; text?: string | { text: string } }>;
};
type Card = { text: string; blocks: Block[]; replace_original?: boolean };

/** `count` NY contacts tagged `tag`, phones +1212555NNNN from `first`. */
function contactsTagged(
  tag: string,
  first: number,
  count: number,
  extra: (i: number) => Record<string, unknown> = () => ({}),
) {
  return Array.from({ length: count }, (_, i) => ({
    phone: `+1212555${String(first + i).padStart(4, "0")}`,
    firstName: `${tag}${i}`,
    lastName: "Voter",
    zip: "10001",
    state: "NY",
    timeZone: "America/New_York",
    tags: [tag],
    ...extra(i),
  }));
}

describe.each(BACKENDS)("texting through Slack (%s)", (_name, create) => {
  let h: Harness;
  let now = MONDAY_10AM_NY;

  beforeAll(async () => {
    h = await startHarness(create, { clock: () => now });
  });
  afterAll(() => h?.close());
  beforeEach(() => {
    now = MONDAY_10AM_NY;
    h.slack.reset();
    h.twilio.reset();
  });

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const responseTo = async (id: string) =>
    (await h.slack.waitFor("response_url", (c) => c.args.responseId === id)).args as unknown as Card;

  /** A launched campaign texting the contacts tagged `tag`. */
  const launched = (name: string, tag: string) => launchedCampaign(h.app.db, { name, tag, createdBy: ORGANIZER });

  async function startTexting(campaign: string, volunteer: string, responseId: string): Promise<Card> {
    await slack(
      slashCommandBody({
        command: "/campaign",
        text: `send ${campaign}`,
        user_id: volunteer,
        channel_id: CHANNEL,
        response_url: h.slack.responseUrl(responseId),
      }),
    );
    return responseTo(responseId);
  }

  const buttonOf = (card: Card, actionId: string) =>
    card.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId);

  async function click(
    card: Card,
    actionId: "texting_send" | "texting_skip",
    volunteer: string,
    responseId: string,
  ): Promise<Card> {
    const button = buttonOf(card, actionId);
    if (!button?.value) throw new Error(`no ${actionId} button on: ${card.text}`);
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId,
          value: button.value,
          userId: volunteer,
          channelId: CHANNEL,
          responseUrl: h.slack.responseUrl(responseId),
        }),
      ),
    );
    return responseTo(responseId);
  }

  const cardText = (card: Card) =>
    card.blocks
      .map(
        (b) =>
          b.text?.text ??
          (b.elements ?? []).map((e) => (typeof e.text === "string" ? e.text : (e.text?.text ?? ""))).join(" "),
      )
      .join("\n");

  it("offers follow-ups once their delay passed, to those who did not reply, with the same one-click card", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("fup", 1900, 2) });
    await launchedCampaign(h.app.db, {
      name: "Fup",
      tag: "fup",
      createdBy: ORGANIZER,
      form: {
        followUps: ["{firstName}, still with us for Nov 3? Reply STOP to opt out.", ""],
        followUpDelays: ["3", ""],
      },
    });
    let card = await startTexting("Fup", ANA, "fup-first");
    card = await click(card, "texting_send", ANA, "fup-1");
    card = await click(card, "texting_send", ANA, "fup-2");
    expect(cardText(card)).toContain("No one left to text");
    expect(h.twilio.messages).toHaveLength(2);
    // fup0 replies; three days later only fup1 gets follow-up 1.
    await h.app.db.prisma.message.create({
      data: {
        direction: "inbound",
        contactId: (await h.app.db.prisma.contact.findUniqueOrThrow({ where: { phone: "+12125551900" } })).id,
        fromPhone: "+12125551900",
        toPhone: SENDER,
        body: "yes!",
        status: "received",
        createdAt: new Date(MONDAY_10AM_NY.getTime() + 3_600_000),
      },
    });
    now = new Date(MONDAY_10AM_NY.getTime() + 2 * 86_400_000);
    expect(cardText(await startTexting("Fup", ANA, "fup-early"))).toContain("No one left to text");
    now = new Date(MONDAY_10AM_NY.getTime() + 3 * 86_400_000);
    const followUp = await startTexting("Fup", ANA, "fup-due");
    expect(cardText(followUp)).toContain("text *fup1 Voter*");
    expect(cardText(followUp)).toContain(">fup1, still with us for Nov 3? Reply STOP to opt out.");
    expect(cardText(followUp)).toContain("Follow-up 1 · 1 segment");
    const after = await click(followUp, "texting_send", ANA, "fup-sent");
    expect(cardText(after)).toContain("No one left to text");
    expect(h.twilio.messages.slice(2).map((m) => [m.to, m.body])).toEqual([
      ["+12125551901", "fup1, still with us for Nov 3? Reply STOP to opt out."],
    ]);
  });

  it("claims a batch, shows a card with the masked phone and the rendered text, and one click sends one text", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("solo", 1000, 3) });
    const campaign = await launched("Solo", "solo");
    const card = await startTexting("Solo", ANA, "first");
    expect(cardText(card)).toContain("text *solo0 Voter* (•••-•••-1000, NY)");
    expect(cardText(card)).toContain(
      ">Hi solo0, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
    );
    expect(cardText(card)).toContain("3 left in your batch");
    expect(
      await h.app.db.prisma.campaignContact.count({
        where: { campaignId: campaign.id, assignedTo: ANA, status: "assigned" },
      }),
    ).toBe(3);
    expect(h.twilio.messages).toHaveLength(0); // drawing a card never sends

    const next = await click(card, "texting_send", ANA, "sent");
    expect(next.replace_original).toBe(true);
    expect(h.twilio.messages).toHaveLength(1);
    const [sent] = h.twilio.messages;
    expect(sent).toMatchObject({
      to: "+12125551000",
      body: "Hi solo0, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
      statusCallback: `${PUBLIC_URL}/twilio/status`,
    });
    // 10:00 in New York: the window closes at 20:00, ten hours on.
    expect(sent!.validityPeriod).toBe(36_000);
    const message = await h.app.db.prisma.message.findFirstOrThrow({ where: { toPhone: "+12125551000" } });
    expect(message).toMatchObject({
      twilioSid: sent!.sid,
      initiated: true,
      sentBy: ANA,
      campaignId: campaign.id,
      fromPhone: SENDER,
      direction: "outbound",
    });
    expect(cardText(next)).toContain(":white_check_mark: solo0 Voter •••-•••-1000: sent");
    expect(cardText(next)).toContain("text *solo1 Voter*");
  });

  it("sends once for a double click or a Slack retry of the same card", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("twice", 1100, 2) });
    await launched("Twice", "twice");
    const card = await startTexting("Twice", ANA, "twice");
    const [a, b] = await Promise.all([
      click(card, "texting_send", ANA, "click-a"),
      click(card, "texting_send", ANA, "click-b"),
    ]);
    expect(h.twilio.messages.filter((m) => m.to === "+12125551100")).toHaveLength(1);
    const texts = [cardText(a), cardText(b)];
    expect(texts.filter((t) => t.includes("already sent") || t.includes("already texted"))).toHaveLength(1);
    const retry = await click(card, "texting_send", ANA, "click-c");
    expect(cardText(retry)).toMatch(/already sent|already texted/);
    expect(h.twilio.messages).toHaveLength(1);
  });

  it("never gives two racing volunteers the same contact", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("race", 2000, 120) });
    const campaign = await launched("Race", "race");
    await Promise.all([startTexting("Race", ANA, "race-ana"), startTexting("Race", BEN, "race-ben")]);
    const byVolunteer = await h.app.db.prisma.campaignContact.groupBy({
      by: ["assignedTo"],
      where: { campaignId: campaign.id, status: "assigned" },
      _count: { _all: true },
    });
    expect(byVolunteer.map((g) => [g.assignedTo, g._count._all]).sort()).toEqual([
      [ANA, 50],
      [BEN, 50],
    ]);
    const cards = await Promise.all([responseTo("race-ana"), responseTo("race-ben")]);
    await Promise.all([
      click(cards[0]!, "texting_send", ANA, "race-ana-2"),
      click(cards[1]!, "texting_send", BEN, "race-ben-2"),
    ]);
    expect(new Set(h.twilio.messages.map((m) => m.to)).size).toBe(2);
    // Ben cannot send Ana's card.
    const stolen = await click(cards[0]!, "texting_send", BEN, "race-steal");
    expect(cardText(stolen)).toMatch(/already sent|already texted|no longer in your batch/);
    expect(h.twilio.messages).toHaveLength(2);
  });

  it("returns a batch left idle for 30 minutes to the pool, and keeps an active one", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("idle", 3000, 60) });
    const campaign = await launched("Idle", "idle");
    const anaCard = await startTexting("Idle", ANA, "idle-ana");
    const anas = await h.app.db.prisma.campaignContact.findMany({
      where: { campaignId: campaign.id, assignedTo: ANA },
      select: { id: true },
    });
    expect(anas).toHaveLength(50);
    now = new Date(MONDAY_10AM_NY.getTime() + 20 * 60_000);
    await click(anaCard, "texting_skip", ANA, "idle-ana-2"); // Ana is still at it: her batch stays hers
    now = new Date(MONDAY_10AM_NY.getTime() + 45 * 60_000);
    await startTexting("Idle", BEN, "idle-ben");
    expect(await h.app.db.prisma.campaignContact.count({ where: { campaignId: campaign.id, assignedTo: BEN } })).toBe(
      10,
    );
    now = new Date(MONDAY_10AM_NY.getTime() + 51 * 60_000);
    // Ben's card came from the last 10; with Ana idle for 31 minutes, his next batch takes hers.
    await h.app.db.prisma.campaignContact.updateMany({
      where: { campaignId: campaign.id, assignedTo: BEN },
      data: { status: "skipped" },
    });
    await startTexting("Idle", BEN, "idle-ben-2");
    const bens = await h.app.db.prisma.campaignContact.count({
      where: { campaignId: campaign.id, assignedTo: BEN, status: "assigned", id: { in: anas.map((a) => a.id) } },
    });
    expect(bens).toBe(49); // all of Ana's but the one she skipped
  });

  it("skips a contact on Skip, sending nothing", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("skip", 1200, 2) });
    const campaign = await launched("Skip", "skip");
    const card = await startTexting("Skip", ANA, "skip");
    const next = await click(card, "texting_skip", ANA, "skipped");
    expect(cardText(next)).toContain(":fast_forward: skip0 Voter •••-•••-1200: you skipped it");
    expect(cardText(next)).toContain("text *skip1 Voter*");
    expect(h.twilio.messages).toHaveLength(0);
    expect(
      await h.app.db.prisma.campaignContact.findFirst({
        where: { campaignId: campaign.id, contact: { phone: "+12125551200" } },
      }),
    ).toMatchObject({ status: "skipped" });
  });

  it("defers contacts outside their sending hours and offers them again once their window opens", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("night", 1300, 2) });
    const campaign = await launched("Night", "night");
    now = MONDAY_3AM_NY;
    const done = await startTexting("Night", ANA, "night");
    expect(cardText(done)).toContain("No one left to text in *Night* right now.");
    expect(cardText(done)).toMatch(
      /:alarm_clock: night0 Voter •••-•••-1300: outside their sending hours: back in the queue Mon, 9:00 AM EST/,
    );
    const deferred = await h.app.db.prisma.campaignContact.findMany({ where: { campaignId: campaign.id } });
    expect(deferred.map((d) => [d.status, d.deferredUntil?.toISOString()])).toEqual([
      ["deferred", "2026-11-30T14:00:00.000Z"],
      ["deferred", "2026-11-30T14:00:00.000Z"],
    ]);
    expect(h.twilio.messages).toHaveLength(0);

    now = new Date("2026-11-30T14:00:00Z");
    const card = await startTexting("Night", ANA, "morning");
    expect(cardText(card)).toContain("text *night0 Voter*");
    await click(card, "texting_send", ANA, "morning-sent");
    // Opened at 9:00: eleven hours to 20:00, capped at Twilio's ten.
    expect(h.twilio.messages[0]).toMatchObject({ to: "+12125551300", validityPeriod: 36_000 });
  });

  it("skips a contact at the frequency cap, and one opted out after the card was drawn", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("cap", 1400, 2) });
    await h.app.db.prisma.message.createMany({
      data: [1, 2, 3].map((d) => ({
        direction: "outbound" as const,
        fromPhone: SENDER,
        toPhone: "+12125551400",
        body: "earlier",
        status: "delivered",
        initiated: true,
        createdAt: new Date(MONDAY_10AM_NY.getTime() - d * 86_400_000),
      })),
    });
    await launched("Cap", "cap");
    const card = await startTexting("Cap", ANA, "cap");
    expect(cardText(card)).toContain(
      ":fast_forward: cap0 Voter •••-•••-1400: frequency cap: already 3 campaign texts in 7 days (limit 3)",
    );
    expect(cardText(card)).toContain("text *cap1 Voter*");

    await h.app.db.prisma.optOut.create({ data: { phone: "+12125551401", source: "reply_phrase" } });
    const after = await click(card, "texting_send", ANA, "cap-sent");
    expect(cardText(after)).toContain("cap1 Voter •••-•••-1401: opted out: this number is never texted");
    expect(h.twilio.messages).toHaveLength(0);
  });

  it("records an opt-out on Twilio 21610, and alerts the organizer on carrier filtering", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("errors", 1500, 3) });
    await launched("Errors", "errors");
    const other = await launched("Errors again", "errors");
    const card = await startTexting("Errors", ANA, "errors");
    h.twilio.failNext({ code: 21610 });
    const afterOptOut = await click(card, "texting_send", ANA, "errors-1");
    expect(await h.app.db.prisma.optOut.findUnique({ where: { phone: "+12125551500" } })).toMatchObject({
      source: "carrier",
    });
    // The other campaign's queued text to that number is set aside too.
    expect(
      await h.app.db.prisma.campaignContact.findFirst({
        where: { campaignId: other.id, contact: { phone: "+12125551500" } },
      }),
    ).toMatchObject({ status: "skipped", skipReason: "opted out" });
    expect(cardText(afterOptOut)).toMatch(/:x: errors0 Voter •••-•••-1500: /);

    h.twilio.failNext({ code: 30007 });
    const afterFiltered = await click(afterOptOut, "texting_send", ANA, "errors-2");
    const alert = await h.slack.waitFor("chat.postMessage", (c) => c.args.channel === ORGANIZER);
    expect(String(alert.args.text)).toMatch(/^:rotating_light: Texts for \*Errors\* are failing/);
    // A second filtered text within the hour does not alert again.
    h.twilio.failNext({ code: 30007 });
    await click(afterFiltered, "texting_send", ANA, "errors-3");
    expect(await h.app.db.prisma.slackOutbox.count({ where: { channel: ORGANIZER } })).toBe(1);
    expect(
      await h.app.db.prisma.message.count({
        where: { toPhone: { startsWith: "+1212555150" }, status: "failed", errorCode: { in: [21610, 30007] } },
      }),
    ).toBe(3);
  });

  it("keeps the contact in the batch when Twilio stays busy, so the volunteer can click again", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("busy", 1600, 1) });
    await launched("Busy", "busy");
    const card = await startTexting("Busy", ANA, "busy");
    h.twilio.failNext({ code: 20429, times: 20 });
    const again = await click(card, "texting_send", ANA, "busy-1");
    expect(cardText(again)).toContain("text *busy0 Voter*");
    expect(buttonOf(again, "texting_send")!.value).not.toBe(buttonOf(card, "texting_send")!.value);
    h.twilio.reset();
    await click(again, "texting_send", ANA, "busy-2");
    expect(h.twilio.messages.map((m) => m.to)).toEqual(["+12125551600"]);
  });

  it("never resends a text whose outcome was lost, and reconciles it with Twilio", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("lost", 1700, 1) });
    await launched("Lost", "lost");
    const card = await startTexting("Lost", ANA, "lost");
    h.twilio.dropConnectionNext({ afterCreate: true });
    const after = await click(card, "texting_send", ANA, "lost-1");
    expect(cardText(after)).toContain(":grey_question: lost0 Voter");
    expect(h.twilio.messages).toHaveLength(1);
    const stored = await h.app.db.prisma.message.findFirstOrThrow({ where: { toPhone: "+12125551700" } });
    expect(stored).toMatchObject({ status: "unconfirmed", twilioSid: null });

    const gateway = createTwilioGateway(h.config.twilio, PUBLIC_URL);
    await expect(
      reconcileUnconfirmedSends(
        { db: h.app.db, sms: gateway, logger: pino({ level: "silent" }), render: slackThreadRenderer },
        new Date(MONDAY_10AM_NY.getTime() + 120_000),
      ),
    ).resolves.toEqual({ confirmed: 1, notSent: 0, failed: 0 });
    expect(await h.app.db.prisma.message.findUniqueOrThrow({ where: { id: stored.id } })).toMatchObject({
      twilioSid: h.twilio.messages[0]!.sid,
    });
    expect(h.twilio.messages).toHaveLength(1);
  });

  it("says so when the campaign is paused", async () => {
    await h.app.db.prisma.contact.createMany({ data: contactsTagged("paused", 1800, 1) });
    const campaign = await launched("Paused", "paused");
    const card = await startTexting("Paused", ANA, "paused");
    await h.app.db.prisma.campaign.update({ where: { id: campaign.id }, data: { status: "paused" } });
    const after = await click(card, "texting_send", ANA, "paused-1");
    expect(cardText(after)).toContain("The campaign is paused: nothing was sent.");
    expect(cardText(after)).toContain("*Paused* is paused: nothing can be sent until an organizer resumes it.");
    expect(h.twilio.messages).toHaveLength(0);
  });
});
