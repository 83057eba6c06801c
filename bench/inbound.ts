import pg from "pg";
import { openDatabase } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { SLACK_CHANNEL_RATE } from "../src/domain/slack-rate";
import { Pool } from "undici";
import { FORM_CONTENT_TYPE, inboundSmsParams, signTwilioWebhook } from "../test/fakes/signing";
import { startFakeSlack } from "../test/fakes/slack-api";
import { startFakeTwilio } from "../test/fakes/twilio-api";
import { appEnvironment, BOT_TOKEN, PUBLIC_URL, SENDER } from "../test/support/app-harness";
import { createPostgresDatabase } from "../test/support/databases";
import { maxInWindow } from "../test/support/rate-check";
import { machine, percentile, round, startAppProcess, type AppProcess } from "./support";

const CHANNELS = ["C0REPLIES1", "C0REPLIES2", "C0REPLIES3", "C0REPLIES4", "C0REPLIES5"];
const VOTERS = 2_000;
const CONCURRENCY = 32;
const ACCEPT_MS = 10_000;
/** The second phase offers webhooks at this fixed rate (open loop), as Twilio would, and times each. */
const OFFERED_PER_SECOND = 1_100;
const OFFERED_MS = 10_000;
const DRAIN_MS = 15_000;
/** How long the inbox may take to process what was accepted before the benchmark reports what is left. */
const CATCH_UP_MS = 120_000;
const CLOCK_START = Date.parse("2026-11-30T15:00:00Z");

/**
 * Voters replying faster than Slack can show: signed inbound webhooks from 2,000 voters with open
 * threads in 5 channels, against the app in its own process on PostgreSQL. First as fast as the app
 * answers (32 at a time, 10 s: the most it accepts), then at a fixed 1,100/s (10 s: the latency at
 * that load). Every request ends in a status (200 accepted, 503 refused by the admission gate) or a
 * counted network error. Beside the accept rate it reports the processing rate: texts the inbox has
 * fully handled (the event marked processed), sampled from the database, until it caught up. Then
 * the Slack backlog drains: posts per channel per second at the fake Slack, which answers 429 above
 * Slack's limit (1/s sustained, burst 3). The app process is killed whatever happens to the benchmark.
 */
