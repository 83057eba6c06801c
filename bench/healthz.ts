import { execFileSync } from "node:child_process";
import { Pool } from "undici";
import { createPostgresDatabase } from "../test/support/databases";
import { appEnv, machine, percentile, ROOT, round, spawnBuiltApp, stop, waitHealthy, withFakeSlack } from "./support";

const CONNECTIONS = 16;
const DURATION_MS = 10_000;
const WARMUP_MS = 1_000;

/** GET /healthz (one database round trip each) from 16 keep-alive connections for 10 s. */
export async function healthzBenchmark(): Promise<Record<string, unknown>> {
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  const pg = await createPostgresDatabase();
  try {
    return await withFakeSlack(async (slack) => {
      const port = 40_000 + Math.floor(Math.random() * 10_000);
      const url = pg.target.kind === "postgres" ? pg.target.url : "";
      const app = spawnBuiltApp(appEnv(slack, port, { DATABASE_URL: url }));
      try {
        await waitHealthy(port);
        const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
        const latencies: number[] = [];
        let errors = 0;
        const worker = async (until: number, record: boolean) => {
          while (performance.now() < until) {
            const started = performance.now();
            const res = await pool.request({ path: "/healthz", method: "GET" });
            await res.body.text();
            if (res.statusCode !== 200) errors++;
            if (record) latencies.push(performance.now() - started);
          }
        };
        const warmupEnd = performance.now() + WARMUP_MS;
        await Promise.all(Array.from({ length: CONNECTIONS }, () => worker(warmupEnd, false)));
        const started = performance.now();
        await Promise.all(Array.from({ length: CONNECTIONS }, () => worker(started + DURATION_MS, true)));
        const elapsedS = (performance.now() - started) / 1000;
        await pool.close();
        latencies.sort((a, b) => a - b);
        return {
          what: "GET /healthz against PostgreSQL; server is the built app in its own process, load from the bench process",
          connections: CONNECTIONS,
          seconds: round(elapsedS),
          requests: latencies.length,
          errors,
          requestsPerSecond: round(latencies.length / elapsedS, 0),
          latencyMs: {
            p50: round(percentile(latencies, 50), 2),
            p99: round(percentile(latencies, 99), 2),
            max: round(latencies.at(-1)!, 2),
          },
          machine: machine(),
        };
      } finally {
        await stop(app);
      }
    });
  } finally {
    await pg.dispose();
  }
}
