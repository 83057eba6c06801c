import { randomUUID } from "node:crypto";
import type { Tx } from "../db/database";
import type { PrismaClient } from "../db/generated/client";
import { HookFailure, recordChannelRefusal, type BlockedChannel } from "./slack-outbox-blocked";
import { CLAIM_SQL, NEXT_DUE_SQL, SETTLE_SQL, type Claim } from "./slack-outbox-sql";
import {
  canBeBlocked,
  gcra,
  retryDelayMs,
  SLACK_CHANNEL_RATE,
  SLACK_RETRY_POLICY,
  type ChannelRate,
  type RetryPolicy,
} from "../domain/slack-rate";
import type { Logger } from "../logger";
import {
  PARENT_TS_ARGUMENT,
  type SlackPostOutcome,
  type SlackPoster,
  type SlackPostSettleHook,
  type SlackPostSettlement,
} from "./slack-outbox";

/*
 * Drains the Slack outbox. Any number of drainers (processes) share one database:
 *
 * - A drainer claims a channel, not a row: one statement locks a due channel row with
 *   FOR UPDATE SKIP LOCKED, takes a rate token there (GCRA on `bucketFullAt`), leases the channel
 *   and picks its oldest queued post. One post per channel is in flight at a time, so posts leave
 *   in order, and a channel that is rate-limited, paused or busy is skipped: it never holds up another.
 * - Times come from the database clock (or the test's virtual clock), so processes agree.
 * - After Slack answers, the settle moves the channel's bucket to at least "answered + interval":
 *   Slack saw the call at some time before its answer, so the rate holds for Slack's arrival times
 *   however long the call took, not only for our claim times.
 * - Delivery to Slack is at least once: a process that dies after Slack accepted a post but before
 *   its settle commits leaves the channel leased; when the lease expires another drainer posts it
 *   again (Slack has no idempotency key for chat.postMessage). The window is one commit long: the
 *   settle runs right after the answer and is retried in-process before the lease is given up.
 * - A channel Slack refuses as a whole (not_in_channel: the bot was never invited) keeps its posts
 *   queued, in order, and is tried again with backoff or when the bot joins (`reopenSlackChannel`);
 *   the first refusal calls `onChannelBlocked`, once per episode, so organizers hear which channel.
 */

export interface SlackOutboxDrainerOptions {
  prisma: PrismaClient;
  poster: SlackPoster;
  logger: Logger;
  /** Hooks named by `SlackPost.onSettled.hook`, run in the transaction that settles the post. */
  settleHooks?: Record<string, SlackPostSettleHook>;
  /** Runs once per episode, in the transaction that records a channel's first refusal (e.g. to tell organizers). */
  onChannelBlocked?: (tx: Tx, blocked: BlockedChannel) => Promise<void>;
  /** Per-channel rate; every process sharing the queue must use the same. Default: Slack's 1/s, burst 3. */
  rate?: ChannelRate;
  retry?: RetryPolicy;
  /** Channels this process posts to at once (default 4). */
  lanes?: number;
  /** How long a claim holds its channel before another drainer may repost (default 30 s); keep it well above the poster's timeout. */
  leaseMs?: number;
  /** Longest idle wait before looking for due work again (default 250 ms); `wake()` cuts it short. */
  pollMs?: number;
  /** Virtual time, for tests. Default: the database's clock, shared by every process. */
  clock?: () => Date;
}

/** What one `drainDue()` did. */
export interface DrainReport {
  posted: number;
  rateLimited: number;
  retried: number;
  failed: number;
  /** Posts a channel refused as a whole: still queued, the channel waiting for the bot. */
  blocked: number;
  /** When the next queued post becomes due, in ms from now (≤ 0: due already); null when nothing is queued. */
  nextDueInMs: number | null;
}

type Outcome = "posted" | "rateLimited" | "retried" | "failed" | "blocked";

const SETTLE_RETRIES_MS = [100, 500, 2000];

export type { BlockedChannel } from "./slack-outbox-blocked";