export async function inboundBenchmark(): Promise<Record<string, unknown>> {
  const made = await createPostgresDatabase();
  if (made.target.kind !== "postgres") throw new Error("the inbound benchmark runs on PostgreSQL");
  const [slack, twilio] = await Promise.all([startFakeSlack({ tokens: [BOT_TOKEN] }), startFakeTwilio()]);
  slack.setRateLimit("chat.postMessage", {
    perChannelPerSecond: SLACK_CHANNEL_RATE.perSecond,
    burst: SLACK_CHANNEL_RATE.burst,
  });
  let app: AppProcess | undefined;
  let watcher: pg.Client | undefined;
  let client: Pool | undefined;
  try {
    const db = await openDatabase(made.target);
    await applyMigrations(db);
    await seed(db);
    await db.close();
    app = await startAppProcess(
      appEnvironment(slack.apiUrl, 0, { LOG_LEVEL: "warn", DATABASE_URL: made.target.url, TWILIO_API_URL: twilio.url }),
      CLOCK_START,
    );
    const appUrl = app.url;
    watcher = new pg.Client({ connectionString: made.target.url });
    watcher.on("error", () => undefined);
    await watcher.connect();
    const inbox = inboxWatch(watcher);
    // undici's own pool, lighter than fetch: on two shared cores the client must not be the bottleneck.
    client = new Pool(appUrl, { connections: 256 });
    const pool = client;
    let n = 0;
    const signed = () => {
      const i = n++;
      const params = inboundSmsParams({ from: voterPhone(i % VOTERS), to: SENDER, body: `reply number ${i}` });
      const signature = signTwilioWebhook(twilio.authToken, `${PUBLIC_URL}/twilio/sms`, params);
      return {
        body: new URLSearchParams(params).toString(),
        headers: { "content-type": FORM_CONTENT_TYPE, "x-twilio-signature": signature },
      };
    };
    const post = async (request: ReturnType<typeof signed>) => {
      const res = await pool.request({ path: "/twilio/sms", method: "POST", ...request });
      await res.body.text();
      return { status: res.statusCode };
    };
    const webhook = () => post(signed());

    // Closed loop: as many as the app answers, 32 at a time.
    const closed = new Tally();
    const acceptStart = performance.now();
    const processedBefore = (await inbox.sample()).processed;
    const stopAt = Date.now() + ACCEPT_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < stopAt) await closed.time(webhook);
      }),
    );
    const acceptSeconds = (performance.now() - acceptStart) / 1000;
    const processedInAccept = (await inbox.sample()).processed - processedBefore;
    const serverAccept = await app.takeServerTimes("webhooks");

    // Open loop: one webhook every ~0.9 ms whatever the answers do, so queueing shows in the latency.
    const open = new Tally();
    const offered: Promise<void>[] = [];
    // Signed beforehand, so the client only sends during the timed phase.
    const requests = Array.from({ length: (OFFERED_PER_SECOND * OFFERED_MS) / 1000 }, signed);
    const offeredStart = performance.now();
    for (let k = 0; k < (OFFERED_PER_SECOND * OFFERED_MS) / 1000; k++) {
      const due = offeredStart + (k * 1000) / OFFERED_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const request = requests[k]!;
      offered.push(open.time(() => post(request)));
    }
    await Promise.all(offered);
    const offeredSeconds = (performance.now() - offeredStart) / 1000;
    const offeredServerAccept = await app.takeServerTimes("webhooks");
    const drainFrom = Date.now();
    // The inbox works off what was accepted; the Slack backlog drains at Slack's rate meanwhile.
    const caughtUp = await inbox.waitProcessed(closed.accepted + open.accepted, CATCH_UP_MS);
    const sinceDrain = Date.now() - drainFrom;
    if (sinceDrain < DRAIN_MS) await new Promise((r) => setTimeout(r, DRAIN_MS - sinceDrain));
    const drainSeconds = (Date.now() - drainFrom) / 1000;
    const posts = slack.callsTo("chat.postMessage").filter((c) => c.status === 200);
    const perChannel = Object.fromEntries(
      CHANNELS.map((channel) => {
        const times = posts.filter((p) => p.args.channel === channel).map((p) => p.at.getTime());
        const during = times.filter((t) => t >= drainFrom);
        return [
          channel,
          {
            posted: times.length,
            maxIn1s: maxInWindow(times, 1000),
            perSecondWhileDraining: round(during.length / drainSeconds, 2),
          },
        ];
      }),
    );
    const closedRate = closed.accepted / acceptSeconds;
    const openRate = open.accepted / offeredSeconds;
    const highestAccept = Math.max(closedRate, openRate);
    const processing = inbox.rates();
    const openP99 = percentile(open.sorted(), 99);
    return {
      what: `signed inbound webhooks, ${CONCURRENCY} concurrent for ${ACCEPT_MS / 1000} s, then ${OFFERED_PER_SECOND}/s offered for ${OFFERED_MS / 1000} s, app in its own process on PostgreSQL; then the inbox catching up and the Slack backlog draining`,
      ...closed.report(acceptSeconds),
      serverAcceptMs: spread(serverAccept),
      atOfferedRate: {
        what: `${OFFERED_PER_SECOND} webhooks/s offered for ${OFFERED_MS / 1000} s regardless of answers (open loop), while the backlog from the first phase is processed`,
        ...open.report(offeredSeconds),
        serverAcceptMs: spread(offeredServerAccept),
        verdict:
          openRate >= OFFERED_PER_SECOND * 0.98
            ? `accepted the offered ${OFFERED_PER_SECOND}/s; accepted p99 ${round(openP99)} ms`
            : `could accept ${round(openRate)}/s of the ${OFFERED_PER_SECOND}/s offered (the rest answered 503 with Retry-After, or failed as counted); accepted p99 ${round(openP99)} ms`,
      },
      processing: {
        what: "texts fully handled by the inbox (classified, stored, thread post queued: the event marked processed), from the database",
        duringClosedLoopPerSecond: round(processedInAccept / acceptSeconds),
        sustainedPerSecond: round(processing.sustained),
        whileBackloggedPerSecond: processing.whileBacklogged === null ? null : round(processing.whileBacklogged),
        bestSecond: processing.bestSecond,
        highestAcceptPerSecond: round(highestAccept),
        ratioToHighestAccept: round((processing.whileBacklogged ?? processing.sustained) / highestAccept, 2),
        caughtUp,
        secondsToCatchUpAfterLoad: caughtUp ? round(processing.lastAt - offeredSeconds - acceptSeconds, 1) : null,
        left: processing.stored - processing.processed,
      },
      slack: {
        limit: SLACK_CHANNEL_RATE,
        perChannel,
        answered429: slack.callsTo("chat.postMessage").filter((c) => c.status === 429).length,
        backlogLeft: closed.accepted + open.accepted - posts.length,
      },
      caveat: "the benchmark client, fake Slack and fake Twilio share the 2-core machine with the app and PostgreSQL",
      machine: machine(),
    };
  } finally {
    await watcher?.end().catch(() => undefined);
    await client?.close().catch(() => undefined);
    await app?.stop();
    await Promise.all([slack.close(), twilio.close()]);
    await made.dispose();
  }
}

/** Every request ends in a status or a counted network error; latencies of the accepted (200) ones. */
class Tally {
  accepted = 0;
  readonly statuses: Record<string, number> = {};
  readonly networkErrors: Record<string, number> = {};
  private readonly latencies: number[] = [];
  private readonly refusedLatencies: number[] = [];

