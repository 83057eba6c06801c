import { Client } from "pg";
import { openDatabase, type Database } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { campaignResults } from "../src/services/campaign-results";
import { campaignById } from "../src/services/campaigns";
import { campaignResultsMessage } from "../src/slack/blocks/campaign-results";
import { renderReportChart } from "../src/slack/charts/report-chart";
import { actor } from "../test/support/actors";
import { createPostgresDatabase, type TestDatabaseTarget } from "../test/support/databases";
import { machine, percentile, round } from "./support";

const CONTACTS = Number(process.env.BENCH_REPORT_CONTACTS ?? 400_000);
const RUNS = 5;
const ZONE = "America/New_York";

/**
 * One running campaign with two variants and 40 volunteers, first texts over 14 days to every
 * contact (90% delivered, 5% sent, 3% undelivered, 2% refused), a follow-up to a quarter, two
 * replies from 40% (a third from 5%), each replying voter answered once; 3% opted out after
 * their first text, 15% carry the outcome tag. About 1,000,000 messages for 400,000 contacts.
 */
export const SEED_SQL = [
  "SELECT setseed(0.1205)",
  `INSERT INTO "Campaign" (id, name, status, "goalType", "goalTarget", "goalOutcomeTag", "conversationChannelId", "createdBy", "updatedAt")
   VALUES ('00000000-0000-7000-8000-00000000b001'::uuid, 'Bench report', 'running', 'turnout', 50000, 'pledged', 'C0BENCH', 'U0ORG', now())`,
  `INSERT INTO "ScriptVariant" (id, "campaignId", kind, label, body, position)
   VALUES ('00000000-0000-7000-8000-00000000a001', '00000000-0000-7000-8000-00000000b001'::uuid, 'initial', 'A', 'Hi, will you vote? Reply STOP to opt out.', 0),
          ('00000000-0000-7000-8000-00000000a002', '00000000-0000-7000-8000-00000000b001'::uuid, 'initial', 'B', 'Hello! Will you vote? Reply STOP to opt out.', 1)`,
  `CREATE TEMP TABLE bench_contact AS
   SELECT i, gen_random_uuid() AS id, gen_random_uuid() AS conversation, '+1' || (3012000000 + i)::text AS phone,
     now() - interval '14 days' + random() * interval '14 days' AS "firstTextAt", random() AS r, random() AS q, random() AS t
   FROM generate_series(0, ${CONTACTS - 1}) AS i`,
  `INSERT INTO "Contact" (id, phone, "firstName", "updatedAt") SELECT id, phone, 'Voter', now() FROM bench_contact`,
  `INSERT INTO "CampaignContact" (id, "campaignId", "contactId", status, "variantId", "assignedTo", "firstTextAt", "lastTextAt", "updatedAt")
   SELECT gen_random_uuid(), '00000000-0000-7000-8000-00000000b001'::uuid, id, 'sent'::"CampaignContactStatus",
     CASE WHEN i % 2 = 0 THEN '00000000-0000-7000-8000-00000000a001'::uuid ELSE '00000000-0000-7000-8000-00000000a002'::uuid END,
     'U0V' || (i % 40), "firstTextAt", "firstTextAt", now()
   FROM bench_contact`,
  `INSERT INTO "Conversation" (id, "campaignId", "contactId", assignee, tags, "createdAt", "updatedAt")
   SELECT conversation, '00000000-0000-7000-8000-00000000b001'::uuid, id, 'U0V' || (i % 40),
     CASE WHEN t < 0.15 THEN ARRAY['pledged'] ELSE '{}'::text[] END, "firstTextAt", now()
   FROM bench_contact`,
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, status, "errorCode", initiated, step, "sentBy", "createdAt", "updatedAt")
   SELECT gen_random_uuid(), 'outbound'::"MessageDirection", conversation, id, '00000000-0000-7000-8000-00000000b001'::uuid, '+12125550199', phone, 'Hi',
     CASE WHEN q < 0.9 THEN 'delivered' WHEN q < 0.95 THEN 'sent' WHEN q < 0.98 THEN 'undelivered' ELSE 'failed' END,
     CASE WHEN q >= 0.98 THEN (ARRAY[21211, 21610])[1 + i % 2] WHEN q >= 0.95 THEN (ARRAY[30007, 30003, 30006])[1 + i % 3] END,
     true, 0, 'U0V' || (i % 40), "firstTextAt", "firstTextAt"
   FROM bench_contact
   UNION ALL
   SELECT gen_random_uuid(), 'outbound'::"MessageDirection", conversation, id, '00000000-0000-7000-8000-00000000b001'::uuid, '+12125550199', phone, 'Still with us?',
     'delivered', NULL, true, 1, 'U0V' || (i % 40), "firstTextAt" + interval '2 days', "firstTextAt"
   FROM bench_contact WHERE r >= 0.75`,
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "fromPhone", "toPhone", body, status, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), 'inbound'::"MessageDirection", conversation, id, phone, '+12125550199', 'Yes', 'received', "firstTextAt" + n * interval '7 minutes', now()
   FROM bench_contact, generate_series(1, 3) AS n
   WHERE r < 0.4 AND (n <= 2 OR r < 0.05)`,
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, status, initiated, "sentBy", "createdAt", "updatedAt")
   SELECT gen_random_uuid(), 'outbound'::"MessageDirection", conversation, id, '00000000-0000-7000-8000-00000000b001'::uuid, '+12125550199', phone, 'Thanks!',
     'delivered', false, 'U0V' || ((i + 1) % 40), "firstTextAt" + interval '7 minutes' + random() * interval '30 minutes', now()
   FROM bench_contact WHERE r < 0.4`,
  `INSERT INTO "OptOut" (phone, source, "createdAt")
   SELECT phone, 'keyword'::"OptOutSource", "firstTextAt" + interval '1 hour' FROM bench_contact WHERE t > 0.97`,
];

async function seed(url: string): Promise<{ seconds: number; messages: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    for (const sql of SEED_SQL) await client.query(sql);
    await client.query("VACUUM ANALYZE");
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Message"`);
    return { seconds: round((performance.now() - started) / 1000), messages: rows[0]?.n ?? 0 };
  } finally {
    await client.end();
  }
}

