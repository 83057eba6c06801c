import pino from "pino";
import { openDatabase, type Database } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { SLACK_CHANNEL_RATE, type ChannelRate } from "../src/domain/slack-rate";
import { SlackOutboxDrainer } from "../src/services/slack-outbox-drainer";
import { enqueueSlackPost, slackOutboxSummary } from "../src/services/slack-outbox";
import { outboxWebClient, WebClientSlackPoster } from "../src/slack/outbox-poster";
import { startFakeSlack, type FakeSlack } from "../test/fakes/slack-api";
import { createPgliteDatabase, createPostgresDatabase, type TestDatabaseTarget } from "../test/support/databases";
import { maxInWindow, rateViolations } from "../test/support/rate-check";
import { machine, percentile, round } from "./support";

const HOT = "C0HOTCHANNEL";
const QUIET = ["C0QUIET1", "C0QUIET2", "C0QUIET3", "C0QUIET4", "C0QUIET5"];
const HOT_POSTS = 500;
const QUIET_POSTS = 100;
const ENQUEUERS = 16;
/** Drain at 50× Slack's rate, so 500 posts take ~10 s instead of ~500 s. */
const SCALE = 50;
const REAL_RATE_POSTS = 12;
const silent = pino({ level: "silent" });

/**
 * The Slack outbox on PostgreSQL: enqueue throughput (16 concurrent callers, one transaction per
 * post, as webhooks would), a drain of 500 posts into one channel and 100 into each of 5 others
 * at a scaled rate by two drainers (two connection pools, as two processes), and a short run at
 * Slack's real rate. The fake Slack enforces the same rate as a token bucket and answers 429 over it.
 */
export async function outboxBenchmark(): Promise<Record<string, unknown>> {
  const pgliteEnqueue = await withDatabase(createPgliteDatabase, (db) => enqueueAll(db));
  const postgres = await withDatabase(createPostgresDatabase, async (db) => {
    const enqueue = await enqueueAll(db);
    const scaled = await drain(db, {
      perSecond: SLACK_CHANNEL_RATE.perSecond * SCALE,
      burst: SLACK_CHANNEL_RATE.burst,
    });
    await db.prisma.$executeRawUnsafe(`TRUNCATE "SlackOutbox", "SlackOutboxChannel"`);
    const realRate = await realRateRun(db);
    return { enqueue, scaled, realRate };
  });
  return {
    what: "Slack outbox: enqueue into the database, drain against the fake Slack (its own token-bucket limit at the same rate)",
    posts: { [HOT]: HOT_POSTS, ...Object.fromEntries(QUIET.map((c) => [c, QUIET_POSTS])) },
    enqueue: { postgres: postgres.enqueue, pgliteInMemory: pgliteEnqueue },
    drainScaled: postgres.scaled,
    realRate: postgres.realRate,
    caveat: "shared 2-core machine, other work running: figures are indicative",
    machine: machine(),
  };
}

async function withDatabase<T>(
  create: () => Promise<TestDatabaseTarget>,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  const made = await create();
  const db = await openDatabase(made.target);
  try {
    await applyMigrations(db);
    return await fn(db);
  } finally {
    await db.close();
    await made.dispose();
  }
}

/** Every post in its own transaction, from 16 concurrent callers; quiet channels interleaved with the hot one. */
async function enqueueAll(db: Database): Promise<Record<string, unknown>> {
  const posts: string[] = [];
  for (let i = 0; i < HOT_POSTS; i++) {
    posts.push(HOT);
    if (i % (HOT_POSTS / QUIET_POSTS) === 0) posts.push(...QUIET);
  }
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ENQUEUERS }, async () => {
      while (next < posts.length) {
        const index = next++;
        const channel = posts[index]!;
        const t0 = performance.now();
        await db.prisma.$transaction((tx) =>
          enqueueSlackPost(tx, {
            channel,
            method: "chat.postMessage",
            args: { text: `post ${index}` },
            dedupeKey: `bench:${index}`,
          }),
        );
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    posts: posts.length,
    concurrentCallers: ENQUEUERS,
    postsPerSecond: round(posts.length / seconds, 0),
    latencyMs: { p50: round(percentile(latencies, 50), 2), p99: round(percentile(latencies, 99), 2) },
  };
}

