import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/*
 * Conversation.firstReplyAt (kept by triggers on Message, migration `conversation_first_reply`) is
 * what the report counts replies and the median first reply from. These properties play random
 * histories of texts (inserted alone or in batches, joined to a conversation later as an inbound
 * webhook does, moved, re-dated, re-statused, deleted) and check that the stored value always equals
 * what the report computed before it was stored: the earliest inbound text of the conversation.
 */

const CAMPAIGN = "00000000-0000-7000-8000-00000000c001";
const CONVERSATIONS = [1, 2, 3].map((i) => `00000000-0000-7000-8000-00000000d00${i}`);
const CONTACTS = [1, 2, 3].map((i) => `00000000-0000-7000-8000-00000000e00${i}`);
const BASE = Date.parse("2026-11-04T15:00:00.000Z");

// The report's statement before the value was stored (its first_reply CTE), the oracle.
const OLD_FIRST_REPLY_SQL = `
SELECT cv.id, r.at FROM "Conversation" cv
LEFT JOIN (
  SELECT m."conversationId", min(m."createdAt") AS at
  FROM "Message" m
  WHERE m.direction = 'inbound' AND m."conversationId" IN (SELECT id FROM "Conversation" WHERE "campaignId" = ANY($1::uuid[]))
  GROUP BY m."conversationId"
) r ON r."conversationId" = cv.id
ORDER BY cv.id`;

const text = fc.record({
  inbound: fc.boolean(),
  conversation: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
  // Minutes from BASE, with ties.
  minute: fc.integer({ min: 0, max: 20 }),
});

