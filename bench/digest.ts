import os from "node:os";
import { Client } from "pg";
import pino from "pino";
import { openDatabase, type Database } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { digestDay } from "../src/domain/daily-digest";
import { JOBS, runJob, type JobDeps } from "../src/jobs/scheduler";
import type { SmsGateway } from "../src/services/sms-gateway";
import { slackThreadRenderer } from "../src/slack/blocks/conversation";
import { slackDigestRenderer } from "../src/slack/blocks/digest";
import { slackWindowNotes } from "../src/slack/blocks/window-notes";
import { permalinkWebClient, WebClientPermalinks } from "../src/slack/permalinks";
import { startFakeSlack, type FakeSlack } from "../test/fakes/slack-api";
import { BOT_TOKEN } from "../test/support/app-harness";
import { createPostgresDatabase, type TestDatabaseTarget } from "../test/support/databases";
import { machine, round } from "./support";

const CONVERSATIONS = Number(process.env.BENCH_DIGEST_CONVERSATIONS ?? 100_000);
const CAMPAIGNS = 50;
const ZONE = "America/New_York";
const JOB = JOBS.find((j) => j.name === "post-daily-digests")!;

/**
 * The world, relative to the digest's clock ($1) so "yesterday" always has texts: 50 running
 * campaigns, each with a first text and a follow-up; one contact per conversation; each campaign's
 * audience is its own contacts plus a fifth of the next campaign's (so they overlap by about 17%).
 * First texts went out over the last 10 days (2% failed), a tenth got their follow-up; 5% of the
 * queue was skipped for the cap in the last two days, 10% is still pending. Conversations: 8% wait
 * on us (since up to 3 days), 90% have a volunteer (9 per campaign), 95% a posted thread, 20% the
 * outcome tag; 35% of the others replied, a quarter were answered; a few follow-ups fall today.
 * 2% of the numbers opted out over the last 5 days.
 */
