import { Client } from "pg";
import pino from "pino";
import { jobDeps } from "../src/app";
import { loadConfig } from "../src/config";
import { openDatabase, type Database } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { isAutomaticText } from "../src/domain/automatic-texts";
import { isWithinSendWindow, storedPolicyOrDefault } from "../src/domain/quiet-hours";
import { JOBS, runJob } from "../src/jobs/scheduler";
import { createTwilioGateway } from "../src/sms/twilio-gateway";
import { startFakeSlack, type FakeSlack } from "../test/fakes/slack-api";
import { startFakeTwilio, type FakeTwilio } from "../test/fakes/twilio-api";
import { appEnvironment, BOT_TOKEN } from "../test/support/app-harness";
import { launchedCampaign } from "../test/support/campaigns";
import { createPostgresDatabase, POSTGRES_ADMIN_URL, type TestDatabaseTarget } from "../test/support/databases";
import {
  bump,
  samples,
  networkFaults,
  sleep,
  volunteersAnswering,
  volunteersSending,
  votersReplying,
  type Counts,
  type LiveApps,
  type ThreadAnswer,
  type VoterText,
} from "./fault-actors";
import { machine, round, startAppProcess, type AppProcess } from "./support";

const CAMPAIGNS = 5;
const CONTACTS = 3_000;
const VOLUNTEERS = 50;
const RUN_MS = Number(process.env.BENCH_FAULTS_SECONDS ?? 45) * 1000;
/** After the run, how long the apps get to finish what they accepted (Slack posts at 1 per second per channel). */
const SETTLE_MS = 240_000;
// Monday 10:00 in New York, 07:00 in Los Angeles: the Los Angeles fifth of the audience must wait.
const CLOCK_START = Date.parse("2026-11-30T15:00:00Z");
/** The benchmark's own database connections carry this name, so terminating the apps' spares them. */
const BENCH_APPLICATION_NAME = "faults-bench";
/**
 * An opt-out carries the clock read when the voter's text is processed, a send the clock read at
 * the click; both then wait for the number's lock. A send that took the lock first (and so was
 * rightly sent) can carry a time a little after the opt-out's: only texts later than this count.
 */
const OPT_OUT_CLOCK_SLACK_MS = 2_000;

/**
 * Two app processes on one PostgreSQL, 50 volunteers sending, voters replying (some opting out),
 * volunteers answering in threads; meanwhile one process is killed with SIGKILL and restarted,
 * the apps' database connections are terminated, and the fakes answer Slack 429s and 500s, Twilio
 * 503s, dropped connections (some after the message was created) and slow answers. Then the apps
 * settle, the reconciliation jobs run, and everything is checked: `lost`, `duplicated`,
 * `textedAfterOptOut` and `outsideWindow` must all be 0.
 */
