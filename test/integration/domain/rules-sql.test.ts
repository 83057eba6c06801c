import fc from "fast-check";
import { dueFollowUpStep, followUpDueSql } from "../../../src/domain/follow-up";
import {
  capFreesAt,
  capFreesAtSql,
  textsTowardCap,
  textsTowardCapByPhoneSql,
  textsTowardCapSql,
  type CapMessage,
} from "../../../src/domain/frequency-cap";
import { goalOutcomeSql, reachesGoal } from "../../../src/domain/goal-progress";
import { usableValue, usableValueSql, PLACEHOLDER_VALUES } from "../../../src/domain/merge-values";
import { CLAIMED, NOT_SENT, OUTBOUND_STATUSES, UNCONFIRMED } from "../../../src/domain/message-status";
import { isOptedOut, optedOutSql } from "../../../src/domain/suppression";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/*
 * Rules that must exist as SQL for speed live beside their pure twin; these properties check that
 * both forms answer the same for random data, on PostgreSQL and on the embedded PGlite.
 */

const PHONES = ["+12125550001", "+12125550002", "+12125550003"];
const NOW = new Date("2026-11-04T15:00:00.000Z");
const HOUR = 3_600_000;

const capMessage = fc.record({
  phone: fc.constantFrom(...PHONES),
  direction: fc.constantFrom("inbound" as const, "outbound" as const),
  initiated: fc.boolean(),
  status: fc.constantFrom(...OUTBOUND_STATUSES, CLAIMED, UNCONFIRMED, NOT_SENT, "received"),
  // Around every boundary a cap of 1–7 days has, to the millisecond.
  ageMs: fc.oneof(
    fc.integer({ min: 0, max: 8 * 24 * HOUR }),
    fc.constantFrom(...[1, 2, 3, 7].map((d) => d * 24 * HOUR)),
    fc.integer({ min: -1, max: 1 }).map((d) => 24 * HOUR + d),
  ),
});

// Strings mixing what the merge rule cares about: placeholders in any case, blanks of every kind.
const mergeText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...PLACEHOLDER_VALUES, "NULL", "NaN", "Undefined", "x", "0", "Ana"),
      fc.constantFrom(
        " ",
        "\t",
        "\n",
        "\r",
        "\v",
        "\f",
        "\u00a0",
        "\u2003",
        "\u3000",
        "\ufeff",
        "\u2028",
        "\u200b",
        "\u180e",
      ),
      fc.string({ maxLength: 3 }).filter((s) => !s.includes("\u0000")),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(""));