  async time(request: () => Promise<{ status: number }>): Promise<void> {
    const t0 = performance.now();
    try {
      const { status } = await request();
      const ms = performance.now() - t0;
      this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      if (status === 200) {
        this.accepted++;
        this.latencies.push(ms);
      } else if (status === 503) this.refusedLatencies.push(ms);
    } catch (error) {
      const { code: own, cause } = error as { code?: string; cause?: { code?: string; message?: string } };
      const code = own ?? cause?.code ?? cause?.message ?? (error as Error).message ?? "unknown";
      this.networkErrors[code] = (this.networkErrors[code] ?? 0) + 1;
    }
  }

  sorted(): number[] {
    return this.latencies.sort((a, b) => a - b);
  }

  report(seconds: number) {
    const total = Object.values(this.statuses).reduce((a, b) => a + b, 0);
    return {
      offered: total + Object.values(this.networkErrors).reduce((a, b) => a + b, 0),
      accepted: this.accepted,
      acceptedPerSecond: round(this.accepted / seconds),
      refused503: this.statuses[503] ?? 0,
      otherStatuses: Object.fromEntries(Object.entries(this.statuses).filter(([s]) => s !== "200" && s !== "503")),
      networkErrors: this.networkErrors,
      acceptLatencyMs: spread(this.sorted()),
      refusedLatencyMs: spread(this.refusedLatencies.sort((a, b) => a - b)),
    };
  }
}

/** Samples the inbox's progress from the database every 250 ms (its own connection, outside the app). */
function inboxWatch(client: pg.Client) {
  const started = performance.now();
  const samples: { at: number; processed: number; stored: number }[] = [];
  let stopped = false;
  const sample = async () => {
    const { rows } = await client.query<{ processed: string; stored: string }>(
      `SELECT count(*) FILTER (WHERE "processedAt" IS NOT NULL) AS processed, count(*) AS stored
       FROM "InboundEvent" WHERE source = 'twilio.sms'`,
    );
    const s = {
      at: (performance.now() - started) / 1000,
      processed: Number(rows[0]!.processed),
      stored: Number(rows[0]!.stored),
    };
    samples.push(s);
    return s;
  };
  const loop = (async () => {
    while (!stopped) {
      await sample().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    sample,
    async waitProcessed(count: number, timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      try {
        while (Date.now() < deadline) {
          const last = samples.at(-1);
          if (last && last.processed >= count) return true;
          await new Promise((r) => setTimeout(r, 250));
        }
        return false;
      } finally {
        stopped = true;
        await loop;
      }
    },
    /** Processed per second from the first sample to the last one that still made progress, and the best single second. */
    rates() {
      const last = samples.at(-1)!;
      const done = samples.find((s) => s.processed === last.processed)!;
      const first = samples[0]!;
      let bestSecond = 0;
      for (const s of samples) {
        const later = samples.find((t) => t.at >= s.at + 1);
        if (later) bestSecond = Math.max(bestSecond, (later.processed - s.processed) / (later.at - s.at));
      }
      // While texts waited (more than 50 stored, unprocessed): how fast the inbox went when it had work.
      let busySeconds = 0;
      let busyProcessed = 0;
      for (let k = 1; k < samples.length; k++) {
        const before = samples[k - 1]!;
        if (before.stored - before.processed <= 50) continue;
        busySeconds += samples[k]!.at - before.at;
        busyProcessed += samples[k]!.processed - before.processed;
      }
      return {
        whileBacklogged: busySeconds > 0 ? busyProcessed / busySeconds : null,
        sustained: (done.processed - first.processed) / Math.max(0.001, done.at - first.at),
        bestSecond: round(bestSecond),
        lastAt: done.at,
        processed: last.processed,
        stored: last.stored,
      };
    },
  };
}

const spread = (sorted: number[]) => ({
  p50: round(percentile(sorted, 50)),
  p90: round(percentile(sorted, 90)),
  p99: round(percentile(sorted, 99)),
  max: round(sorted.at(-1) ?? NaN),
});

const voterPhone = (i: number) => `+1212${String(2_000_000 + i).padStart(7, "0")}`;

/** 2,000 voters, each in a conversation whose thread already exists in one of the channels. */
async function seed(db: Awaited<ReturnType<typeof openDatabase>>): Promise<void> {
  const campaigns = await Promise.all(
    CHANNELS.map((channel, i) =>
      db.prisma.campaign.create({
        data: { name: `Inbound ${i}`, status: "running", createdBy: "U0ORG", conversationChannelId: channel },
      }),
    ),
  );
  await db.prisma.contact.createMany({
    data: Array.from({ length: VOTERS }, (_, i) => ({
      phone: voterPhone(i),
      firstName: `Voter${i}`,
      zip: "10001",
      state: "NY",
      timeZone: "America/New_York",
    })),
  });
  const contacts = await db.prisma.contact.findMany({ select: { id: true, phone: true }, orderBy: { phone: "asc" } });
  await db.prisma.conversation.createMany({
    data: contacts.map((c, i) => ({
      campaignId: campaigns[i % CHANNELS.length]!.id,
      contactId: c.id,
      slackChannelId: CHANNELS[i % CHANNELS.length],
      slackThreadTs: `1795000000.${String(i).padStart(6, "0")}`,
    })),
  });
}
