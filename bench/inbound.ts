import { openDatabase } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { SLACK_CHANNEL_RATE } from "../src/domain/slack-rate";
import { inboundSmsParams, postTwilioWebhook } from "../test/fakes/signing";
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
const CLOCK_START = Date.parse("2026-11-30T15:00:00Z");

/**
 * Voters replying faster than Slack can show: signed inbound webhooks from 2,000 voters with open
 * threads in 5 channels, against the app in its own process on PostgreSQL. First as fast as the app
 * answers (32 at a time, 10 s: the most it accepts), then at a fixed 1,100/s (10 s: the latency at
 * that load). Accept latency is Twilio's request until our 200, as the client saw it
 * (acceptLatencyMs) and inside the app (serverAcceptMs). Then it watches the backlog drain
 * for 15 s: posts per channel per second at the fake Slack, which answers 429 above Slack's limit
 * (1/s sustained, burst 3), and how many 429s there were.
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

    const latencies: number[] = [];
    let failures = 0;
    let n = 0;
    const acceptStart = performance.now();
    const stopAt = Date.now() + ACCEPT_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < stopAt) {
          const i = n++;
          const params = inboundSmsParams({ from: voterPhone(i % VOTERS), to: SENDER, body: `reply number ${i}` });
          const t0 = performance.now();
          const res = await postTwilioWebhook(appUrl, PUBLIC_URL, "/twilio/sms", twilio.authToken, params);
          latencies.push(performance.now() - t0);
          if (res.status !== 200) failures++;
        }
      }),
    );
    const acceptSeconds = (performance.now() - acceptStart) / 1000;
    const serverAccept = await app.takeServerTimes("webhooks");

    // Open loop: one webhook every 1 ms whatever the answers do, so queueing shows in the latency.
    const offered: Promise<void>[] = [];
    const offeredLatencies: number[] = [];
    let offeredFailures = 0;
    const offeredStart = performance.now();
    for (let k = 0; k < (OFFERED_PER_SECOND * OFFERED_MS) / 1000; k++) {
      const due = offeredStart + (k * 1000) / OFFERED_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const i = n++;
      const params = inboundSmsParams({ from: voterPhone(i % VOTERS), to: SENDER, body: `reply number ${i}` });
      const t0 = performance.now();
      offered.push(
        postTwilioWebhook(appUrl, PUBLIC_URL, "/twilio/sms", twilio.authToken, params).then((res) => {
          offeredLatencies.push(performance.now() - t0);
          if (res.status !== 200) offeredFailures++;
        }),
      );
    }
    await Promise.all(offered);
    const offeredSeconds = (performance.now() - offeredStart) / 1000;
    const offeredServerAccept = await app.takeServerTimes("webhooks");
    const offeredSorted = offeredLatencies.sort((a, b) => a - b);
    const drainFrom = Date.now();
    await new Promise((r) => setTimeout(r, DRAIN_MS));
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
            perSecondWhileDraining: round(during.length / (DRAIN_MS / 1000), 2),
          },
        ];
      }),
    );
    const sorted = latencies.sort((a, b) => a - b);
    return {
      what: `signed inbound webhooks, ${CONCURRENCY} concurrent for ${ACCEPT_MS / 1000} s, app in its own process on PostgreSQL; then ${DRAIN_MS / 1000} s of the Slack backlog draining`,
      accepted: latencies.length - failures,
      failures,
      acceptedPerSecond: round((latencies.length - failures) / acceptSeconds),
      acceptLatencyMs: spread(sorted),
      serverAcceptMs: spread(serverAccept),
      atOfferedRate: {
        what: `${OFFERED_PER_SECOND} webhooks/s offered for ${OFFERED_MS / 1000} s regardless of answers (open loop), while the backlog from the first phase is processed`,
        acceptedPerSecond: round((offeredLatencies.length - offeredFailures) / offeredSeconds),
        failures: offeredFailures,
        acceptLatencyMs: spread(offeredSorted),
        serverAcceptMs: spread(offeredServerAccept),
      },
      slack: {
        limit: SLACK_CHANNEL_RATE,
        perChannel,
        answered429: slack.callsTo("chat.postMessage").filter((c) => c.status === 429).length,
        backlogLeft: latencies.length - failures + offeredLatencies.length - offeredFailures - posts.length,
      },
      caveat: "the benchmark client, fake Slack and fake Twilio share the 2-core machine with the app and PostgreSQL",
      machine: machine(),
    };
  } finally {
    await app?.stop();
    await Promise.all([slack.close(), twilio.close()]);
    await made.dispose();
  }
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