export async function faultsBenchmark(): Promise<Record<string, unknown>> {
  const errors: string[] = [];
  const counts: Counts = {};
  const faults: Counts = {};
  let made: TestDatabaseTarget | null = null;
  let slack: FakeSlack | null = null;
  let twilio: FakeTwilio | null = null;
  let db: Database | null = null;
  const apps: Array<AppProcess | null> = [null, null];
  let stopping = false;
  try {
    made = await createPostgresDatabase();
    if (made.target.kind !== "postgres") throw new Error("the faults benchmark runs on PostgreSQL");
    // One clock for the apps, Twilio's log and the checks: the apps' clock runs from CLOCK_START.
    const origin = Date.now();
    const appClock = () => new Date(Date.now() + CLOCK_START - origin);
    [slack, twilio] = await Promise.all([startFakeSlack({ tokens: [BOT_TOKEN] }), startFakeTwilio({ now: appClock })]);
    const benchUrl = new URL(made.target.url);
    benchUrl.searchParams.set("application_name", BENCH_APPLICATION_NAME);
    db = await openDatabase({ kind: "postgres", url: benchUrl.toString() });
    await applyMigrations(db);
    const campaigns = await seed(db);

    const env = appEnvironment(slack.apiUrl, 0, {
      LOG_LEVEL: "error",
      DATABASE_URL: made.target.url,
      TWILIO_API_URL: twilio.url,
      BENCH_CLOCK_ORIGIN: String(origin),
    });
    const urls: Array<string | null> = [null, null];
    // A supervisor's job: an app process that dies on its own is counted and started again.
    const start = async (i: number): Promise<void> => {
      const app = await startAppProcess(env, CLOCK_START);
      apps[i] = app;
      urls[i] = app.url;
      void app.exited.then(() => {
        if (apps[i] !== app || stopping) return;
        urls[i] = null;
        bump(counts, "appProcessDiedOnItsOwn");
        void start(i).catch((error: unknown) => errors.push(`restart: ${(error as Error).message}`));
      });
    };
    await start(0);
    await start(1);
    const live: LiveApps = { pick: (i) => urls[i % 2] ?? urls[(i + 1) % 2] ?? null };

    const voterTexts: VoterText[] = [];
    const answers: ThreadAnswer[] = [];
    const stopAt = Date.now() + RUN_MS;
    const done = () => Date.now() >= stopAt;
    const random = seededRandom(20261204);
    const dbName = made.target.url.split("/").pop()!.split("?")[0]!;
    const processFaults = async () => {
      const at = (fraction: number) => sleep(Math.max(0, stopAt - RUN_MS + fraction * RUN_MS - Date.now()));
      await at(0.15);
      bump(faults, "databaseConnectionsTerminated", await terminateAppConnections(dbName));
      await at(0.3);
      const killed = apps[0]!;
      apps[0] = null;
      urls[0] = null;
      await killed.kill();
      bump(faults, "appProcessKilled");
      await at(0.4);
      await start(0);
      bump(faults, "appProcessRestarted");
      for (const when of [0.55, 0.8]) {
        await at(when);
        bump(faults, "databaseConnectionsTerminated", await terminateAppConnections(dbName));
      }
    };
    const started = performance.now();
    await Promise.all([
      volunteersSending({ apps: live, campaigns, volunteers: VOLUNTEERS, done, counts }),
      votersReplying({ apps: live, twilio, authToken: twilio.authToken, done, counts, log: voterTexts, random }),
      volunteersAnswering({ apps: live, db, done, counts, answers }),
      networkFaults({ slack, twilio, everyMs: 1_500, done, counts: faults }),
      processFaults().catch((error: unknown) => errors.push(`process faults: ${(error as Error).message}`)),
    ]);
    const runSeconds = (performance.now() - started) / 1000;
    stopping = true;
    slack.delay(0);
    twilio.delay(0);

    const settleStarted = performance.now();
    const settled = await settle(db, SETTLE_MS);
    // The reconciliation jobs as their next scheduled runs would find things; then the inbox
    // processes what they recovered.
    const reconciled = await reconcile(db, env, () => new Date(appClock().getTime() + 10 * 60_000)).catch(
      (error: unknown) => (errors.push(`reconciliation: ${(error as Error).message}`), {}),
    );
    const settledAfterReconciling = await settle(db, SETTLE_MS);
    const settleSeconds = (performance.now() - settleStarted) / 1000;
    const found = await check(db, twilio, voterTexts, answers);
    return {
      what: "two app processes on one PostgreSQL under process, database, Slack and Twilio faults; every text accounted for",
      lost: found.lost.total,
      duplicated: found.duplicated.total,
      textedAfterOptOut: found.textedAfterOptOut,
      outsideWindow: found.outsideWindow,
      details: found,
      faultsInjected: faults,
      traffic: counts,
      refusalSamples: Object.fromEntries(samples),
      settled,
      reconciled,
      settledAfterReconciling,
      volunteers: VOLUNTEERS,
      campaigns: CAMPAIGNS,
      contacts: CONTACTS,
      runSeconds: round(runSeconds),
      settleSeconds: round(settleSeconds),
      errors: errors.length,
      errorMessages: errors,
      machine: machine(),
    };
  } catch (error) {
    errors.push((error as Error).message);
    return { lost: null, duplicated: null, errors: errors.length, errorMessages: errors, faultsInjected: faults };
  } finally {
    stopping = true;
    await Promise.all(apps.map((app) => app?.kill().catch(() => undefined)));
    await db?.close().catch(() => undefined);
    await slack?.close().catch(() => undefined);
    await twilio?.close().catch(() => undefined);
    await made?.dispose().catch(() => undefined);
  }
}

