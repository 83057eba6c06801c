import { writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";

/**
 * Loaded into a benchmark's app process when BENCH_SQL_COUNT=<folder> is set (bench/support.ts):
 * counts the statements the process sends to PostgreSQL, by text, through every pg client (plain
 * SQL and Prisma's adapter alike). Each time the benchmark takes the click times (the end of the
 * closed loop, the start and end of the open loop's measured window), the counts since the last
 * take are written to <folder>/statements-<pid>-<n>.json, so a phase's statements per click are
 * its file's total over the texts sent in it. A measuring aid only: never loaded by the app itself.
 */
const folder = process.env.BENCH_SQL_COUNT;
if (folder) {
  let counts = new Map<string, number>();
  let taken = 0;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === "string" ? first : (first?.text ?? "(stream)");
    const key = text.replace(/\s+/g, " ").trim().slice(0, 160);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return original.apply(this, args);
  } as typeof pg.Client.prototype.query;
  process.on("message", (message) => {
    if ((message as { take?: string }).take !== "clicks") return;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const byText = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
    writeFileSync(
      path.join(folder, `statements-${process.pid}-${taken++}.json`),
      // CLOCK_MONOTONIC in µs, the clock of a --cpu-prof profile's timestamps: the phase's end in it.
      JSON.stringify({ total, atMicros: Number(process.hrtime.bigint() / 1000n), byText }, null, 1),
    );
    counts = new Map();
  });
}