function drainers(dbs: Database[], slack: FakeSlack, rate: ChannelRate): SlackOutboxDrainer[] {
  return dbs.map(
    (db) =>
      new SlackOutboxDrainer({
        prisma: db.prisma,
        poster: new WebClientSlackPoster(outboxWebClient("xoxb-bench", { apiUrl: slack.apiUrl, logger: silent })),
        logger: silent,
        rate,
      }),
  );
}

async function drainUntilEmpty(db: Database, running: SlackOutboxDrainer[]): Promise<void> {
  running.forEach((d) => d.start());
  while ((await slackOutboxSummary(db.prisma)).queued > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  await Promise.all(running.map((d) => d.stop()));
}

/** Drains the enqueued posts with two drainers at the scaled rate. */
async function drain(db: Database, rate: ChannelRate): Promise<Record<string, unknown>> {
  const slack = await startFakeSlack();
  const other = await openDatabase(db.target);
  try {
    slack.setRateLimit("chat.postMessage", { perChannelPerSecond: rate.perSecond, burst: rate.burst });
    const started = Date.now();
    await drainUntilEmpty(db, drainers([db, other], slack, rate));
    const seconds = (Date.now() - started) / 1000;
    const calls = slack.callsTo("chat.postMessage");
    const intervalMs = 1000 / rate.perSecond;
    const perChannel = (channel: string) => {
      const mine = calls.filter((c) => c.args.channel === channel);
      const times = mine.filter((c) => c.status === 200).map((c) => c.at.getTime());
      return {
        posted: times.length,
        finishedAfterS: round((Math.max(...times) - started) / 1000, 2),
        idealS: round(((mine.length - rate.burst) * intervalMs) / 1000, 2),
        maxInOneScaledSecond: maxInWindow(times, intervalMs),
        rateViolations: rateViolations(
          mine.map((c) => c.at.getTime()),
          rate,
        ).length,
        answered429: mine.filter((c) => c.status === 429).length,
      };
    };
    return {
      rate: `${rate.perSecond}/s per channel, burst ${rate.burst} (Slack's rate × ${SCALE}); "scaled second" = ${intervalMs} ms`,
      drainers: 2,
      seconds: round(seconds, 2),
      postsPerSecond: round(calls.length / seconds, 0),
      hot: perChannel(HOT),
      quiet: QUIET.map(perChannel),
      summary: await slackOutboxSummary(db.prisma),
    };
  } finally {
    await other.close();
    await slack.close();
  }
}

/** A short run at Slack's real rate: two channels, two drainers, about 10 s. */
async function realRateRun(db: Database): Promise<Record<string, unknown>> {
  const slack = await startFakeSlack();
  const other = await openDatabase(db.target);
  try {
    slack.setRateLimit("chat.postMessage", {
      perChannelPerSecond: SLACK_CHANNEL_RATE.perSecond,
      burst: SLACK_CHANNEL_RATE.burst,
    });
    for (let i = 0; i < REAL_RATE_POSTS; i++) {
      for (const channel of [HOT, QUIET[0]!])
        await enqueueSlackPost(db.prisma, { channel, method: "chat.postMessage", args: { text: `real ${i}` } });
    }
    const started = Date.now();
    await drainUntilEmpty(db, drainers([db, other], slack, SLACK_CHANNEL_RATE));
    const calls = slack.callsTo("chat.postMessage");
    const perChannel = (channel: string) => {
      const times = calls.filter((c) => c.args.channel === channel).map((c) => c.at.getTime());
      // After the burst: from the first post that had to wait for a token to the last.
      const sustained = times.slice(SLACK_CHANNEL_RATE.burst);
      return {
        posted: times.length,
        maxInAny1sWindow: maxInWindow(times, 1000),
        sustainedPerSecond: round((sustained.length - 1) / ((sustained.at(-1)! - sustained[0]!) / 1000), 2),
        rateViolations: rateViolations(times, SLACK_CHANNEL_RATE).length,
        answered429: calls.filter((c) => c.args.channel === channel && c.status === 429).length,
      };
    };
    return {
      rate: `${SLACK_CHANNEL_RATE.perSecond}/s per channel, burst ${SLACK_CHANNEL_RATE.burst} (Slack's)`,
      drainers: 2,
      seconds: round((Date.now() - started) / 1000, 2),
      channels: { [HOT]: perChannel(HOT), [QUIET[0]!]: perChannel(QUIET[0]!) },
    };
  } finally {
    await other.close();
    await slack.close();
  }
}
