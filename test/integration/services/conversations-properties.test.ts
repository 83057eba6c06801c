import fc from "fast-check";
import pino from "pino";
import type { Database } from "../../../src/db/database";
import { ConversationInbox } from "../../../src/services/conversation-inbox";
import { recordThreadReply } from "../../../src/services/thread-replies";
import { type ConversationDeps } from "../../../src/services/conversation-threads";
import { recordInboundSms } from "../../../src/services/inbound-sms";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/** Every reply's author is a member of the workspace (roles are tested in test/e2e/roles.e2e.test.ts). */
const MEMBERS = { roleOf: async () => "volunteer" as const };

/*
 * Exactly-once (ARCHITECTURE.md invariant 5) as a property: volunteer thread replies and voter
 * texts delivered any number of times, concurrently, with two inbox workers (two processes)
 * draining at random moments, come out as exactly one SMS (or, once the voter opted out, one
 * refusal) per Slack message and exactly one thread post per voter text, an opt-out in any of
 * them is recorded and confirmed once, and nothing stays unprocessed.
 */

const CHANNEL = "C0REPLIES";
const THREAD = "1795000000.000100";
const VOTER = "+12125550101";
/** Voter text number OPT_OUT_TEXT asks to opt out (in words Twilio does not answer itself). */
const OPT_OUT_TEXT = 5;
const CONFIRMATION = "You're unsubscribed and will get no more texts.";
const SENDER = "+12125550199";
// Monday 10:00 in New York: sending hours open.
const NOW = new Date("2026-11-30T15:00:00Z");

type Step =
  | { kind: "volunteer"; reply: number; copies: number }
  | { kind: "voter"; text: number; copies: number }
  | { kind: "drain"; workers: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("volunteer" as const), reply: fc.nat(5), copies: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant("voter" as const),
    text: fc.nat(OPT_OUT_TEXT),
    copies: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant("drain" as const), workers: fc.integer({ min: 1, max: 2 }) }),
);

describe.each(BACKENDS)("exactly-once conversations (%s)", (name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let deps: ConversationDeps;
  let conversationId: string;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio({ now: () => NOW });
    const contact = await db.prisma.contact.create({
      data: { phone: VOTER, firstName: "Dana", zip: "10001", state: "NY", timeZone: "America/New_York" },
    });
    const campaign = await db.prisma.campaign.create({
      data: { name: "Exactly once", status: "running", createdBy: "U0ORG", conversationChannelId: CHANNEL },
    });
    conversationId = (
      await db.prisma.conversation.create({
        data: { campaignId: campaign.id, contactId: contact.id, slackChannelId: CHANNEL, slackThreadTs: THREAD },
      })
    ).id;
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
      unmatchedChannel: null,
      logger: pino({ level: "silent" }),
    };
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  it("sends one SMS (or, once opted out, one refusal) per volunteer message, posts one thread reply per voter text and confirms an opt-out once, however often each arrives", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 15 }), async (steps) => {
        run++;
        twilio.reset();
        await db.prisma.$executeRawUnsafe(`DELETE FROM "SlackOutbox" WHERE "parentId" IS NOT NULL`);
        await db.prisma.$executeRawUnsafe(`TRUNCATE "SlackOutbox", "SlackOutboxChannel", "InboundEvent"`);
        await db.prisma.message.deleteMany({});
        await db.prisma.optOut.deleteMany({});
        const replies = new Set<number>();
        const texts = new Set<number>();
        const ts = (i: number) => `1795000${String(run).padStart(3, "0")}.${String(i).padStart(6, "0")}`;
        const sid = (i: number) => `SM${String(run).padStart(16, "0")}${String(i).padStart(16, "0")}`;
        const voterBody = (i: number) =>
          i === OPT_OUT_TEXT ? `voter text ${run}-${i}: please stop texting me` : `voter text ${run}-${i}`;
        for (const s of steps) {
          if (s.kind === "volunteer") {
            replies.add(s.reply);
            await Promise.all(
              Array.from({ length: s.copies }, () =>
                recordThreadReply(db, {
                  channel: CHANNEL,
                  ts: ts(s.reply),
                  threadTs: THREAD,
                  user: "U0BEN",
                  text: `volunteer reply ${run}-${s.reply}`,
                }),
              ),
            );
          } else if (s.kind === "voter") {
            texts.add(s.text);
            await Promise.all(
              Array.from({ length: s.copies }, () =>
                recordInboundSms(
                  db.sql,
                  {
                    sid: sid(s.text),
                    from: VOTER,
                    to: SENDER,
                    body: voterBody(s.text),
                    media: [],
                    raw: { MessageSid: sid(s.text), From: VOTER, To: SENDER, Body: voterBody(s.text) },
                  },
                  NOW,
                ),
              ),
            );
          } else {
            await Promise.all(Array.from({ length: s.workers }, () => new ConversationInbox(deps, MEMBERS).drain()));
          }
        }
        // Whatever was left (a process that died before draining): two workers finish it.
        await Promise.all([new ConversationInbox(deps, MEMBERS).drain(), new ConversationInbox(deps, MEMBERS).drain()]);

        expect(await db.prisma.inboundEvent.count({ where: { processedAt: null } })).toBe(0);
        const optedOut = texts.has(OPT_OUT_TEXT);
        expect(await db.prisma.optOut.count({ where: { phone: VOTER } })).toBe(optedOut ? 1 : 0);
        // The opt-out is confirmed once, however often its text arrived or was processed.
        const sentBodies = twilio.messages.map((m) => m.body);
        expect(sentBodies.filter((b) => b === CONFIRMATION)).toHaveLength(optedOut ? 1 : 0);
        // Each volunteer message went out once, or (only once the voter opted out) was refused once.
        const refused = await db.prisma.slackOutbox.findMany({
          where: { dedupeKey: { startsWith: "reply-note:" } },
          select: { dedupeKey: true },
        });
        if (!optedOut) expect(refused).toHaveLength(0);
        const repliesSent = sentBodies.filter((b) => b !== CONFIRMATION).sort();
        const refusedTs = new Set(refused.map((r) => r.dedupeKey!.split(":").at(-1)));
        expect([...repliesSent, ...[...refusedTs].map((t) => `refused ${t}`)].sort()).toEqual(
          [...replies].map((r) => (refusedTs.has(ts(r)) ? `refused ${ts(r)}` : `volunteer reply ${run}-${r}`)).sort(),
        );
        expect(refused).toHaveLength(refusedTs.size);
        const stored = await db.prisma.message.findMany({
          where: { direction: "outbound" },
          select: { body: true, conversationId: true },
        });
        expect(stored.map((m) => m.body).sort()).toEqual([...sentBodies].sort());
        const voterPosts = await db.prisma.slackOutbox.findMany({
          where: { dedupeKey: { startsWith: "sms:" } },
          select: { payload: true },
        });
        expect(voterPosts.map((p) => (p.payload as { text: string }).text).sort()).toEqual(
          [...texts].map(voterBody).sort(),
        );
        expect(await db.prisma.message.count({ where: { direction: "inbound", conversationId } })).toBe(texts.size);
      }),
      { numRuns: name === "postgres" ? 25 : 10 },
    );
  }, 180_000);
});
