import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPostgresDatabase } from "../test/support/databases";
import { appEnv, machine, percentile, ROOT, round, spawnBuiltApp, stop, waitHealthy, withFakeSlack } from "./support";

const RUNS = 5;

/** Time from spawning the built app to its first 200 on /healthz, on each database. */
export async function bootBenchmark(): Promise<Record<string, unknown>> {
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  return withFakeSlack(async (slack) => {
    const timeBoot = async (extra: NodeJS.ProcessEnv): Promise<number> => {
      const port = 40_000 + Math.floor(Math.random() * 10_000);
      const started = performance.now();
      const app = spawnBuiltApp(appEnv(slack, port, extra));
      await waitHealthy(port);
      const ms = performance.now() - started;
      await stop(app);
      return ms;
    };
    const summarize = (ms: number[]) => {
      const sorted = [...ms].sort((a, b) => a - b);
      return {
        runs: ms.length,
        medianMs: round(percentile(sorted, 50)),
        minMs: round(sorted[0]!),
        maxMs: round(sorted.at(-1)!),
      };
    };

    const dataDir = await mkdtemp(path.join(tmpdir(), "bench-boot-"));
    const pglite = { fresh: [] as number[], existing: [] as number[] };
    const postgres = { fresh: [] as number[], existing: [] as number[] };
    try {
      for (let i = 0; i < RUNS; i++) {
        const dir = path.join(dataDir, `run${i}`);
        pglite.fresh.push(await timeBoot({ DATA_DIR: dir }));
        pglite.existing.push(await timeBoot({ DATA_DIR: dir }));
        const pg = await createPostgresDatabase();
        try {
          const url = pg.target.kind === "postgres" ? pg.target.url : "";
          postgres.fresh.push(await timeBoot({ DATABASE_URL: url }));
          postgres.existing.push(await timeBoot({ DATABASE_URL: url }));
        } finally {
          await pg.dispose();
        }
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    return {
      what: "ms from spawning `node dist/src/main.js` to the first 200 from /healthz (fresh = empty database, migrations applied)",
      pgliteFresh: summarize(pglite.fresh),
      pgliteExisting: summarize(pglite.existing),
      postgresFresh: summarize(postgres.fresh),
      postgresExisting: summarize(postgres.existing),
      machine: machine(),
    };
  });
}