/**
 * `/campaign report` over a campaign of about 1,000,000 messages on PostgreSQL: the figures counted
 * and worded (what the organizer waits for), five runs after one to warm up; the chart drawn apart.
 */
export async function reportBenchmark(): Promise<Record<string, unknown>> {
  let pg: TestDatabaseTarget | null = null;
  let db: Database | null = null;
  const errors: string[] = [];
  try {
    pg = await createPostgresDatabase();
    if (pg.target.kind !== "postgres") throw new Error("expected PostgreSQL");
    db = await openDatabase(pg.target);
    await applyMigrations(db);
    const seeded = await seed(pg.target.url);
    const campaign = (await campaignById(db, "00000000-0000-7000-8000-00000000b001"))!;
    const organizer = actor("U0ORG");
    const times: number[] = [];
    let figures: Record<string, unknown> = {};
    let chartSeconds: number | null = null;
    for (let run = 0; run <= RUNS; run++) {
      const started = performance.now();
      try {
        const results = await campaignResults(db, campaign, { ...organizer, at: new Date() }, { timeZone: ZONE });
        campaignResultsMessage(results, "");
        if (run > 0) times.push((performance.now() - started) / 1000);
        if (run === RUNS) {
          figures = { texted: results.contacts.texted, replied: results.contacts.replied, days: results.daily.length };
          const chartStarted = performance.now();
          const png = await renderReportChart(campaign.name, results.daily);
          chartSeconds = round((performance.now() - chartStarted) / 1000, 3);
          figures.chartBytes = png.length;
        }
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    times.sort((a, b) => a - b);
    return {
      what: "campaignResults + the report message for one campaign, PostgreSQL",
      messages: seeded.messages,
      seconds: times.length ? round(percentile(times, 50), 3) : null,
      maxSeconds: times.length ? round(times[times.length - 1]!, 3) : null,
      runs: times.map((t) => round(t, 3)),
      targetSeconds: 2,
      chartSeconds,
      figures,
      seedSeconds: seeded.seconds,
      errors: errors.length,
      errorMessages: errors,
      caveat: "shared 2-core machine: figures are indicative",
      machine: machine(),
    };
  } catch (error) {
    errors.push((error as Error).message);
    return { messages: 0, seconds: null, errors: errors.length, errorMessages: errors };
  } finally {
    await db?.close().catch(() => undefined);
    await pg?.dispose().catch(() => undefined);
  }
}
