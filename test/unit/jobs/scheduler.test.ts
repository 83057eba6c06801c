import cron from "node-cron";
import { JOBS } from "../../../src/jobs/scheduler";

describe("the job list", () => {
  it("gives every job its own name and its own lock, and a schedule cron accepts", () => {
    expect(new Set(JOBS.map((j) => j.name)).size).toBe(JOBS.length);
    // Two jobs on one lock key would skip each other whenever they overlap.
    expect(new Set(JOBS.map((j) => j.lockKey)).size).toBe(JOBS.length);
    for (const job of JOBS) {
      expect(cron.validate(job.schedule)).toBe(true);
      expect(job.description).toMatch(/^[A-Z].*\.$/);
    }
  });
});