type Settle =
  | { kind: "sent"; ts: string | null }
  | { kind: "failed"; error: string; reachedSlack: boolean }
  | { kind: "retry"; error: string; delayMs: number }
  | { kind: "rateLimited"; retryAfterMs: number }
  | { kind: "blocked"; error: string };

export class SlackOutboxDrainer {
  private readonly prisma: PrismaClient;
  private readonly poster: SlackPoster;
  private readonly logger: Logger;
  private readonly hooks: Record<string, SlackPostSettleHook>;
  private readonly onChannelBlocked: SlackOutboxDrainerOptions["onChannelBlocked"];
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly retry: RetryPolicy;
  private readonly lanes: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly clock: (() => Date) | undefined;

  private running: Promise<void> | undefined;
  private stopping = false;
  private wakeSignal = false;
  private wakeIdle: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<Outcome>>();

  constructor(options: SlackOutboxDrainerOptions) {
    this.prisma = options.prisma;
    this.poster = options.poster;
    this.logger = options.logger.child({ component: "slack-outbox" });
    this.hooks = options.settleHooks ?? {};
    this.onChannelBlocked = options.onChannelBlocked;
    ({ intervalMs: this.intervalMs, toleranceMs: this.toleranceMs } = gcra(options.rate ?? SLACK_CHANNEL_RATE));
    this.retry = options.retry ?? SLACK_RETRY_POLICY;
    this.lanes = options.lanes ?? 4;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 250;
    this.clock = options.clock;
    if (!Number.isInteger(this.lanes) || this.lanes < 1)
      throw new RangeError(`lanes must be a whole number ≥ 1 (got ${this.lanes}).`);
  }

  /** Starts draining in the background until `stop()`. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Stops claiming, lets posts in flight finish and settle, then resolves. The queue stays for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = undefined;
  }

  /** Looks for due work now instead of at the next poll (call after committing an enqueue). */
  wake(): void {
    this.wakeSignal = true;
    this.wakeIdle?.();
  }

