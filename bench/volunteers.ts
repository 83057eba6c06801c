import http from "node:http";
import type { AddressInfo } from "node:net";
import { blockActionsPayload, interactionBody, postToSlackApp, slashCommandBody } from "../test/fakes/signing";
import { SIGNING_SECRET } from "../test/support/app-harness";
import type { FakeTwilio } from "../test/fakes/twilio-api";
import { BENCH_CLICK_HEADER, percentile, processCpu, round, type AppProcess, type CpuMeter } from "./support";

export const VOLUNTEERS = 20;
const WARMUP_MS = 3_000;
const MEASURE_MS = 20_000;

/**
 * VOLUNTEERS volunteers texting through `app` for a warm-up and then MEASURE_MS: texts accepted by
 * the fake Twilio per second, and each measured click's time in the app and as the client saw it.
 */
export async function measureSending(
  app: AppProcess,
  twilio: FakeTwilio,
  campaignCommand: string,
  database?: CpuMeter,
) {
  let counted = 0;
  const appCpu = processCpu(app.pid);
  let started: Promise<unknown> = Promise.resolve();
  const waits = await volunteersClicking({
    appUrl: app.url,
    campaignCommand,
    volunteers: VOLUNTEERS,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    onMeasureStart: () => {
      counted = twilio.messages.length;
      started = Promise.all([appCpu.start(), database?.start()]);
    },
  });
  const measuredSends = twilio.messages.length - counted;
  await started;
  const [appMs, databaseMs] = await Promise.all([appCpu.stop(), database?.stop()]);
  const server = await app.takeServerTimes("clicks");
  return {
    measuredSeconds: MEASURE_MS / 1000,
    sendsPerSecond: round(measuredSends / (MEASURE_MS / 1000)),
    /** CPU time per text sent: the app process's (every thread), and the database server's backends'. */
    cpuMsPerSend: {
      app: round(appMs / measuredSends, 2),
      ...(databaseMs === undefined ? {} : { database: round(databaseMs / measuredSends, 2) }),
    },
    serverTimePerClickMs: {
      ...spread(server),
      what: "in the app: from the click reaching its HTTP server to Slack's answer to its post of the next card",
    },
    volunteerWaitPerClickMs: {
      ...spread(waits),
      what: "in the benchmark client: from posting the click to receiving the next card (adds the client's own delays)",
    },
  };
}

type Card = { blocks?: Array<{ elements?: Array<{ action_id?: string; value?: string }> }> };

export interface VolunteerRun {
  appUrl: string;
  /** What the volunteers type to get their first card, e.g. "send Bench". */
  campaignCommand: string;
  volunteers: number;
  warmupMs: number;
  measureMs: number;
  /** Called once, when the warm-up ends and measuring starts. */
  onMeasureStart(): void;
}

/**
 * Volunteers texting as fast as cards come back: each types /campaign send, clicks Send on its
 * card, waits for the next card at its response_url, and clicks again. Returns how long each
 * measured click waited (posting the click to receiving the next card), sorted. Clicks sent while
 * measuring carry BENCH_CLICK_HEADER, so the app process can time them too.
 */
