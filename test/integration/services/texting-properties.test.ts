import fc from "fast-check";
import type { Database } from "../../../src/db/database";
import { capWindowStart } from "../../../src/domain/frequency-cap";
import { maskPhone } from "../../../src/domain/phone";
import { DEFAULT_SEND_WINDOW, isWithinSendWindow } from "../../../src/domain/quiet-hours";
import { sendCard } from "../../../src/services/send-card";
import { drawCard, skipCard, type TextingCard } from "../../../src/services/texting";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { launchedCampaign } from "../../support/campaigns";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/*
 * The sending invariants (ARCHITECTURE.md 1–4) as properties: for random sequences of volunteers
 * drawing cards, clicking Send (once, twice at once, or on someone else's card), skipping, voters
 * opting out and the clock moving, through the real services, database and Twilio gateway (against
 * the fake Twilio server), no text ever goes to an opted-out number, outside the recipient's hours,
 * over a frequency cap, or without (or twice for) one click.
 */

const ORGANIZER = "U0ORG";
const VOLUNTEERS = ["U0ANA", "U0BEN"] as const;
const SENDER = "+12125550199";

// Phones and ZIPs that exercise every zone rule: one zone, DST-free Phoenix and Honolulu, a ZIP and
// area code in different zones (both windows apply), and a toll-free number (every US zone applies).
const CONTACTS = [
  { phone: "+12125550001", zip: "10001", state: "NY" },
  { phone: "+16025550002", zip: "85004", state: "AZ" },
  { phone: "+18085550003", zip: "96813", state: "HI" },
  { phone: "+12125550004", zip: "94110", state: "CA" },
  { phone: "+18005550005", zip: null, state: null },
  { phone: "+13125550006", zip: "60601", state: "IL" },
].map((c, i) => ({ ...c, firstName: `Voter${i}`, tags: ["everyone"], timeZone: null }));

// Two campaigns over the same people with different caps: the caps count texts from both.
const CAMPAIGNS = [
  { name: "Tight cap", capCount: "1", capDays: "1" },
  { name: "Loose cap", capCount: "2", capDays: "7" },
];

type Command =
  | { kind: "draw"; volunteer: number; campaign: number }
  | { kind: "click"; card: number; copies: number; thief: boolean }
  | { kind: "skip"; card: number }
  /** Opts out the number of a drawn card (the race that matters), or any contact before any card. */
  | { kind: "optOut"; card: number }
  | { kind: "wait"; minutes: number }
  /** A first text some other campaign sent to a card's number (or any contact's) `hoursAgo` before now. */
  | { kind: "earlierText"; card: number; hoursAgo: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("draw" as const), volunteer: fc.nat(1), campaign: fc.nat(1) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("click" as const),
      card: fc.nat(20),
      copies: fc.integer({ min: 1, max: 3 }),
      thief: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("skip" as const), card: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("optOut" as const), card: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), minutes: fc.integer({ min: 0, max: 24 * 60 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("earlierText" as const),
      card: fc.nat(20),
      hoursAgo: fc.integer({ min: 0, max: 48 }),
    }),
  },
);

const DAY_MS = 86_400_000;
/**
 * Any instant of the year, or (three times as often) an afternoon in the US, 20:00–23:59 UTC, when
 * most recipients' windows are open: a run that starts at night only tests refusals, and a few runs
 * of nights alone once left the real sends untested.
 */
const startInstant: fc.Arbitrary<Date> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.date({
      min: new Date("2026-01-01T00:00:00Z"),
      max: new Date("2026-12-31T00:00:00Z"),
      noInvalidDate: true,
    }),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ day: fc.integer({ min: 0, max: 363 }), minute: fc.integer({ min: 20 * 60, max: 24 * 60 - 1 }) })
      .map(({ day, minute }) => new Date(Date.UTC(2026, 0, 1) + day * DAY_MS + minute * 60_000)),
  },
);