/** 3,000 contacts (a fifth in Los Angeles) in five running campaigns, each with its reply channel. */
async function seed(db: Database): Promise<string[]> {
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "Contact" (id, phone, "firstName", "lastName", zip, state, "timeZone", "timeZoneSource", tags, "updatedAt")
     SELECT gen_random_uuid(),
       CASE WHEN i % 5 = 0 THEN '+1213' ELSE '+1212' END || lpad(i::text, 7, '0'), 'Voter' || i, 'Faults',
       CASE WHEN i % 5 = 0 THEN '90012' ELSE '10001' END, CASE WHEN i % 5 = 0 THEN 'CA' ELSE 'NY' END,
       CASE WHEN i % 5 = 0 THEN 'America/Los_Angeles' ELSE 'America/New_York' END, 'zip',
       ARRAY['faults' || (i % ${CAMPAIGNS})], now()
     FROM generate_series(1, $1::int) AS i`,
    CONTACTS,
  );
  const names: string[] = [];
  for (let k = 0; k < CAMPAIGNS; k++) {
    const name = `Faults ${k}`;
    await launchedCampaign(db, { name, tag: `faults${k}`, createdBy: "U0ORG", form: { channelId: `C0FAULTS${k}` } });
    names.push(name);
  }
  return names;
}

/** pg_terminate_backend on every connection to the benchmark's database but its own: what a failover does. */
async function terminateAppConnections(dbName: string): Promise<number> {
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2`,
      [dbName, BENCH_APPLICATION_NAME],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await admin.end();
  }
}

const PENDING_SQL = `
SELECT (SELECT count(*)::int FROM "InboundEvent" WHERE "processedAt" IS NULL AND "failedAt" IS NULL) AS "inboundPending",
       (SELECT count(*)::int FROM "InboundEvent" WHERE "failedAt" IS NOT NULL) AS "inboundSetAside",
       (SELECT count(*)::int FROM "SlackOutbox" WHERE status = 'queued') AS "slackQueued",
       (SELECT count(*)::int FROM "SlackOutbox" WHERE status = 'failed') AS "slackFailed"`;

/** Waits until the apps have processed every accepted event and posted every queued Slack post. */
async function settle(db: Database, timeoutMs: number): Promise<Record<string, number | boolean>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [pending] = await db.prisma.$queryRawUnsafe<Array<Record<string, number>>>(PENDING_SQL);
    const idle = pending!.inboundPending === 0 && pending!.slackQueued === 0;
    if (idle || Date.now() >= deadline) return { ...pending!, idle };
    await sleep(2_000);
  }
}

/** Runs every reconciliation job once, at `clock` (later than the texts they look for). */
async function reconcile(db: Database, env: NodeJS.ProcessEnv, clock: () => Date): Promise<Record<string, unknown>> {
  const config = loadConfig(env);
  const logger = pino({ level: "silent" });
  const sms = createTwilioGateway(config.twilio, config.publicUrl, { logger });
  const deps = jobDeps({ db, logger, sms, clock }, config);
  const ran: Record<string, unknown> = {};
  for (const job of JOBS.filter((j) => j.name.startsWith("reconcile"))) ran[job.name] = await runJob(deps, job);
  return ran;
}