const step = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), texts: fc.array(text, { minLength: 1, maxLength: 4 }) }),
  fc.record({
    op: fc.constant("move" as const),
    pick: fc.nat(),
    conversation: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
  }),
  fc.record({ op: fc.constant("redate" as const), pick: fc.nat(), minute: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ op: fc.constant("turn" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("status" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("delete" as const), pick: fc.nat() }),
);

describe.each(BACKENDS)("a conversation's stored first reply (%s)", (_name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    await db.sql.query(
      `INSERT INTO "Campaign" (id, name, status, "createdBy", "updatedAt") VALUES ($1::uuid, 'First replies', 'running', 'U0ORG', now())`,
      [CAMPAIGN],
    );
    for (let i = 0; i < 3; i++) {
      await db.sql.query(
        `INSERT INTO "Contact" (id, phone, "firstName", "updatedAt") VALUES ($1::uuid, $2, 'Voter', now())`,
        [CONTACTS[i], `+1212555010${i}`],
      );
      await db.sql.query(
        `INSERT INTO "Conversation" (id, "campaignId", "contactId", "updatedAt") VALUES ($1::uuid, $2::uuid, $3::uuid, now())`,
        [CONVERSATIONS[i], CAMPAIGN, CONTACTS[i]],
      );
    }
  });
  afterAll(() => db.dispose());

  const at = (minute: number) => new Date(BASE + minute * 60_000).toISOString();
  const ids = async () =>
    (await db.sql.query<{ id: string }>(`SELECT id FROM "Message" ORDER BY "createdAt", id`)).map((r) => r.id);
  const pickOf = async (pick: number) => {
    const all = await ids();
    return all.length ? all[pick % all.length]! : null;
  };

  it("equals the earliest inbound text of the conversation after any history of texts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        await db.sql.query(`DELETE FROM "Message"`);
        for (const s of steps) {
          if (s.op === "insert") {
            // One statement for the whole batch, as a bulk insert or createMany writes it.
            const values = s.texts.map(
              (_t, i) =>
                `(gen_random_uuid(), $${i * 4 + 1}::"MessageDirection", $${i * 4 + 2}::uuid, $${i * 4 + 3}::uuid, '+12125550100', '+12125550199', 'Hi', $${i * 4 + 4}, $${s.texts.length * 4 + 1}::timestamptz + ($${s.texts.length * 4 + 2}::int[])[${i + 1}] * interval '1 minute', now())`,
            );
            const params = s.texts.flatMap((t) => [
              t.inbound ? "inbound" : "outbound",
              t.conversation === null ? null : CONVERSATIONS[t.conversation],
              CONTACTS[t.conversation ?? 0],
              t.inbound ? "received" : "delivered",
            ]);
            await db.sql.query(
              `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "fromPhone", "toPhone", body, status, "createdAt", "updatedAt") VALUES ${values.join(", ")}`,
              [...params, at(0), s.texts.map((t) => t.minute)],
            );
            continue;
          }
          const id = await pickOf(s.pick);
          if (id === null) continue;
          if (s.op === "move")
            await db.sql.query(`UPDATE "Message" SET "conversationId" = $2::uuid WHERE id = $1::uuid`, [
              id,
              s.conversation === null ? null : CONVERSATIONS[s.conversation],
            ]);
          else if (s.op === "redate")
            await db.sql.query(`UPDATE "Message" SET "createdAt" = $2::timestamptz WHERE id = $1::uuid`, [
              id,
              at(s.minute),
            ]);
          else if (s.op === "turn")
            await db.sql.query(
              `UPDATE "Message" SET direction = CASE direction WHEN 'inbound' THEN 'outbound'::"MessageDirection" ELSE 'inbound'::"MessageDirection" END WHERE id = $1::uuid`,
              [id],
            );
          else if (s.op === "status")
            await db.sql.query(`UPDATE "Message" SET status = 'undelivered', "errorCode" = 30003 WHERE id = $1::uuid`, [
              id,
            ]);
          else await db.sql.query(`DELETE FROM "Message" WHERE id = $1::uuid`, [id]);
        }
        const stored = await db.sql.query<{ id: string; at: Date | null }>(
          `SELECT id, "firstReplyAt" AS at FROM "Conversation" ORDER BY id`,
        );
        const expected = await db.sql.query<{ id: string; at: Date | null }>(OLD_FIRST_REPLY_SQL, [[CAMPAIGN]]);
        const iso = (rows: { id: string; at: Date | null }[]) =>
          rows.map((r) => ({ id: r.id, at: r.at === null ? null : new Date(r.at).toISOString() }));
        expect(iso(stored)).toEqual(iso(expected));
      }),
      { numRuns: 60 },
    );
  });

  it("is filled for the conversations already stored by the migration's backfill", async () => {
    const dir = path.join(__dirname, "../../../prisma/migrations");
    const folder = readdirSync(dir).find((d) => d.endsWith("_conversation_first_reply"))!;
    const script = readFileSync(path.join(dir, folder, "migration.sql"), "utf8");
    const backfill = script.slice(script.indexOf("-- The conversations already stored")).replace(/;\s*$/, "");
    await db.sql.query(`DELETE FROM "Message"`);
    const texts: [number, number, string][] = [
      [0, 9, "inbound"],
      [0, 4, "inbound"],
      [0, 1, "outbound"],
      [1, 2, "outbound"],
    ];
    for (const [conversation, minute, direction] of texts)
      await db.sql.query(
        `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "fromPhone", "toPhone", body, status, "createdAt", "updatedAt")
         VALUES (gen_random_uuid(), $1::"MessageDirection", $2::uuid, $3::uuid, '+12125550100', '+12125550199', 'Hi', 'received', $4::timestamptz, now())`,
        [direction, CONVERSATIONS[conversation], CONTACTS[conversation], at(minute)],
      );
    // As before the migration: the texts are there, the column is not filled.
    await db.sql.query(`UPDATE "Conversation" SET "firstReplyAt" = NULL`);
    await db.sql.query(backfill);
    const stored = await db.sql.query<{ id: string; at: Date | null }>(
      `SELECT id, "firstReplyAt" AS at FROM "Conversation" ORDER BY id`,
    );
    expect(stored.map((r) => (r.at === null ? null : new Date(r.at).toISOString()))).toEqual([at(4), null, null]);
  });

  it("is cleared when the texts are truncated", async () => {
    await db.sql.query(`DELETE FROM "Message"`);
    await db.sql.query(
      `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "fromPhone", "toPhone", body, status, "createdAt", "updatedAt")
       VALUES (gen_random_uuid(), 'inbound', $1::uuid, $2::uuid, '+12125550100', '+12125550199', 'Yes', 'received', $3::timestamptz, now())`,
      [CONVERSATIONS[0], CONTACTS[0], at(5)],
    );
    const before = await db.sql.query<{ at: Date | null }>(
      `SELECT "firstReplyAt" AS at FROM "Conversation" WHERE id = $1::uuid`,
      [CONVERSATIONS[0]],
    );
    expect(before[0]?.at && new Date(before[0].at).toISOString()).toBe(at(5));
    await db.sql.query(`TRUNCATE "Message"`);
    const after = await db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Conversation" WHERE "firstReplyAt" IS NOT NULL`,
    );
    expect(after[0]?.n).toBe(0);
  });
});
