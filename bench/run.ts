/**
 * Benchmark runner: `npm run bench -- <name> [more names]` runs each and prints one JSON object
 * per benchmark on stdout. `npm run bench` lists them. Figures, never assertions: tests do not time.
 */
import { bootBenchmark } from "./boot";
import { digestBenchmark } from "./digest";
import { faultsBenchmark } from "./faults";
import { exportBenchmark } from "./export";
import { healthzBenchmark } from "./healthz";
import { importBenchmark } from "./import";
import { inboundBenchmark } from "./inbound";
import { mediaBenchmark } from "./media";
import { outboxBenchmark } from "./outbox";
import { reportBenchmark } from "./report";
import { segmentBenchmark } from "./segment";
import { sendBenchmark } from "./send";
import { sendFloorBenchmark } from "./send-floor";

export type Benchmark = () => Promise<Record<string, unknown>>;

const BENCHMARKS: Record<string, { describe: string; run: Benchmark }> = {
  boot: {
    describe: "start the app process until /healthz answers 200 (PGlite new and existing, PostgreSQL)",
    run: bootBenchmark,
  },
  import: {
    describe: "1,000,000 generated CSV rows imported into PostgreSQL: rows/s, peak RSS, raw COPY floor",
    run: importBenchmark,
  },
  segment: {
    describe: "reachable count of a three-condition segment over 1,000,000 PostgreSQL contacts: median, p90, min, plan",
    run: segmentBenchmark,
  },
  send: {
    describe:
      "20 volunteers clicking Send as fast as cards come back, against PostgreSQL and the fake Twilio: sends/s, click to next card p50/p99",
    run: sendBenchmark,
  },
  "send-floor": {
    describe:
      "the send benchmark's load against a Bolt app with our Twilio gateway and card but no database: the machine's floor",
    run: sendFloorBenchmark,
  },
  inbound: {
    describe:
      "signed inbound webhooks against PostgreSQL: most accepted/s, latency at a fixed 1,100/s, and Slack posts per channel while the backlog drains",
    run: inboundBenchmark,
  },
  outbox: {
    describe:
      "Slack outbox: enqueue posts/s, a 500-post backlog drained at a scaled rate, and a short run at Slack's real rate",
    run: outboxBenchmark,
  },
  healthz: {
    describe: "GET /healthz throughput and latency against PostgreSQL, from a separate process",
    run: healthzBenchmark,
  },
  faults: {
    describe:
      "two app processes under SIGKILL, terminated database connections, Slack and Twilio faults: lost, duplicated, textedAfterOptOut, outsideWindow (all must be 0)",
    run: faultsBenchmark,
  },
  digest: {
    describe:
      "post-daily-digests over 100,000 conversations in 50 running PostgreSQL campaigns: seconds (thread links asked, then stored), peak RSS",
    run: digestBenchmark,
  },
  report: {
    describe:
      "/campaign report over one PostgreSQL campaign of about 1,000,000 messages: seconds (median of 5), the chart apart",
    run: reportBenchmark,
  },
  export: {
    describe:
      "/campaign export of a campaign with 1,000,000 messages (250,000 contacts) to CSV on PostgreSQL: seconds, peak RSS and heap",
    run: exportBenchmark,
  },
  media: {
    describe:
      "compressForMms on a generated 12-megapixel photo and a 30-second 1080p video, each in a fresh process: seconds, peak RSS of Node and of ffmpeg",
    run: mediaBenchmark,
  },
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    console.error("Usage: npm run bench -- <name>. Benchmarks:");
    for (const [name, b] of Object.entries(BENCHMARKS)) console.error(`  ${name.padEnd(10)} ${b.describe}`);
    process.exit(2);
  }
  for (const name of names) {
    const benchmark = BENCHMARKS[name];
    if (!benchmark) {
      console.error(`No benchmark named "${name}". Known: ${Object.keys(BENCHMARKS).join(", ")}`);
      process.exit(2);
    }
    const started = new Date();
    const result = await benchmark.run();
    console.log(JSON.stringify({ benchmark: name, startedAt: started.toISOString(), ...result }));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
