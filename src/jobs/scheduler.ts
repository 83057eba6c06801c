import cron, { type ScheduledTask } from "node-cron";
import type { Database } from "../db/database";
import type { Logger } from "../logger";
import type { ThreadRenderer } from "../services/conversation-threads";
import { copyInboundMedia, type ThreadFiles } from "../services/inbound-media";
import { postDailyDigests, type DigestRenderer } from "../services/daily-digest";
import type { PermalinkSource } from "../services/digest-links";
import { remindDueFollowUps } from "../services/follow-ups";
import { reconcileInboundTexts } from "../services/inbound-reconciliation";
import { reconcileUnconfirmedSends } from "../services/send-results";
import { pruneProcessedInboundEvents } from "../services/inbound-events";
import { pruneUnusedMedia } from "../services/media";
import { pruneSentSlackPosts } from "../services/slack-outbox";
import { nudgeWaitingReplies } from "../services/waiting-replies";
import { announceOpenedWindows, type WindowNoteRenderer } from "../services/window-notes";
import type { SmsGateway } from "../services/sms-gateway";
import { deliverWebhooks, type WebhookTarget } from "../services/webhooks";

export interface JobDeps {
  db: Database;
  logger: Logger;
  sms: SmsGateway;
  clock: () => Date;
  /** How thread posts look (the Slack renderer in the app). */
  render: ThreadRenderer;
  /** How notes to a campaign's channel look (the Slack renderer in the app). */
  campaignPosts: WindowNoteRenderer;
  /** The organization's time zone (digests, working hours) and how long replies may wait. */
  settings: { orgTimeZone: string; nudgeAfterMinutes: number; releaseAfterMinutes: number };
  /** How daily digests look (the Slack renderer in the app). */
  renderDigest: DigestRenderer;
  /** Thread links for the digests (chat.getPermalink on a client of its own in the app). */
  permalinks: PermalinkSource;
  /** Where webhook events go (WEBHOOK_URL, WEBHOOK_SECRET); unset: they are closed unsent. */
  webhooks?: WebhookTarget | null;
  /** Where voters' MMS media go (Slack's files v2 upload in the app) and how they are fetched from Twilio; without them media stay queued. */
  threadFiles?: ThreadFiles;
  fetchTwilioMedia?: (url: string) => Promise<{ body: Buffer; contentType: string }>;
  /** Where texts with no conversation go (notes about media follow the same thread rules). */
  unmatchedChannel?: string | null;
}

export interface Job {
  name: string;
  /** node-cron expression, in the server's time zone. */
  schedule: string;
  /** What it does, for `npm run job -- list`. */
  description: string;
  /** With several processes on one database, one runs the job and the others skip it (pg_try_advisory_lock). */
  lockKey: bigint;
  /** Each run's effect is idempotent for its period, so a missed run is simply made up by the next (or at boot). */
  run(deps: JobDeps): Promise<Record<string, unknown>>;
}

