import { openDatabase } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { startFakeSlack } from "../test/fakes/slack-api";
import { startFakeTwilio } from "../test/fakes/twilio-api";
import { appEnvironment, BOT_TOKEN } from "../test/support/app-harness";
import { launchedCampaign } from "../test/support/campaigns";
import { createPostgresDatabase } from "../test/support/databases";
import { sendFloorBenchmark } from "./send-floor";
import { databaseCpu, machine, processCpu, round, startAppProcess, type AppProcess } from "./support";
import { measureSending, openLoopClicking, spread, VOLUNTEERS } from "./volunteers";

// Enough for the closed loop and for the open loop's 500 volunteers, who each claim a batch of 50.
const CONTACTS = 40_000;
/** The open loop: 500 volunteers each clicking every 5 s, so 100 clicks a second arrive, for 20 s. */
const OPEN_LOOP = { volunteers: 500, everyMs: 5_000, warmupMs: 8_000, measureMs: 20_000 };
// Monday 10:00 in New York: every contact's sending hours are open for the whole run.
const CLOCK_START = Date.parse("2026-11-30T15:00:00Z");

/**
 * 20 volunteers texting one running campaign as fast as cards come back: each clicks Send on its
 * card, waits for the next card at its response_url, and clicks again. The app runs in its own
 * process against PostgreSQL and the fake Twilio; the time per click is from posting the signed
 * click to receiving the next card, i.e. what a volunteer waits. The same load first runs against
 * the database-free floor app (send-floor), so the ratio of the two is measured in one run. Then an
 * open loop: clicks arriving at a fixed 100 a second, timed inside the app.
 */
export async function sendBenchmark(): Promise<Record<string, unknown>> {
  const floor = await sendFloorBenchmark();
  const floorSendsPerSecond = floor.sendsPerSecond as number;
  const made = await createPostgresDatabase();
  const [slack, twilio] = await Promise.all([startFakeSlack({ tokens: [BOT_TOKEN] }), startFakeTwilio()]);
  const db = await openDatabase(made.target);
  let app: AppProcess | undefined;
  try {
    await applyMigrations(db);
    const campaignName = await seed(db);
    await db.close();

    if (made.target.kind !== "postgres") throw new Error("the send benchmark runs on PostgreSQL");
    app = await startAppProcess(
      appEnvironment(slack.apiUrl, 0, { LOG_LEVEL: "warn", DATABASE_URL: made.target.url, TWILIO_API_URL: twilio.url }),
      CLOCK_START,
    );
    const database = databaseCpu(made.target.url);
    const measured = await measureSending(app, twilio, `send ${campaignName}`, database);
    let sendsBefore = 0;
    const appCpu = processCpu(app.pid);
    let cpuStarted: Promise<unknown> = Promise.resolve();
    const openLoop = await openLoopClicking({
      appUrl: app.url,
      campaignCommand: `send ${campaignName}`,
      ...OPEN_LOOP,
      onMeasureStart: () => {
        sendsBefore = twilio.messages.length;
        cpuStarted = Promise.all([appCpu.start(), database.start()]);
        void app?.takeServerTimes("clicks"); // drops the warm-up's times
      },
    });
    const openLoopSends = twilio.messages.length - sendsBefore;
    await cpuStarted;
    const [openLoopAppMs, openLoopDatabaseMs] = await Promise.all([appCpu.stop(), database.stop()]);
    const openLoopTimes = await app.takeServerTimes("clicks");
    return {
      what: `${VOLUNTEERS} volunteers clicking Send as fast as their next card arrives; app in its own process on PostgreSQL, fake Twilio`,
      contacts: CONTACTS,
      ...measured,
      floorSendsPerSecond,
      /** The target: at least 0.6. */
      ratioToFloor: round(measured.sendsPerSecond / floorSendsPerSecond, 2),
      floorServerTimePerClickMs: floor.serverTimePerClickMs,
      floorCpuMsPerSend: floor.cpuMsPerSend,
      openLoop: {
        what: `${OPEN_LOOP.volunteers} volunteers each clicking Send every ${OPEN_LOOP.everyMs / 1000} s: ${(OPEN_LOOP.volunteers * 1000) / OPEN_LOOP.everyMs} clicks a second offered for ${OPEN_LOOP.measureMs / 1000} s`,
        offeredPerSecond: (OPEN_LOOP.volunteers * 1000) / OPEN_LOOP.everyMs,
        clicks: openLoop.clicks,
        /** Turns a volunteer could not click because its previous card had not come back yet. */
        lateTurns: openLoop.late,
        errors: openLoop.errors,
        sendsPerSecond: round(openLoopSends / (OPEN_LOOP.measureMs / 1000)),
        cpuMsPerSend: {
          app: round(openLoopAppMs / openLoopSends, 2),
          database: round(openLoopDatabaseMs / openLoopSends, 2),
        },
        /** The target: p99 under 50 ms. */
        serverTimePerClickMs: spread(openLoopTimes),
      },
      totalTexts: twilio.messages.length,
      duplicateRecipients: twilio.messages.length - new Set(twilio.messages.map((m) => m.to)).size,
      caveat: "the benchmark client, fake Slack and fake Twilio share the 2-core machine with the app and PostgreSQL",
      machine: machine(),
    };
  } finally {
    await app?.stop();
    await db.close().catch(() => undefined);
    await Promise.all([slack.close(), twilio.close()]);
    await made.dispose();
  }
}

async function seed(db: Awaited<ReturnType<typeof openDatabase>>): Promise<string> {
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "Contact" (id, phone, "firstName", "lastName", zip, state, "timeZone", "timeZoneSource", tags, "updatedAt")
     SELECT gen_random_uuid(), '+1212' || lpad(i::text, 7, '0'), 'Voter' || i, 'Bench', '10001', 'NY', 'America/New_York', 'zip', ARRAY['bench'], now()
     FROM generate_series(1, $1::int) AS i`,
    CONTACTS,
  );
  await launchedCampaign(db, { name: "Bench", tag: "bench", createdBy: "U0ORG" });
  return "Bench";
}