export const SEED_SQL = [
  "SELECT setseed(0.1103)",
  `CREATE TEMP TABLE bench_campaign AS SELECT k, gen_random_uuid() AS id FROM generate_series(0, ${CAMPAIGNS - 1}) AS k`,
  `CREATE TEMP TABLE bench_contact AS
   SELECT i, gen_random_uuid() AS id, '+1' || (2012000000 + i)::text AS phone FROM generate_series(0, ${CONVERSATIONS - 1}) AS i`,
  `INSERT INTO "Campaign" (id, name, status, "goalType", "goalTarget", "goalOutcomeTag", "callToAction", "senderIdentity",
     "conversationChannelId", "createdBy", "createdAt", "updatedAt")
   SELECT id, 'Bench campaign ' || k, 'running', 'turnout', 1000, 'pledged', 'Will you vote?', 'Sam with Neighbors for B',
     'C0DIGEST' || lpad(k::text, 2, '0'), 'U0ORG', $1::timestamptz - interval '20 days', $1::timestamptz
   FROM bench_campaign`,
  `INSERT INTO "ScriptVariant" (id, "campaignId", kind, label, body, position, "delayDays", "createdAt")
   SELECT gen_random_uuid(), id, 'initial'::"ScriptKind", 'A', 'Hi {firstName}, this is Sam with Neighbors for B. Will you vote? Reply STOP to opt out.', 0, NULL, $1::timestamptz
   FROM bench_campaign
   UNION ALL
   SELECT gen_random_uuid(), id, 'follow_up'::"ScriptKind", 'Follow-up 1', '{firstName}, still with us? Reply STOP to opt out.', 0, 2, $1::timestamptz
   FROM bench_campaign`,
  `INSERT INTO "Contact" (id, phone, "firstName", "lastName", zip, state, "timeZone", "timeZoneSource", "createdAt", "updatedAt")
   SELECT id, phone, (ARRAY['Ana','Ben','Chloé','Dmitri','Eve','Farah','Gus','Hana','Ike','June'])[1 + i % 10],
     (ARRAY['Nguyen','Smith','García','O''Brien','Kowalski','Okafor','Lee','Patel'])[1 + i % 8],
     '10001', 'NY', 'America/New_York', 'zip', $1::timestamptz, $1::timestamptz
   FROM bench_contact`,
  `CREATE TEMP TABLE bench_entry AS
   SELECT c.id AS "contactId", c.i, c.phone, camp.id AS "campaignId", camp.k, (c.i % ${CAMPAIGNS} = camp.k) AS own,
     $1::timestamptz - (0.2 + random() * 10) * interval '1 day' AS "firstTextAt", random() AS r
   FROM bench_contact c JOIN bench_campaign camp
     ON camp.k = c.i % ${CAMPAIGNS} OR (camp.k = (c.i + ${CAMPAIGNS - 1}) % ${CAMPAIGNS} AND c.i % 5 = 0)`,
  `INSERT INTO "CampaignContact" (id, "campaignId", "contactId", status, step, "firstTextAt", "lastTextAt", "skipCode", "skipReason", "updatedAt")
   SELECT gen_random_uuid(), "campaignId", "contactId",
     (CASE WHEN r < 0.05 THEN 'skipped' WHEN r < 0.15 THEN 'pending' ELSE 'sent' END)::"CampaignContactStatus",
     CASE WHEN r > 0.9 THEN 1 ELSE 0 END,
     CASE WHEN r >= 0.15 THEN "firstTextAt" END,
     CASE WHEN r > 0.9 THEN LEAST("firstTextAt" + interval '2 days', $1::timestamptz) WHEN r >= 0.15 THEN "firstTextAt" END,
     CASE WHEN r < 0.05 THEN 'cap' END, CASE WHEN r < 0.05 THEN 'frequency cap: 3 texts in 7 days' END,
     CASE WHEN r < 0.05 THEN $1::timestamptz - random() * interval '2 days' ELSE $1::timestamptz END
   FROM bench_entry`,
  `INSERT INTO "Conversation" (id, "campaignId", "contactId", assignee, tags, "followUpAt", "waitingSince", "slackChannelId", "slackThreadTs", "createdAt", "updatedAt")
   SELECT gen_random_uuid(), e."campaignId", e."contactId",
     CASE WHEN e.q < 0.9 THEN 'U0V' || lpad(e.k::text, 2, '0') || floor(e.q * 10)::int END,
     CASE WHEN e.t < 0.2 THEN ARRAY['pledged'] WHEN e.t < 0.3 THEN ARRAY['undecided'] ELSE '{}'::text[] END,
     CASE WHEN e.f < 0.03 THEN $1::timestamptz + random() * interval '10 hours'
          WHEN e.f < 0.05 THEN $1::timestamptz - random() * interval '2 days'
          WHEN e.f < 0.08 THEN $1::timestamptz + interval '3 days' END,
     CASE WHEN e.w < 0.08 THEN $1::timestamptz - random() * interval '3 days' END,
     CASE WHEN e.s < 0.95 THEN 'C0DIGEST' || lpad(e.k::text, 2, '0') END,
     CASE WHEN e.s < 0.95 THEN '1790000000.' || lpad(e.i::text, 6, '0') END,
     e."firstTextAt", $1::timestamptz - interval '1 hour'
   FROM (SELECT *, random() AS q, random() AS t, random() AS f, random() AS w, random() AS s FROM bench_entry WHERE own) e`,
  // First texts and follow-ups, as sent.
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, status, initiated, step, segments, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), 'outbound'::"MessageDirection", cv.id, e."contactId", e."campaignId", '+12125550199', e.phone, 'Hi, this is Sam with Neighbors for B',
     CASE WHEN random() < 0.02 THEN 'failed' ELSE 'delivered' END, true, 0, 1, e."firstTextAt", e."firstTextAt"
   FROM bench_entry e LEFT JOIN "Conversation" cv ON cv."campaignId" = e."campaignId" AND cv."contactId" = e."contactId"
   WHERE e.r >= 0.15
   UNION ALL
   SELECT gen_random_uuid(), 'outbound'::"MessageDirection", cv.id, e."contactId", e."campaignId", '+12125550199', e.phone, 'Still with us?',
     'delivered', true, 1, 1, LEAST(e."firstTextAt" + interval '2 days', $1::timestamptz), e."firstTextAt"
   FROM bench_entry e LEFT JOIN "Conversation" cv ON cv."campaignId" = e."campaignId" AND cv."contactId" = e."contactId"
   WHERE e.r > 0.9`,
  // Voters' replies: every waiting conversation's at its wait, and 35% of the others'; a quarter of those answered.
  `CREATE TEMP TABLE bench_reply AS
   SELECT cv.id, cv."contactId", cv."campaignId", c.phone, cv."waitingSince",
     coalesce(cv."waitingSince", LEAST(cv."createdAt" + random() * interval '1 day', $1::timestamptz)) AS at, random() AS a
   FROM "Conversation" cv JOIN bench_contact c ON c.id = cv."contactId"
   WHERE cv."waitingSince" IS NOT NULL OR random() < 0.35`,
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "fromPhone", "toPhone", body, status, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), 'inbound'::"MessageDirection", id, "contactId", phone, '+12125550199', 'Yes, count me in', 'received', at, at FROM bench_reply`,
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, status, initiated, "sentBy", segments, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), 'outbound'::"MessageDirection", id, "contactId", "campaignId", '+12125550199', phone, 'Thank you!', 'delivered', false, 'U0V000', 1,
     LEAST(at + interval '10 minutes', $1::timestamptz), at
   FROM bench_reply WHERE "waitingSince" IS NULL AND a < 0.25`,
  `INSERT INTO "OptOut" (phone, source, "createdAt")
   SELECT phone, 'keyword'::"OptOutSource", $1::timestamptz - random() * interval '5 days' FROM bench_contact WHERE random() < 0.02`,
];

export async function seed(url: string, clock: Date): Promise<{ seconds: number; counts: Record<string, number> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    for (const sql of SEED_SQL) {
      await client.query(sql, sql.includes("$1") ? [clock] : []);
    }
    const seconds = round((performance.now() - started) / 1000);
    await client.query("VACUUM ANALYZE");
    const [counts] = (
      await client.query<Record<string, number>>(
        `SELECT (SELECT count(*)::int FROM "Conversation") AS conversations,
           (SELECT count(*)::int FROM "Conversation" WHERE "waitingSince" IS NOT NULL) AS waiting,
           (SELECT count(*)::int FROM "CampaignContact") AS "campaignContacts",
           (SELECT count(*)::int FROM "Contact") AS contacts,
           (SELECT count(*)::int FROM "Message") AS messages,
           (SELECT count(*)::int FROM "OptOut") AS "optOuts"`,
      )
    ).rows;
    return { seconds, counts: counts ?? {} };
  } finally {
    await client.end();
  }
}

/** One run of the job as the scheduler runs it (under its lock), timed; a failure is counted, never thrown. */
async function timedRun(
  deps: JobDeps,
): Promise<{ seconds: number; result: Record<string, unknown> | null; error?: string }> {
  const started = performance.now();
  try {
    const outcome = await runJob(deps, JOB);
    const seconds = round((performance.now() - started) / 1000, 2);
    return { seconds, result: outcome.ran ? outcome.result : null };
  } catch (error) {
    return { seconds: round((performance.now() - started) / 1000, 2), result: null, error: (error as Error).message };
  }
}

/** What the queued digests weigh: Slack refuses more than 50 blocks or 3,000 characters per section. */
async function postSizes(db: Database): Promise<Record<string, number>> {
  const [row] = await db.prisma.$queryRawUnsafe<Record<string, number>[]>(
    `SELECT count(*) FILTER (WHERE "dedupeKey" LIKE 'digest:%')::int AS "channelPosts",
       count(*) FILTER (WHERE "dedupeKey" LIKE 'digest-dm:%')::int AS "directMessages",
       max(jsonb_array_length(payload -> 'blocks'))::int AS "maxBlocks",
       max(length(payload::text))::int AS "maxPayloadChars"
     FROM "SlackOutbox" WHERE "dedupeKey" LIKE 'digest%'`,
  );
  return row ?? {};
}

/**
 * Every campaign's digest over 100,000 conversations in 50 running campaigns on PostgreSQL: the
 * post-daily-digests job as the scheduler runs it: at 09:05 (the thread links the digests will show
 * asked of a fake Slack over HTTP), at 09:35 (every digest: `seconds`), and at 09:35 again with no
 * link known, as a process that was down until then would (links asked while the digests are counted).
 */
export async function digestBenchmark(): Promise<Record<string, unknown>> {
  let pg: TestDatabaseTarget | null = null;
  let db: Database | null = null;
  let slack: FakeSlack | null = null;
  const errors: string[] = [];
  try {
    pg = await createPostgresDatabase();
    if (pg.target.kind !== "postgres") throw new Error("expected PostgreSQL");
    db = await openDatabase(pg.target);
    await applyMigrations(db);
    slack = await startFakeSlack({ tokens: [BOT_TOKEN] });
    // The digest's clock: 09:35 today in New York (five minutes after the default digest time).
    const day = digestDay(new Date(), ZONE);
    const at = (minute: number) => new Date(day.start.getTime() + minute * 60_000);
    const digestAt = at(9 * 60 + 35);
    let clock = at(9 * 60 + 5);
    const seeded = await seed(pg.target.url, digestAt);

    const logger = pino({ level: "silent" });
    const deps: JobDeps = {
      db,
      logger,
      sms: {} as SmsGateway,
      clock: () => clock,
      render: slackThreadRenderer,
      campaignPosts: slackWindowNotes,
      settings: { orgTimeZone: ZONE, nudgeAfterMinutes: 20, releaseAfterMinutes: 90 },
      renderDigest: slackDigestRenderer,
      permalinks: new WebClientPermalinks(permalinkWebClient(BOT_TOKEN, { apiUrl: slack.apiUrl, logger }), logger),
    };
    const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
    const loadBefore = os.loadavg()[0] ?? 0;
    // 09:05: the run of the half hour before asks the links of the threads the digests will show.
    const ahead = await timedRun(deps);
    if (ahead.error) errors.push(`links ahead: ${ahead.error}`);
    const linksAhead = slack.callsTo("chat.getPermalink").length;
    // 09:35: every campaign's digest.
    clock = digestAt;
    const digest = await timedRun(deps);
    if (digest.error) errors.push(`digest: ${digest.error}`);
    const sizes = await postSizes(db);
    const linksAtDigest = slack.callsTo("chat.getPermalink").length - linksAhead;
    // Again as a process that was down until after 09:30 on the first day: no link known, all asked now.
    await db.prisma.slackOutbox.deleteMany({ where: { dedupeKey: { startsWith: "digest" } } });
    await db.prisma.$executeRawUnsafe(`UPDATE "Conversation" SET permalink = NULL`);
    const linksBeforeCold = slack.callsTo("chat.getPermalink").length;
    // A restarted process: a new link client, which has learnt no channel's link form yet.
    const cold = await timedRun({
      ...deps,
      permalinks: new WebClientPermalinks(permalinkWebClient(BOT_TOKEN, { apiUrl: slack.apiUrl, logger }), logger),
    });
    const linksCold = slack.callsTo("chat.getPermalink").length - linksBeforeCold;
    if (cold.error) errors.push(`no links ahead: ${cold.error}`);
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    return {
      what: "post-daily-digests over PostgreSQL: every running campaign's digest gathered, rendered and queued with its DMs",
      conversations: seeded.counts.conversations,
      campaigns: CAMPAIGNS,
      seconds: digest.seconds,
      targetSeconds: 5,
      run: digest.result,
      linksAhead: { seconds: ahead.seconds, permalinkCalls: linksAhead, run: ahead.result },
      permalinkCallsAtDigest: linksAtDigest,
      noLinksAhead: { seconds: cold.seconds, permalinkCalls: linksCold, run: cold.result },
      posts: sizes,
      errors: errors.length,
      errorMessages: errors,
      seeded: { ...seeded.counts, seedSeconds: seeded.seconds },
      digestAt: digestAt.toISOString(),
      peakRssMb: round(process.resourceUsage().maxRSS / 1024),
      rssBeforeJobsMb: round(rssBeforeMb),
      rssAtEndMb: round(rssMb),
      caveat: "fake Slack answers chat.getPermalink in this process; shared 2-core machine: figures are indicative",
      loadAverage1m: { atStart: round(loadBefore, 2), atEnd: round(os.loadavg()[0] ?? 0, 2) },
      machine: machine(),
    };
  } catch (error) {
    errors.push((error as Error).message);
    return { conversations: 0, campaigns: CAMPAIGNS, seconds: null, errors: errors.length, errorMessages: errors };
  } finally {
    await slack?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await pg?.dispose().catch(() => undefined);
  }
}