describe.each(BACKENDS)("rule homes agree with their SQL twins (%s)", (_name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db.dispose());

  it("counts the same texts toward a frequency cap", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(capMessage, { maxLength: 25 }),
        fc.integer({ min: 1, max: 7 }),
        async (messages, days) => {
          await db.prisma.message.deleteMany();
          const rows = messages.map((m, i) => ({
            direction: m.direction,
            initiated: m.initiated,
            status: m.status,
            toPhone: m.phone,
            fromPhone: "+12125550199",
            body: `text ${i}`,
            createdAt: new Date(NOW.getTime() - m.ageMs),
          }));
          if (rows.length) await db.prisma.message.createMany({ data: rows });
          for (const phone of PHONES) {
            const [row] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
              `SELECT ${textsTowardCapSql({ phone: "$1::text", now: "$2::timestamptz", days: "$3::int" })} AS n`,
              phone,
              NOW,
              days,
            );
            const mine: CapMessage[] = rows.filter((r) => r.toPhone === phone);
            expect(row?.n).toBe(textsTowardCap(mine, NOW, { count: 3, days }));
            for (const count of [1, 2, 3]) {
              const [frees] = await db.prisma.$queryRawUnsafe<{ at: Date | null }[]>(
                `SELECT ${capFreesAtSql({ phone: "$1::text", now: "$2::timestamptz", days: "$3::int", count: "$4::int" })} AS at`,
                phone,
                NOW,
                days,
                count,
              );
              const expected = capFreesAt(mine, NOW, { count, days });
              expect(frees?.at ? new Date(frees.at).toISOString() : null).toBe(expected?.toISOString() ?? null);
            }
          }
          const grouped = await db.prisma.$queryRawUnsafe<{ phone: string; texts: number }[]>(
            textsTowardCapByPhoneSql({ now: "$1::timestamptz", days: "$2::int" }),
            NOW,
            days,
          );
          const byPhone = Object.fromEntries(grouped.map((g) => [g.phone, g.texts]));
          for (const phone of PHONES) {
            const mine = rows.filter((r) => r.toPhone === phone);
            expect(byPhone[phone] ?? 0).toBe(textsTowardCap(mine, NOW, { count: 3, days }));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("agrees on who is opted out", async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(PHONES), fc.constantFrom(...PHONES, "+19995550000"), async (optedOut, probe) => {
        await db.prisma.optOut.deleteMany();
        if (optedOut.length)
          await db.prisma.optOut.createMany({ data: optedOut.map((phone) => ({ phone, source: "keyword" })) });
        const [row] = await db.prisma.$queryRawUnsafe<{ out: boolean }[]>(
          `SELECT ${optedOutSql("$1::text")} AS out`,
          probe,
        );
        expect(row?.out).toBe(isOptedOut(probe, new Set(optedOut)));
      }),
      { numRuns: 30 },
    );
  });

  it("agrees on which values a script may merge", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mergeText, { minLength: 1, maxLength: 20 }), async (values) => {
        const rows = await db.prisma.$queryRawUnsafe<{ usable: boolean }[]>(
          `SELECT ${usableValueSql("v")} AS usable FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n`,
          values,
        );
        expect(rows.map((r) => r.usable)).toEqual(values.map((v) => usableValue(v) !== null));
      }),
      { numRuns: 60 },
    );
  });

  it("agree on which conversations count toward a goal", async () => {
    const tag = fc.constantFrom("pledged", "Pledged", "pledged ", "moved", "", "pledged to vote", "{a,b}", 'say "hi"');
    await fc.assert(
      fc.asyncProperty(fc.array(tag, { maxLength: 4 }), fc.option(tag, { nil: null }), async (tags, outcomeTag) => {
        const [row] = await db.prisma.$queryRawUnsafe<{ hit: boolean | null }[]>(
          `SELECT ${goalOutcomeSql("cv", "camp")} AS hit FROM (SELECT $1::text[] AS tags) cv, (SELECT $2::text AS "goalOutcomeTag") camp`,
          tags,
          outcomeTag,
        );
        expect(row!.hit === true).toBe(reachesGoal(tags, outcomeTag));
      }),
      { numRuns: 60 },
    );
  });

  it("agree on which contacts are due for a follow-up", async () => {
    const segment = await db.prisma.segment.create({ data: { name: "rules", filter: {}, createdBy: "U0" } });
    const campaign = await db.prisma.campaign.create({
      data: { name: "Rules", createdBy: "U0", segmentId: segment.id },
    });
    const contacts = await Promise.all(
      PHONES.map((phone) => db.prisma.contact.create({ data: { phone }, select: { id: true, phone: true } })),
    );
    const entry = fc.record({
      status: fc.constantFrom("pending", "assigned", "sent", "skipped", "deferred"),
      step: fc.integer({ min: 0, max: 2 }),
      firstAgeHours: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
      lastAgeHours: fc.integer({ min: 0, max: 200 }),
      optedOut: fc.boolean(),
      replyAgeHours: fc.option(fc.integer({ min: -5, max: 400 }), { nil: null }),
    });
    const delays = fc.tuple(
      fc.option(fc.integer({ min: 1, max: 7 }), { nil: null }),
      fc.option(fc.integer({ min: 1, max: 7 }), { nil: null }),
    );
    await fc.assert(
      fc.asyncProperty(fc.tuple(entry, entry, entry), delays, async (entries, [delay1, delay2]) => {
        await db.prisma.message.deleteMany();
        await db.prisma.optOut.deleteMany();
        await db.prisma.campaignContact.deleteMany();
        await db.prisma.scriptVariant.deleteMany();
        const scripts = [
          ...(delay1 === null ? [] : [{ position: 0, delayDays: delay1 }]),
          ...(delay1 === null || delay2 === null ? [] : [{ position: 1, delayDays: delay2 }]),
        ];
        for (const s of scripts) {
          await db.prisma.scriptVariant.create({
            data: {
              campaignId: campaign.id,
              kind: "follow_up",
              label: `Follow-up ${s.position + 1}`,
              body: "Hi",
              position: s.position,
              delayDays: s.delayDays,
            },
          });
        }
        const expected: Record<string, boolean> = {};
        for (const [i, e] of entries.entries()) {
          const c = contacts[i]!;
          const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR);
          const firstTextAt = e.firstAgeHours === null ? null : ago(Math.max(e.firstAgeHours, e.lastAgeHours));
          const lastTextAt = firstTextAt === null ? null : ago(e.lastAgeHours);
          const row = await db.prisma.campaignContact.create({
            data: {
              campaignId: campaign.id,
              contactId: c.id,
              status: e.status as never,
              step: e.step,
              firstTextAt,
              lastTextAt,
            },
          });
          if (e.optedOut) await db.prisma.optOut.create({ data: { phone: c.phone, source: "keyword" } });
          const replies = e.replyAgeHours === null ? [] : [ago(e.replyAgeHours)];
          for (const at of replies) {
            await db.prisma.message.create({
              data: {
                direction: "inbound",
                contactId: c.id,
                fromPhone: c.phone,
                toPhone: "+12125550199",
                body: "hi",
                status: "received",
                createdAt: at,
              },
            });
          }
          const facts = { status: e.status, step: e.step, firstTextAt, lastTextAt, optedOut: e.optedOut, replies };
          expected[row.id] = dueFollowUpStep(facts, scripts, NOW) !== null;
        }
        const rows = await db.prisma.$queryRawUnsafe<{ id: string; due: boolean }[]>(
          `SELECT cc.id, ${followUpDueSql({ entry: "cc", contact: "c", now: "$1::timestamptz" })} AS due
           FROM "CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId"`,
          NOW,
        );
        expect(Object.fromEntries(rows.map((r) => [r.id, r.due]))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});
