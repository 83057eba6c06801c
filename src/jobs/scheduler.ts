import cron, { type ScheduledTask } from "node-cron";
import type { Database } from "../db/database";
import type { Logger } from "../logger";
import type { ThreadRenderer } from "../services/conversation-threads";
import { remindDueFollowUps } from "../services/follow-ups";
import { pruneSentSlackPosts } from "../services/slack-outbox";
import type { SmsGateway } from "../services/sms-gateway";
import { reconcileUnconfirmedSends } from "../services/send-results";

export interface JobDeps {
  db: Database;
  logger: Logger;
  sms: SmsGateway;
  clock: () => Date;
  /** How thread posts look (the Slack renderer in the app). */
  render: ThreadRenderer;
}

interface Job {
  name: string;
  /** node-cron expression. */
  schedule: string;
  /** Processes sharing the database take turns on it (a PostgreSQL advisory lock). */
  lockKey: bigint;
  run(deps: JobDeps): Promise<Record<string, unknown>>;
}

/** Every scheduled job: each calls one service. */
export const JOBS: readonly Job[] = [
  {
    name: "reconcile-unconfirmed-sends",
    schedule: "* * * * *",
    lockKey: 0x7032706a6f623031n, // "p2pjob01"
    run: async (deps) => reconcileUnconfirmedSends(deps.db, deps.sms, deps.clock()),
  },
  {
    name: "remind-due-follow-ups",
    schedule: "*/5 * * * *",
    lockKey: 0x7032706a6f623032n, // "p2pjob02"
    run: async (deps) => ({ ...(await remindDueFollowUps(deps)) }),
  },
  {
    name: "prune-sent-slack-posts",
    schedule: "17 4 * * *",
    lockKey: 0x7032706a6f623033n, // "p2pjob03"
    run: async (deps) => pruneSentSlackPosts(deps.db.prisma, deps.clock()),
  },
];

export interface Scheduler {
  /** Runs every job once now (start-up catches up on what a crash left behind). */
  runAll(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the cron schedules. A job never overlaps itself; a failure is logged and the next tick tries again. */
export function startScheduler(deps: JobDeps, jobs: readonly Job[] = JOBS): Scheduler {
  const running = new Set<Promise<void>>();
  const execute = (job: Job): Promise<void> => {
    const run = deps.db
      .withAdvisoryLock(job.lockKey, () => job.run(deps))
      .then((result) => deps.logger.debug({ job: job.name, ...result }, "job finished"))
      .catch((error: unknown) => deps.logger.error({ err: error, job: job.name }, "job failed"))
      .finally(() => running.delete(run));
    running.add(run);
    return run;
  };
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(job.schedule, () => execute(job), { name: job.name, noOverlap: true }),
  );
  return {
    async runAll() {
      await Promise.all(jobs.map(execute));
    },
    async stop() {
      await Promise.all(tasks.map((task) => task.destroy()));
      await Promise.all([...running]);
    },
  };
}