export async function volunteersClicking(run: VolunteerRun): Promise<number[]> {
  const responses = await responseServer();
  const post = (body: string, timedId?: string) =>
    postToSlackApp(run.appUrl, {
      secret: SIGNING_SECRET,
      body,
      headers: timedId ? { [BENCH_CLICK_HEADER]: timedId } : {},
    });
  const waits: number[] = [];
  let measuring = false;
  const stopAt = Date.now() + run.warmupMs + run.measureMs;
  const warmup = setTimeout(() => {
    measuring = true;
    run.onMeasureStart();
  }, run.warmupMs);
  try {
    await Promise.all(
      Array.from({ length: run.volunteers }, async (_, v) => {
        const volunteer = `U0VOL${String(v).padStart(3, "0")}`;
        let id = `${volunteer}-start`;
        let card = responses.next(id);
        await post(
          slashCommandBody({
            command: "/campaign",
            text: run.campaignCommand,
            user_id: volunteer,
            response_url: responses.url(id),
          }),
        );
        let current = (await card) as Card;
        for (let n = 0; Date.now() < stopAt; n++) {
          const send = current.blocks?.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send");
          if (!send?.value) break;
          id = `${volunteer}-${n}`;
          card = responses.next(id);
          const timed = measuring;
          const t0 = performance.now();
          await post(
            interactionBody(
              blockActionsPayload({
                actionId: "texting_send",
                value: send.value,
                userId: volunteer,
                responseUrl: responses.url(id),
              }),
            ),
            timed ? id : undefined,
          );
          current = (await card) as Card;
          if (timed) waits.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    clearTimeout(warmup);
    await responses.close();
  }
  return waits.sort((a, b) => a - b);
}

/** p50, p90, p99 and max of sorted times, in ms. */
export const spread = (sorted: number[]) => ({
  p50: round(percentile(sorted, 50)),
  p90: round(percentile(sorted, 90)),
  p99: round(percentile(sorted, 99)),
  max: round(sorted.at(-1) ?? NaN),
  clicks: sorted.length,
});

/** Stands in for Slack's response_url endpoints: each id resolves the promise waiting for it. */
export async function responseServer() {
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

export interface OpenLoopRun {
  appUrl: string;
  campaignCommand: string;
  /** Volunteers, each clicking once every `everyMs`: volunteers / everyMs * 1000 clicks arrive a second. */
  volunteers: number;
  everyMs: number;
  /** Time for every volunteer to type /campaign send and get a first card before clicks are timed. */
  warmupMs: number;
  measureMs: number;
  onMeasureStart(): void;
}

/**
 * Clicks arriving at a fixed rate whatever the app does (an open loop): volunteer v clicks at
 * v * everyMs / volunteers into each period. A volunteer whose next card has not come back by its
 * turn cannot click (as in Slack) and the turn is counted as late; a request that fails is counted,
 * never thrown. Clicks in the measured window carry BENCH_CLICK_HEADER so the app times them.
 */
export async function openLoopClicking(run: OpenLoopRun): Promise<{ clicks: number; late: number; errors: number }> {
  const responses = await responseServer();
  const counts = { clicks: 0, late: 0, errors: 0 };
  const post = async (body: string, timedId?: string) => {
    try {
      const answer = await postToSlackApp(run.appUrl, {
        secret: SIGNING_SECRET,
        body,
        headers: timedId ? { [BENCH_CLICK_HEADER]: timedId } : {},
      });
      if (answer.status !== 200) counts.errors++;
    } catch {
      counts.errors++;
    }
  };
  const begin = Date.now();
  const measureFrom = begin + run.warmupMs;
  const stopAt = measureFrom + run.measureMs;
  const measureStart = setTimeout(run.onMeasureStart, run.warmupMs);
  const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  try {
    await Promise.all(
      Array.from({ length: run.volunteers }, async (_, v) => {
        const volunteer = `U0OPEN${String(v).padStart(4, "0")}`;
        const offset = (v * run.everyMs) / run.volunteers;
        // First cards, spread over the first half of the warm-up.
        await sleepUntil(begin + (offset * run.warmupMs) / 2 / run.everyMs);
        let current: Card | undefined;
        const first = responses.next(`${volunteer}-start`);
        void first.then((card) => (current = card as Card));
        await post(
          slashCommandBody({
            command: "/campaign",
            text: run.campaignCommand,
            user_id: volunteer,
            response_url: responses.url(`${volunteer}-start`),
          }),
        );
        for (let turn = measureFrom - run.everyMs + offset, n = 0; turn < stopAt; turn += run.everyMs, n++) {
          await sleepUntil(turn);
          const timed = Date.now() >= measureFrom;
          const send = current?.blocks?.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send");
          if (!send?.value) {
            if (timed) counts.late++;
            continue;
          }
          const id = `${volunteer}-${n}`;
          current = undefined;
          void responses.next(id).then((card) => (current = card as Card));
          if (timed) counts.clicks++;
          void post(
            interactionBody(
              blockActionsPayload({
                actionId: "texting_send",
                value: send.value,
                userId: volunteer,
                responseUrl: responses.url(id),
              }),
            ),
            timed ? id : undefined,
          );
        }
      }),
    );
    // The last clicks' cards: a moment to come back before the response server closes.
    await new Promise((r) => setTimeout(r, 2_000));
  } finally {
    clearTimeout(measureStart);
    await responses.close();
  }
  return counts;
}