  /** Posts everything due now (what became due while posting too) and reports; for tests and one-shot use. */
  async drainDue(): Promise<DrainReport> {
    const report: DrainReport = { posted: 0, rateLimited: 0, retried: 0, failed: 0, blocked: 0, nextDueInMs: null };
    const tasks = new Set<Promise<void>>();
    for (;;) {
      while (tasks.size < this.lanes) {
        const claim = await this.claim();
        if (!claim) break;
        const task: Promise<void> = this.process(claim).then((outcome) => {
          report[outcome]++;
          tasks.delete(task);
        });
        tasks.add(task);
      }
      if (tasks.size === 0) break;
      await Promise.race(tasks);
    }
    report.nextDueInMs = await this.nextDueInMs();
    return report;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        while (this.inFlight.size < this.lanes && !this.stopping) {
          const claim = await this.claim();
          if (!claim) break;
          const task = this.process(claim).finally(() => {
            this.inFlight.delete(task);
            this.wake();
          });
          this.inFlight.add(task);
        }
        if (this.stopping) break;
        // All lanes busy: a finishing post wakes us. Otherwise sleep until the next post is due.
        const dueIn = this.inFlight.size >= this.lanes ? null : await this.nextDueInMs();
        await this.idle(dueIn === null ? this.pollMs : Math.min(this.pollMs, Math.max(5, dueIn)));
      } catch (error) {
        this.logger.error({ err: error }, "Slack outbox: could not claim work; trying again");
        await this.idle(this.pollMs);
      }
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private idle(ms: number): Promise<void> {
    if (this.wakeSignal || this.stopping) {
      this.wakeSignal = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeIdle = undefined;
        this.wakeSignal = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeIdle = done;
    });
  }

  private now(): Date | null {
    return this.clock ? this.clock() : null;
  }

  private async claim(): Promise<Claim | undefined> {
    const leaseToken = randomUUID();
    const rows = await this.prisma.$queryRawUnsafe<Omit<Claim, "leaseToken">[]>(
      CLAIM_SQL,
      this.now(),
      this.intervalMs,
      this.toleranceMs,
      this.leaseMs,
      leaseToken,
    );
    const row = rows[0];
    return row && { ...row, leaseToken };
  }

  private async nextDueInMs(): Promise<number | null> {
    const [row] = await this.prisma.$queryRawUnsafe<{ waitMs: number | null }[]>(
      NEXT_DUE_SQL,
      this.now(),
      this.toleranceMs,
    );
    return row?.waitMs ?? null;
  }

  /** Posts one claimed post and settles it; never throws (a settle that cannot be written leaves the lease to expire). */
  private async process(claim: Claim): Promise<Outcome> {
    const settle = await this.attempt(claim);
    try {
      await this.settle(claim, settle);
    } catch (error) {
      this.logger.error(
        { err: error, outboxId: claim.id, channel: claim.channel },
        "Slack outbox: could not record Slack's answer; the post will be tried again when its lease expires",
      );
    }
    return settle.kind === "sent" ? "posted" : settle.kind === "retry" ? "retried" : settle.kind;
  }

  private async attempt(claim: Claim): Promise<Settle> {
    if (claim.attempts > this.retry.maxAttempts) {
      const error = `gave up after ${claim.attempts - 1} attempts; the last one never finished (its process stopped)${claim.lastError ? `; before that: ${claim.lastError}` : ""}`;
      return { kind: "failed", error, reachedSlack: false };
    }
    const args: Record<string, unknown> = { ...claim.payload, channel: claim.channel };
    if (claim.parentId) {
      if (claim.parentStatus === "failed") {
        return {
          kind: "failed",
          error: `its parent post ${claim.parentId} failed: ${claim.parentError ?? "unknown error"}`,
          reachedSlack: false,
        };
      }
      if (claim.parentStatus !== "sent" || !claim.parentTs) {
        // FIFO makes this unreachable (the parent is earlier in the same channel); wait rather than post out of thread.
        return {
          kind: "retry",
          error: `its parent post ${claim.parentId} has no ts yet`,
          delayMs: this.retryDelay(claim),
        };
      }
      args[PARENT_TS_ARGUMENT[claim.method]] = claim.parentTs;
    }
    let outcome: SlackPostOutcome;
    try {
      outcome = await this.poster.call(claim.method, args);
    } catch (error) {
      outcome = { kind: "retry", error: error instanceof Error ? error.message : String(error) };
    }
    switch (outcome.kind) {
      case "posted":
        return { kind: "sent", ts: outcome.ts };
      case "rate_limited":
        return { kind: "rateLimited", retryAfterMs: outcome.retryAfterMs };
      case "rejected":
        return { kind: "failed", error: outcome.error, reachedSlack: true };
      case "channel_unavailable":
        return canBeBlocked(claim.channel)
          ? { kind: "blocked", error: outcome.error }
          : { kind: "failed", error: outcome.error, reachedSlack: true };
      case "retry":
        if (claim.attempts >= this.retry.maxAttempts) {
          return {
            kind: "failed",
            error: `gave up after ${claim.attempts} attempts: ${outcome.error}`,
            reachedSlack: true,
          };
        }
        return { kind: "retry", error: outcome.error, delayMs: this.retryDelay(claim) };
    }
  }

  private retryDelay(claim: Claim): number {
    return retryDelayMs(claim.attempts, this.retry);
  }

  /** Writes the outcome, retrying briefly so a database blip does not turn into a repost. */
  private async settle(claim: Claim, settle: Settle): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await this.writeSettle(claim, settle);
        break;
      } catch (error) {
        const delay = SETTLE_RETRIES_MS[i];
        if (delay === undefined) throw error;
        this.logger.warn({ err: error, outboxId: claim.id }, "Slack outbox: settle failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    this.log(claim, settle);
  }

  private async writeSettle(claim: Claim, settle: Settle): Promise<void> {
    if (settle.kind === "blocked") {
      const { prisma, logger, onChannelBlocked, intervalMs } = this;
      return recordChannelRefusal(
        { prisma, logger, onChannelBlocked, intervalMs, now: this.now() },
        claim,
        settle.error,
      );
    }
    const hook = claim.settleHook === null ? undefined : this.hooks[claim.settleHook];
    const final = settle.kind === "sent" || settle.kind === "failed";
    if (!final || claim.settleHook === null) {
      await this.writeOutcome(this.prisma, claim, settle);
      return;
    }
    if (!hook) {
      this.logger.error(
        { outboxId: claim.id, hook: claim.settleHook },
        "Slack outbox: no settle hook of this name is registered",
      );
      await this.writeOutcome(this.prisma, claim, settle, `no settle hook named ${claim.settleHook}`);
      return;
    }
    try {
      await this.prisma.$transaction(async (tx) => {
        if (await this.writeOutcome(tx, claim, settle)) {
          await hook(tx, this.settlement(claim, settle)).catch((error: unknown) => {
            throw new HookFailure(error);
          });
        }
      });
    } catch (thrown) {
      if (!(thrown instanceof HookFailure)) throw thrown;
      const error = thrown.cause;
      this.logger.error(
        { err: error, outboxId: claim.id, channel: claim.channel, hook: claim.settleHook, ref: claim.settleRef },
        "Slack outbox: settle hook failed; the post is recorded without it",
      );
      await this.writeOutcome(
        this.prisma,
        claim,
        settle,
        `settle hook ${claim.settleHook} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Writes the outcome and releases the channel; false when another drainer had settled the post already. */
  private async writeOutcome(db: Tx, claim: Claim, settle: Settle, note?: string): Promise<boolean> {
    const error =
      settle.kind === "failed"
        ? note
          ? `${settle.error} (${note})`
          : settle.error
        : settle.kind === "retry"
          ? settle.error
          : settle.kind === "rateLimited"
            ? `ratelimited (Retry-After ${settle.retryAfterMs} ms)`
            : (note ?? null);
    const [row] = await db.$queryRawUnsafe<{ changed: number }[]>(
      SETTLE_SQL,
      this.now(),
      claim.id,
      claim.leaseToken,
      settle.kind,
      settle.kind === "sent" ? settle.ts : null,
      error,
      settle.kind === "retry" ? settle.delayMs : null,
      this.intervalMs,
      settle.kind === "failed" && !settle.reachedSlack,
      claim.previousFullAt,
      settle.kind === "rateLimited" ? settle.retryAfterMs : null,
      claim.channel,
    );
    if (row?.changed !== 1) {
      // Our lease expired mid-call and another drainer settled the post: Slack may show it twice.
      this.logger.warn(
        { outboxId: claim.id, channel: claim.channel },
        "Slack outbox: post was settled by another drainer after this one's lease expired",
      );
      return false;
    }
    return true;
  }

  private settlement(claim: Claim, settle: Settle): SlackPostSettlement {
    return {
      outboxId: claim.id,
      channel: claim.channel,
      ref: claim.settleRef,
      outcome: settle.kind === "sent" ? "sent" : "failed",
      ts: settle.kind === "sent" ? settle.ts : null,
      error: settle.kind === "failed" ? settle.error : null,
    };
  }

  private log(claim: Claim, settle: Settle): void {
    const context = { outboxId: claim.id, channel: claim.channel, method: claim.method, attempts: claim.attempts };
    switch (settle.kind) {
      case "sent":
        this.logger.debug({ ...context, ts: settle.ts }, "Slack outbox: posted");
        break;
      case "rateLimited":
        this.logger.warn(
          { ...context, retryAfterMs: settle.retryAfterMs },
          "Slack outbox: channel rate-limited by Slack; paused",
        );
        break;
      case "retry":
        this.logger.warn(
          { ...context, error: settle.error, retryInMs: settle.delayMs },
          "Slack outbox: post failed for now; will retry",
        );
        break;
      case "failed":
        this.logger.error({ ...context, error: settle.error }, "Slack outbox: post failed for good; marked failed");
        break;
      case "blocked":
        this.logger.error(
          { ...context, error: settle.error, refusals: claim.blockedRetries + 1 },
          "Slack outbox: Slack refuses this channel (invite the bot); its posts wait and it is tried again later",
        );
        break;
    }
  }
}
