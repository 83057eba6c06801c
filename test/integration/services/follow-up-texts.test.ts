import fc from "fast-check";
import type { Database } from "../../../src/db/database";
import { changeCampaignStatus } from "../../../src/services/campaigns";
import { sendCard } from "../../../src/services/send-card";
import { drawCard, type CardDraw, type TextingCard } from "../../../src/services/texting";
import { recordInboundSms } from "../../../src/services/inbound-sms";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { launchedCampaign } from "../../support/campaigns";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/*
 * Follow-up texts through the real services and database, with a clock the test moves: due only
 * after the delay, never to someone who replied or opted out, still one click per text, and still
 * behind every gate (cap, sending hours).
 */

const ORGANIZER = "U0ORG";
const ANA = "U0ANA";
const SENDER = "+12125550199";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Wednesday 20:00 UTC: 15:00 in New York, 10:00 in Honolulu. */
const T0 = new Date("2026-11-04T20:00:00Z");

const FOLLOW_UP_1 = "Hi {firstName}, Sam again with Neighbors for B. Can we count on your vote? Reply STOP to opt out.";
const FOLLOW_UP_2 = "{firstName|Friend}, polls open 7am Tuesday. Will you vote? Reply STOP to opt out.";

const contact = (name: string, phone: string, zip: string) => ({ firstName: name, phone, zip, tags: ["fu"] });
const CONTACTS = {
  replied: contact("Rae", "+12125550101", "10001"),
  optedOut: contact("Otto", "+12125550102", "10001"),
  capped: contact("Cam", "+12125550103", "10001"),
  honolulu: contact("Hana", "+18085550104", "96813"),
  plain: contact("Pat", "+12125550105", "10001"),
};