/** Every scheduled job: each calls one service. */
export const JOBS: readonly Job[] = [
  {
    name: "reconcile-unconfirmed-sends",
    schedule: "* * * * *",
    description: "Looks up at Twilio the texts whose answer was lost; never resends.",
    lockKey: 0x7032706a6f623031n, // "p2pjob01"
    run: async (deps) => ({ ...(await reconcileUnconfirmedSends(deps, deps.clock())) }),
  },
  {
    name: "remind-due-follow-ups",
    schedule: "*/5 * * * *",
    description: "Reminds each thread whose follow-up date came, once the voter's sending hours are open.",
    lockKey: 0x7032706a6f623032n, // "p2pjob02"
    run: async (deps) => ({ ...(await remindDueFollowUps(deps)) }),
  },
  {
    name: "prune-sent-slack-posts",
    schedule: "17 4 * * *",
    description: "Deletes Slack posts accepted more than 30 days ago that nothing refers to.",
    lockKey: 0x7032706a6f623033n, // "p2pjob03"
    run: async (deps) => pruneSentSlackPosts(deps.db.prisma, deps.clock()),
  },
  {
    name: "prune-processed-inbound-events",
    schedule: "37 4 * * *",
    description:
      "Deletes inbound texts' and Slack events' inbox records processed more than 30 days ago; never unprocessed or set-aside ones.",
    lockKey: 0x7032706a6f623132n, // "p2pjob12"
    run: async (deps) => pruneProcessedInboundEvents(deps.db.prisma, deps.clock()),
  },
  {
    name: "prune-unused-media",
    schedule: "57 4 * * *",
    description:
      "Deletes stored pictures and videos over a day old that no campaign, canned reply, text or waiting reply uses.",
    lockKey: 0x7032706a6f623136n, // "p2pjob16"
    run: async (deps) => pruneUnusedMedia(deps.db, deps.clock()),
  },
  {
    name: "nudge-waiting-replies",
    schedule: "*/2 * * * *",
    description:
      "Nudges threads whose voter waits for an answer, and releases them to the pool after longer (working hours only).",
    lockKey: 0x7032706a6f623130n, // "p2pjob10"
    run: async (deps) => ({ ...(await nudgeWaitingReplies(deps)) }),
  },
  {
    name: "announce-opened-windows",
    schedule: "*/5 * * * *",
    description: "Tells a campaign's channel when deferred contacts can be texted again, at most once an hour.",
    lockKey: 0x7032706a6f623131n, // "p2pjob11"
    run: async (deps) => announceOpenedWindows(deps),
  },
  {
    name: "post-daily-digests",
    schedule: "*/5 * * * *",
    description:
      "Posts each running campaign's daily digest once its time (ORG_TIME_ZONE) has come, once a day, and DMs volunteers their waiting voters.",
    lockKey: 0x7032706a6f623034n, // "p2pjob04"
    run: async (deps) => ({ ...(await postDailyDigests(deps)) }),
  },
  {
    name: "reconcile-inbound-texts",
    schedule: "*/5 * * * *",
    description:
      "Reads the last 6 hours of voters' texts in Twilio's message log and processes, once, any whose webhook never arrived.",
    lockKey: 0x7032706a6f623133n, // "p2pjob13"
    run: async (deps) => ({ ...(await reconcileInboundTexts(deps, deps.clock())) }),
  },
  {
    name: "deliver-webhooks",
    schedule: "*/15 * * * * *",
    description:
      "Posts queued webhook events (WEBHOOK_URL) in order per voter, retrying with backoff for a day; gives up in the audit trail.",
    lockKey: 0x7032706a6f623134n, // "p2pjob14"
    run: async (deps) => ({ ...(await deliverWebhooks({ ...deps, target: deps.webhooks ?? null })) }),
  },
  {
    name: "copy-inbound-media",
    schedule: "* * * * *",
    description:
      "Copies the pictures voters send from Twilio into their thread (retried with waits that double; the thread is told after the last try).",
    lockKey: 0x7032706a6f623135n, // "p2pjob15"
    run: async ({ threadFiles, fetchTwilioMedia, unmatchedChannel, ...deps }) =>
      threadFiles && fetchTwilioMedia
        ? {
            ...(await copyInboundMedia({
              ...deps,
              threadFiles,
              fetchTwilioMedia,
              unmatchedChannel: unmatchedChannel ?? null,
            })),
          }
        : { skipped: "no Slack file uploader or Twilio media fetcher configured" },
  },
];

export type JobOutcome = { job: string; ran: true; result: Record<string, unknown> } | { job: string; ran: false };

/** Runs one job now, unless another process is running it (then it is skipped, not waited for). */
export async function runJob(deps: JobDeps, job: Job): Promise<JobOutcome> {
  const outcome = await deps.db.withTryAdvisoryLock(job.lockKey, () => job.run(deps));
  return outcome.ran ? { job: job.name, ran: true, result: outcome.result } : { job: job.name, ran: false };
}

export interface Scheduler {
  /** Runs every job once now: at boot this makes up for runs missed while no process was up. */
  runAll(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the cron schedules. A job never overlaps itself; a failure is logged and the next tick tries again. */
export function startScheduler(deps: JobDeps, jobs: readonly Job[] = JOBS): Scheduler {
  const running = new Set<Promise<void>>();
  const execute = (job: Job): Promise<void> => {
    const run = runJob(deps, job)
      .then((outcome) =>
        outcome.ran
          ? deps.logger.debug({ job: job.name, ...outcome.result }, "job finished")
          : deps.logger.debug({ job: job.name }, "job skipped: another process is running it"),
      )
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
