import pino from "pino";
import { openDatabase } from "../../../src/db/database";
import { runJob, type Job, type JobDeps } from "../../../src/jobs/scheduler";
import type { SmsGateway } from "../../../src/services/sms-gateway";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { slackDigestRenderer } from "../../../src/slack/blocks/digest";
import { slackWindowNotes } from "../../../src/slack/blocks/window-notes";
import { createPostgresDatabase, openMigratedDatabase } from "../../support/databases";

/*
 * Jobs with several processes on one database: one runs a job, the others skip it at once instead
 * of waiting their turn (and holding a connection while they wait).
 */
describe("scheduled jobs across processes", () => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let other: Awaited<ReturnType<typeof openDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(createPostgresDatabase);
    if (db.target.kind !== "postgres") throw new Error("expected PostgreSQL");
    other = await openDatabase(db.target);
  });
  afterAll(async () => {
    await other?.close();
    await db?.dispose();
  });

  const deps = (database: JobDeps["db"]): JobDeps => ({
    db: database,
    logger: pino({ level: "silent" }),
    sms: {} as SmsGateway,
    clock: () => new Date(),
    render: slackThreadRenderer,
    campaignPosts: slackWindowNotes,
    settings: { orgTimeZone: "America/New_York", nudgeAfterMinutes: 20, releaseAfterMinutes: 90 },
    renderDigest: slackDigestRenderer,
    permalinks: { permalink: async () => null },
  });

  it("runs a job in one process; a second process skips it while it runs, and runs it after", async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let runs = 0;
    const job: Job = {
      name: "test-job",
      schedule: "* * * * *",
      description: "test",
      lockKey: 0x7465737400000001n,
      run: async () => {
        runs++;
        started();
        await new Promise<void>((resolve) => (release = resolve));
        return { done: true };
      },
    };
    const first = runJob(deps(db), job);
    await running;
    const began = Date.now();
    expect(await runJob(deps(other), { ...job, run: async () => ({ unexpected: true }) })).toEqual({
      job: "test-job",
      ran: false,
    });
    expect(Date.now() - began).toBeLessThan(5_000); // it did not wait for the first to finish
    release();
    expect(await first).toEqual({ job: "test-job", ran: true, result: { done: true } });
    expect(runs).toBe(1);
    expect(await runJob(deps(other), { ...job, run: async () => ({ second: true }) })).toEqual({
      job: "test-job",
      ran: true,
      result: { second: true },
    });
  });
});