describe.each(BACKENDS)("follow-up texts (%s)", (name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let clock = T0;
  let gateway: ReturnType<typeof createTwilioGateway>;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio({ now: () => clock });
    gateway = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
      { retry: { attempts: 1 } },
    );
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  const draw = (campaignId: string, at: Date): Promise<CardDraw> =>
    drawCard(db, { campaignId, volunteer: ANA, role: "volunteer", now: at });
  const send = (card: TextingCard, at: Date) =>
    sendCard(
      db,
      gateway,
      {
        campaignContactId: card.campaignContactId,
        intentId: card.intentId,
        volunteer: ANA,
        role: "volunteer",
        now: at,
      },
      { sender: SENDER },
    );

  /** Draws and sends every card there is now; the texts' recipients, in order. */
  async function sendAll(campaignId: string, at: Date): Promise<{ to: string[]; notes: string[] }> {
    const to: string[] = [];
    const notes: string[] = [];
    for (;;) {
      const drawn = await draw(campaignId, at);
      notes.push(...drawn.notes.map((n) => `${n.contactName}: ${n.outcome}: ${n.reason}`));
      if (drawn.kind !== "card") return { to, notes };
      const outcome = await send(drawn.card, at);
      if (outcome.kind === "sent") to.push(drawn.card.contactName);
    }
  }

  it("come due after their delay, skip those who replied or opted out, and keep every gate", async () => {
    await db.prisma.contact.createMany({ data: Object.values(CONTACTS) });
    const campaign = await launchedCampaign(db, {
      name: "Follow me",
      tag: "fu",
      createdBy: ORGANIZER,
      form: { followUps: [FOLLOW_UP_1, FOLLOW_UP_2], followUpDelays: ["2", "5"] },
    });
    clock = T0;
    expect((await sendAll(campaign.id, T0)).to).toHaveLength(5);

    // Rae replies, Otto opts out, Cam gets two texts from another campaign (the cap is 3 per 7 days).
    const inbound = await recordInboundSms(
      db.sql,
      {
        sid: `SM${"1".padStart(32, "0")}`,
        from: CONTACTS.replied.phone,
        to: SENDER,
        body: "Who is this?",
        media: [],
        raw: {},
      },
      clock,
    );
    expect(inbound.stored).toBe(true);
    await db.prisma.optOut.create({ data: { phone: CONTACTS.optedOut.phone, source: "reply_phrase" } });
    for (const hours of [20, 21]) {
      await db.prisma.message.create({
        data: {
          direction: "outbound",
          initiated: true,
          fromPhone: SENDER,
          toPhone: CONTACTS.capped.phone,
          body: "another campaign",
          status: "delivered",
          createdAt: new Date(T0.getTime() + hours * HOUR),
        },
      });
    }

    // A day later nothing is due yet: the delay is two days.
    expect(await draw(campaign.id, new Date(T0.getTime() + DAY))).toMatchObject({ kind: "done" });

    // Saturday 15:00 UTC: 10:00 in New York, 05:00 in Honolulu.
    const t1 = new Date(T0.getTime() + 2 * DAY + 19 * HOUR);
    clock = t1;
    const first = await draw(campaign.id, t1);
    expect(first.kind).toBe("card");
    if (first.kind !== "card") return;
    expect(first.card).toMatchObject({ contactName: "Pat", step: 1, variantLabel: "Follow-up 1" });
    expect(first.card.body).toBe(
      "Hi Pat, Sam again with Neighbors for B. Can we count on your vote? Reply STOP to opt out.",
    );
    // Cam comes first in the batch (by phone) and is at the cap.
    expect(first.notes.map((n) => `${n.contactName}: ${n.outcome}`)).toEqual(["Cam: skipped"]);
    expect(first.notes[0]?.reason).toMatch(/^frequency cap: already 3 campaign texts/);

    // A double click sends one follow-up.
    const before = twilio.messages.length;
    const outcomes = await Promise.all([send(first.card, t1), send(first.card, t1)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["already-handled", "sent"]);
    expect(twilio.messages.slice(before).map((m) => m.to)).toEqual([CONTACTS.plain.phone]);
    const stored = await db.prisma.message.findFirstOrThrow({ where: { twilioSid: twilio.messages.at(-1)!.sid } });
    expect(stored).toMatchObject({ initiated: true, step: 1 });
    // Hana is outside her sending hours: deferred until they open, not skipped.
    const rest = await draw(campaign.id, t1);
    expect(rest.kind).toBe("done");
    expect(rest.notes.map((n) => `${n.contactName}: ${n.outcome}`)).toEqual(["Hana: deferred"]);

    // Rae (replied) and Otto (opted out) are never offered one.
    const entries = await db.prisma.campaignContact.findMany({
      where: { campaignId: campaign.id },
      select: { status: true, step: true, skipCode: true, contact: { select: { firstName: true } } },
    });
    const byName = Object.fromEntries(entries.map((e) => [e.contact.firstName, e]));
    expect(byName.Rae).toMatchObject({ status: "sent", step: 0 });
    expect(byName.Otto).toMatchObject({ status: "sent", step: 0 });
    expect(byName.Cam).toMatchObject({ status: "skipped", step: 1, skipCode: "cap" });
    expect(byName.Hana).toMatchObject({ status: "deferred", step: 1 });

    // Five days after Pat's follow-up 1, while paused: nothing; resumed: Hana's deferred follow-up 1, then Pat's follow-up 2.
    const t2 = new Date(t1.getTime() + 5 * DAY + 5 * HOUR);
    clock = t2;
    await changeCampaignStatus(db, "Follow me", "pause", actor("U0ORG"));
    expect(await draw(campaign.id, t2)).toMatchObject({ kind: "not-running" });
    await changeCampaignStatus(db, "Follow me", "resume", actor("U0ORG"));
    const later = await sendAll(campaign.id, t2);
    expect(later.to.sort()).toEqual(["Hana", "Pat"]);
    const hana = await db.prisma.message.findFirstOrThrow({ where: { toPhone: CONTACTS.honolulu.phone, step: 1 } });
    expect(hana.createdAt).toEqual(t2);
    const last = await db.prisma.message.findFirstOrThrow({ where: { toPhone: CONTACTS.plain.phone, step: 2 } });
    expect(last).toMatchObject({ step: 2, body: "Pat, polls open 7am Tuesday. Will you vote? Reply STOP to opt out." });
    // A month on, only Hana's follow-up 2 is left: two follow-ups is all this campaign has.
    const t3 = new Date(t2.getTime() + 30 * DAY);
    clock = t3;
    const final = await sendAll(campaign.id, t3);
    expect(final.to).toEqual(["Hana"]);
    expect(await draw(campaign.id, new Date(t3.getTime() + 30 * DAY))).toMatchObject({ kind: "done" });
  });

  it("never sends a follow-up to someone who replied or opted out before it, whatever the order of events", async () => {
    const phones = Array.from({ length: 4 }, (_, i) => `+1312555${String(1000 + i)}`);
    await db.prisma.contact.createMany({
      data: phones.map((phone, i) => ({ phone, firstName: `P${i}`, zip: "60601", tags: ["prop"] })),
    });
    const campaign = await launchedCampaign(db, {
      name: "Follow property",
      tag: "prop",
      createdBy: ORGANIZER,
      form: { followUps: [FOLLOW_UP_1, FOLLOW_UP_2], followUpDelays: ["1", "1"], capCount: "10", capDays: "7" },
    });
    const event = fc.oneof(
      fc.record({ kind: fc.constant("reply" as const), who: fc.nat(3) }),
      fc.record({ kind: fc.constant("optOut" as const), who: fc.nat(3) }),
      fc.record({ kind: fc.constant("send" as const) }),
      fc.record({ kind: fc.constant("wait" as const), hours: fc.integer({ min: 1, max: 60 }) }),
    );
    let sid = 1_000;
    let texted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 3, maxLength: 15 }), async (events) => {
        await db.prisma.message.deleteMany();
        await db.prisma.optOut.deleteMany();
        await db.prisma.conversation.deleteMany();
        await db.prisma.campaignContact.updateMany({
          where: { campaignId: campaign.id },
          data: {
            status: "pending",
            step: 0,
            assignedTo: null,
            assignedAt: null,
            deferredUntil: null,
            firstTextAt: null,
            lastTextAt: null,
          },
        });
        // Chicago, 11:00 on a Wednesday: every send below happens on some later afternoon.
        let now = new Date("2026-11-04T17:00:00Z");
        const replied = new Map<string, Date>();
        const optedOut = new Map<string, Date>();
        await sendAll(campaign.id, now);
        for (const e of [...events, { kind: "send" as const }]) {
          if (e.kind === "wait") now = new Date(now.getTime() + e.hours * HOUR);
          // A reply or opt-out comes a minute after whatever came before it.
          if (e.kind === "reply" || e.kind === "optOut") now = new Date(now.getTime() + 60_000);
          if (e.kind === "reply") {
            const phone = phones[e.who]!;
            await recordInboundSms(
              db.sql,
              {
                sid: `SM${String(++sid).padStart(32, "0")}`,
                from: phone,
                to: SENDER,
                body: "ok",
                media: [],
                raw: {},
              },
              now,
            );
            if (!replied.has(phone)) replied.set(phone, now);
          }
          if (e.kind === "optOut") {
            const phone = phones[e.who]!;
            await db.prisma.optOut.upsert({ where: { phone }, create: { phone, source: "reply_phrase" }, update: {} });
            if (!optedOut.has(phone)) optedOut.set(phone, now);
          }
          if (e.kind === "send") {
            // Afternoons only, so the sending hours let the gates face real sends.
            const day = new Date(now);
            day.setUTCHours(19, 0, 0, 0);
            if (day < now) day.setUTCDate(day.getUTCDate() + 1);
            now = day;
            await sendAll(campaign.id, now);
          }
        }
        const followUps = await db.prisma.message.findMany({ where: { campaignId: campaign.id, step: { gt: 0 } } });
        texted += followUps.length;
        for (const text of followUps) {
          const reply = replied.get(text.toPhone);
          const out = optedOut.get(text.toPhone);
          expect(reply === undefined || reply > text.createdAt).toBe(true);
          expect(out === undefined || out > text.createdAt).toBe(true);
        }
      }),
      { numRuns: name === "postgres" ? 25 : 10 },
    );
    expect(texted).toBeGreaterThan(0);
  }, 180_000);
});
