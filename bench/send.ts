import http from "node:http";
import type { AddressInfo } from "node:net";
import { openDatabase } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { blockActionsPayload, interactionBody, postToSlackApp, slashCommandBody } from "../test/fakes/signing";
import { startFakeSlack } from "../test/fakes/slack-api";
import { startFakeTwilio } from "../test/fakes/twilio-api";
import { appEnvironment, BOT_TOKEN, SIGNING_SECRET } from "../test/support/app-harness";
import { launchedCampaign } from "../test/support/campaigns";
import { createPostgresDatabase } from "../test/support/databases";
import { BENCH_CLICK_HEADER, machine, percentile, round, startAppProcess, type AppProcess } from "./support";

const VOLUNTEERS = 20;
const CONTACTS = 20_000;
const WARMUP_MS = 3_000;
const MEASURE_MS = 20_000;
// Monday 10:00 in New York: every contact's sending hours are open for the whole run.
const CLOCK_START = Date.parse("2026-11-30T15:00:00Z");

type Card = { blocks?: Array<{ elements?: Array<{ action_id?: string; value?: string }> }> };

/**
 * 20 volunteers texting one running campaign as fast as cards come back: each clicks Send on its
 * card, waits for the next card at its response_url, and clicks again. The app runs in its own
 * process against PostgreSQL and the fake Twilio; the time per click is from posting the signed
 * click to receiving the next card, i.e. what a volunteer waits.
 */
export async function sendBenchmark(): Promise<Record<string, unknown>> {
  const made = await createPostgresDatabase();
  const [slack, twilio] = await Promise.all([startFakeSlack({ tokens: [BOT_TOKEN] }), startFakeTwilio()]);
  const responses = await responseServer();
  const db = await openDatabase(made.target);
  let app: AppProcess | undefined;
  try {
    await applyMigrations(db);
    const campaignName = await seed(db);
    await db.close();

    if (made.target.kind !== "postgres") throw new Error("the send benchmark runs on PostgreSQL");
    app = await startAppProcess(appEnvironment(slack.apiUrl, 0, { LOG_LEVEL: "warn", DATABASE_URL: made.target.url, TWILIO_API_URL: twilio.url }), CLOCK_START);
    const appUrl = app.url;

    // A click sent while measuring carries its id, so the app process times it too.
    const slackPost = (body: string, timedId?: string) => postToSlackApp(appUrl, { secret: SIGNING_SECRET, body, headers: timedId ? { [BENCH_CLICK_HEADER]: timedId } : {} });
    const clicks: number[] = [];
    let measuring = false;
    let counted = 0;
    const started = Date.now();
    const stopAt = started + WARMUP_MS + MEASURE_MS;
    setTimeout(() => {
      measuring = true;
      counted = twilio.messages.length;
    }, WARMUP_MS);

    await Promise.all(
      Array.from({ length: VOLUNTEERS }, async (_, v) => {
        const volunteer = `U0VOL${String(v).padStart(3, "0")}`;
        let id = `${volunteer}-start`;
        let card = responses.next(id);
        await slackPost(slashCommandBody({ command: "/campaign", text: `send ${campaignName}`, user_id: volunteer, response_url: responses.url(id) }));
        let current = (await card) as Card;
        for (let n = 0; Date.now() < stopAt; n++) {
          const send = current.blocks?.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send");
          if (!send?.value) break;
          id = `${volunteer}-${n}`;
          card = responses.next(id);
          const t0 = performance.now();
          const timed = measuring;
          await slackPost(interactionBody(blockActionsPayload({ actionId: "texting_send", value: send.value, userId: volunteer, responseUrl: responses.url(id) })), timed ? id : undefined);
          current = (await card) as Card;
          if (timed) clicks.push(performance.now() - t0);
        }
      }),
    );
    const measuredSends = twilio.messages.length - counted;
    const sorted = [...clicks].sort((a, b) => a - b);
    const server = (await app.takeServerClickTimes()).sort((a, b) => a - b);
    return {
      what: `${VOLUNTEERS} volunteers clicking Send as fast as their next card arrives; app in its own process on PostgreSQL, fake Twilio`,
      contacts: CONTACTS,
      measuredSeconds: MEASURE_MS / 1000,
      sendsPerSecond: round(measuredSends / (MEASURE_MS / 1000)),
      serverTimePerClickMs: { ...spread(server), what: "in the app: from the click reaching its HTTP server to Slack's answer to its post of the next card" },
      volunteerWaitPerClickMs: { ...spread(sorted), what: "in the benchmark client: from posting the click to receiving the next card (adds the client's own delays)" },
      totalTexts: twilio.messages.length,
      duplicateRecipients: twilio.messages.length - new Set(twilio.messages.map((m) => m.to)).size,
      caveat: "the benchmark client, fake Slack and fake Twilio share the 2-core machine with the app and PostgreSQL",
      machine: machine(),
    };
  } finally {
    await app?.stop();
    await db.close().catch(() => undefined);
    await Promise.all([slack.close(), twilio.close(), responses.close()]);
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

const spread = (sorted: number[]) => ({
  p50: round(percentile(sorted, 50)),
  p90: round(percentile(sorted, 90)),
  p99: round(percentile(sorted, 99)),
  max: round(sorted.at(-1) ?? NaN),
  clicks: sorted.length,
});

/** Stands in for Slack's response_url endpoints: each id resolves the promise waiting for it. */
async function responseServer() {
  const waiting = new Map<string, (body: unknown) => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = decodeURIComponent((req.url ?? "").split("/").pop() ?? "");
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      waiting.get(id)?.(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
      waiting.delete(id);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
  return {
    url: (id: string) => `${base}/${encodeURIComponent(id)}`,
    next: (id: string) => new Promise<unknown>((resolve) => waiting.set(id, resolve)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