/** Every text accounted for, from the fakes' logs and the database. */
async function check(db: Database, twilio: FakeTwilio, voterTexts: VoterText[], answers: ThreadAnswer[]) {
  const inbound = await db.prisma.message.findMany({
    where: { direction: "inbound", twilioSid: { in: voterTexts.map((t) => t.sid) } },
    select: { twilioSid: true },
  });
  const stored = new Set(inbound.map((m) => m.twilioSid));
  const optedOut = new Set((await db.prisma.optOut.findMany({ select: { phone: true } })).map((o) => o.phone));
  const outbound = await db.prisma.message.findMany({
    where: { direction: "outbound" },
    select: {
      body: true,
      toPhone: true,
      initiated: true,
      sentBy: true,
      createdAt: true,
      twilioSid: true,
      contact: { select: { zip: true } },
      campaignId: true,
    },
  });
  const policies = new Map(
    (await db.prisma.campaign.findMany({ select: { id: true, quietHoursPolicy: true } })).map((c) => [
      c.id,
      storedPolicyOrDefault(c.quietHoursPolicy),
    ]),
  );
  const optOuts = new Map(
    (await db.prisma.optOut.findMany({ select: { phone: true, createdAt: true } })).map((o) => [o.phone, o.createdAt]),
  );
  const atTwilio = new Map<string, number>();
  for (const m of twilio.messages) atTwilio.set(`${m.to}\n${m.body}`, (atTwilio.get(`${m.to}\n${m.body}`) ?? 0) + 1);
  const known = new Set(outbound.map((m) => m.twilioSid));
  const answerRows = new Set(outbound.map((m) => `${m.toPhone}\n${m.body}`));

  const lost = {
    voterTextsAccepted: voterTexts.filter((t) => t.answer === 200 && !stored.has(t.sid)).length,
    voterTextsOnlyInTwilioLog: voterTexts.filter((t) => t.answer !== 200 && !stored.has(t.sid)).length,
    optOuts: voterTexts.filter((t) => t.optOut && !optedOut.has(t.from)).length,
    threadAnswers: answers.filter((a) => a.acked && !answerRows.has(`${a.phone}\n${a.text}`)).length,
    total: 0,
  };
  lost.total = lost.voterTextsAccepted + lost.voterTextsOnlyInTwilioLog + lost.optOuts + lost.threadAnswers;
  const duplicated = {
    textsAtTwilio: [...atTwilio.values()].filter((n) => n > 1).length,
    voterTexts: inbound.length - stored.size,
    total: 0,
  };
  duplicated.total = duplicated.textsAtTwilio + duplicated.voterTexts;
  const byPeople = outbound.filter((m) => !isAutomaticText({ ...m, direction: "outbound" }));
  const textedAfterOptOut = byPeople.filter((m) => {
    const since = optOuts.get(m.toPhone);
    return since !== undefined && m.createdAt.getTime() > since.getTime() + OPT_OUT_CLOCK_SLACK_MS;
  }).length;
  const outsideWindow = byPeople.filter(
    (m) =>
      !isWithinSendWindow(
        { phone: m.toPhone, zip: m.contact?.zip ?? null },
        m.createdAt,
        (m.campaignId && policies.get(m.campaignId)) || storedPolicyOrDefault(null),
      ),
  ).length;
  return {
    lost,
    duplicated,
    textedAfterOptOut,
    outsideWindow,
    textsAtTwilio: twilio.messages.length,
    textsAtTwilioUnknownToUs: twilio.messages.filter((m) => !known.has(m.sid)).length,
    voterTexts: voterTexts.length,
    voterTextsAccepted: voterTexts.filter((t) => t.answer === 200).length,
    optOutsAsked: voterTexts.filter((t) => t.optOut).length,
    threadAnswersAcked: answers.filter((a) => a.acked).length,
    threadAnswersTexted: answers.filter((a) => (atTwilio.get(`${a.phone}\n${a.text}`) ?? 0) > 0).length,
  };
}

/** mulberry32: the same voters reply in every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