describe.each(BACKENDS)("sending invariants (%s)", (name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let clock = new Date();
  const campaignIds: string[] = [];
  const caps: { count: number; days: number }[] = [];

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio({ now: () => clock });
    await db.prisma.contact.createMany({ data: CONTACTS });
    for (const c of CAMPAIGNS) {
      const saved = await launchedCampaign(db, {
        name: c.name,
        tag: "everyone",
        createdBy: ORGANIZER,
        form: {
          scripts: [
            "Hi {firstName}, this is Sam with Neighbors for B. Will you vote? Reply STOP to opt out.",
            "",
            "",
            "",
          ],
          callToAction: "Will you vote?",
          capCount: c.capCount,
          capDays: c.capDays,
        },
      });
      campaignIds.push(saved.id);
      caps.push({ count: Number(c.capCount), days: Number(c.capDays) });
    }
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  async function resetWorld(): Promise<void> {
    twilio.reset();
    await db.prisma.message.deleteMany({});
    await db.prisma.optOut.deleteMany({});
    await db.prisma.conversation.deleteMany({});
    await db.prisma.campaignContact.updateMany({
      data: { status: "pending", assignedTo: null, assignedAt: null, deferredUntil: null, skipReason: null },
    });
  }

  it("never texts an opted-out number, outside the recipient's hours, over a cap, or more than once per click", async () => {
    const gateway = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
      {
        retry: { attempts: 1 },
      },
    );
    let texted = 0;
    await fc.assert(
      fc.asyncProperty(
        startInstant,
        fc.array(command, { minLength: 5, maxLength: 25 }),
        async (start, randomCommands) => {
          // Every run begins with a draw and a click, so the gates face a real send attempt.
          const commands: Command[] = [
            { kind: "draw", volunteer: 0, campaign: 0 },
            { kind: "click", card: 0, copies: 1, thief: false },
            ...randomCommands,
          ];
          await resetWorld();
          clock = start;
          const cards: (TextingCard & { volunteer: string })[] = [];
          const clickedIntents = new Set<string>();
          const optedOutAt = new Map<string, number>();
          // Each Twilio message, with the clock and the step it was sent at.
          const sends: { to: string; at: Date; step: number; campaign: number }[] = [];

          for (const [step, cmd] of commands.entries()) {
            const before = twilio.messages.length;
            if (cmd.kind === "wait") clock = new Date(clock.getTime() + cmd.minutes * 60_000);
            const phoneOf = (card: number) =>
              cards.length
                ? CONTACTS.find((c) => maskPhone(c.phone) === cards[card % cards.length]!.maskedPhone)!.phone
                : CONTACTS[card % CONTACTS.length]!.phone;
            if (cmd.kind === "earlierText") {
              const at = new Date(clock.getTime() - cmd.hoursAgo * 3_600_000);
              const phone = phoneOf(cmd.card);
              await db.prisma.message.create({
                data: {
                  direction: "outbound",
                  fromPhone: SENDER,
                  toPhone: phone,
                  body: "earlier",
                  status: "delivered",
                  initiated: true,
                  createdAt: at,
                },
              });
              sends.push({ to: phone, at, step, campaign: -1 });
            }
            if (cmd.kind === "optOut") {
              const phone = phoneOf(cmd.card);
              await db.prisma.optOut.upsert({
                where: { phone },
                create: { phone, source: "reply_phrase" },
                update: {},
              });
              if (!optedOutAt.has(phone)) optedOutAt.set(phone, step);
            }
            if (cmd.kind === "draw") {
              const volunteer = VOLUNTEERS[cmd.volunteer]!;
              const draw = await drawCard(db, {
                campaignId: campaignIds[cmd.campaign]!,
                volunteer,
                role: "volunteer",
                now: clock,
              });
              if (draw.kind === "card") cards.push({ ...draw.card, volunteer });
            }
            if ((cmd.kind === "click" || cmd.kind === "skip") && cards.length > 0) {
              const card = cards[cmd.card % cards.length]!;
              if (cmd.kind === "skip") {
                await skipCard(db, {
                  campaignContactId: card.campaignContactId,
                  volunteer: card.volunteer,
                  role: "volunteer",
                  now: clock,
                });
              } else {
                const volunteer = cmd.thief ? VOLUNTEERS.find((v) => v !== card.volunteer)! : card.volunteer;
                clickedIntents.add(card.intentId);
                await Promise.all(
                  Array.from({ length: cmd.copies }, () =>
                    sendCard(
                      db,
                      gateway,
                      {
                        campaignContactId: card.campaignContactId,
                        intentId: card.intentId,
                        volunteer,
                        role: "volunteer",
                        now: clock,
                      },
                      { sender: SENDER },
                    ),
                  ),
                );
              }
            }
            for (const m of twilio.messages.slice(before)) {
              const stored = await db.prisma.message.findFirstOrThrow({
                where: { twilioSid: m.sid },
                select: { campaignId: true },
              });
              sends.push({ to: m.to, at: clock, step, campaign: campaignIds.indexOf(stored.campaignId!) });
            }
          }

          texted += sends.filter((s) => s.campaign >= 0).length;
          const stored = await db.prisma.message.findMany({
            where: { twilioSid: { in: twilio.messages.map((m) => m.sid) } },
            select: { sendIntentId: true, campaignId: true, contactId: true },
          });
          // 4. One click, one text: every text has a clicked intent, no intent or contact texted twice per campaign.
          expect(stored).toHaveLength(twilio.messages.length);
          for (const m of stored) expect(clickedIntents.has(m.sendIntentId!)).toBe(true);
          expect(new Set(stored.map((m) => m.sendIntentId)).size).toBe(stored.length);
          expect(new Set(stored.map((m) => `${m.campaignId}:${m.contactId}`)).size).toBe(stored.length);
          for (const send of sends.filter((s) => s.campaign >= 0)) {
            const contact = CONTACTS.find((c) => c.phone === send.to)!;
            // 1. Never after the number opted out.
            const optOut = optedOutAt.get(send.to);
            expect(optOut === undefined || optOut > send.step).toBe(true);
            // 2. Only inside the recipient's window (ZIP zone and area-code zones, or all US zones).
            expect(isWithinSendWindow({ phone: contact.phone, zip: contact.zip }, send.at, DEFAULT_SEND_WINDOW)).toBe(
              true,
            );
            // 3. Never over the sending campaign's cap, counting texts from every campaign.
            const cap = caps[send.campaign]!;
            const since = capWindowStart(send.at, cap).getTime();
            // This text and those recorded before it (an earlier step) to the number, still inside the window.
            const inWindow = sends.filter(
              (s) =>
                s.to === send.to &&
                s.at.getTime() >= since &&
                s.at.getTime() <= send.at.getTime() &&
                (s === send || s.step < send.step),
            );
            expect(inWindow.length).toBeLessThanOrEqual(cap.count);
          }
        },
      ),
      { numRuns: name === "postgres" ? 30 : 12 },
    );
    // The gates were exercised by real sends, not only by refusals.
    expect(texted).toBeGreaterThan(0);
  }, 180_000);
});
