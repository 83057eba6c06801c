import { spawn } from "node:child_process";
import path from "node:path";
import { JOBS } from "../../src/jobs/scheduler";
import { startFakeSlack, type FakeSlack } from "../fakes/slack-api";
import { appEnvironment, BOT_TOKEN } from "../support/app-harness";
import { createPostgresDatabase, type TestDatabaseTarget } from "../support/databases";

const ROOT = path.resolve(__dirname, "../..");

/** `npm run job -- …` without the build step: the CLI as its own process. */
function jobCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/jobs/cli.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out, err })));
}

describe("npm run job", () => {
  let slack: FakeSlack;
  let pg: TestDatabaseTarget;
  beforeAll(async () => {
    slack = await startFakeSlack({ tokens: [BOT_TOKEN] });
    pg = await createPostgresDatabase();
  });
  afterAll(async () => {
    await slack?.close();
    await pg?.dispose();
  });

  it("lists every job with its schedule", async () => {
    const { code, out } = await jobCli(["list"]);
    expect(code).toBe(0);
    for (const job of JOBS)
      expect(out).toMatch(new RegExp(`^${job.name} +${job.schedule.replace(/\*/g, "\\*")} +\\S`, "m"));
  });

  it("runs one job now against the configured database and prints what it did", async () => {
    if (pg.target.kind !== "postgres") throw new Error("expected PostgreSQL");
    const env = { ...appEnvironment(slack.apiUrl, 0), DATABASE_URL: pg.target.url, LOG_LEVEL: "error" };
    const { code, out } = await jobCli(["prune-sent-slack-posts"], env);
    expect(code).toBe(0);
    expect(JSON.parse(out.trim())).toMatchObject({ job: "prune-sent-slack-posts", ran: true, result: { pruned: 0 } });
  });

  it("names an unknown job and where to find the list, with exit code 2", async () => {
    const { code, err } = await jobCli(["digets"]);
    expect(code).toBe(2);
    expect(err).toContain("There is no job named “digets”. npm run job -- list shows them all.");
  });
});
