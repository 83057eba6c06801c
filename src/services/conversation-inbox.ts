import { maskPhone } from "../domain/phone";
import type { ConversationDeps } from "./conversation-threads";
import type { InboundSms } from "./inbound-sms";
import { processPlainTexts } from "./inbound-text-batch";
import { processInboundText, secureSetAsideOptOut } from "./inbound-texts";
import { enqueueSlackPost } from "./slack-outbox";
import { processThreadReply, type ThreadReplyEvent } from "./thread-replies";
import { prepareWaitingReplyMedia } from "./reply-media";
import type { Role } from "../domain/roles";

/*
 * The conversation inbox: inbound texts and volunteers' thread replies, stored durably when they
 * arrived (the webhook and the Events API answered at once), processed here exactly once, in order.
 * An event that keeps failing is set aside and reported, never dropped in silence.
 */

/** Failed attempts, counted in the database, after which an event is set aside for a person to look at. */
export const MAX_INBOX_ATTEMPTS = 5;

/**
 * Works through the inbox: inbound texts and volunteer replies not processed yet, including
 * those a crashed process left behind. `wake()` after storing one makes it prompt.
 */
export class ConversationInbox {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** Not started yet, or stopped: nothing is scheduled. */
  private stopped = true;
  /** Stopping: a drain in progress finishes its current event and returns. */
  private stopping = false;
  /** Replies' files being fetched and compressed, beside the loop (never inside it: a video takes minutes). */
  private mediaLane: Promise<void> | null = null;

  constructor(
    private readonly deps: ConversationDeps,
    private readonly options: {
      pollMs?: number;
      names?: (userIds: string[]) => Promise<Record<string, string>>;
      /** The role of a reply's author (Slack looks it up): only members' replies are texted. */
      roleOf: (userId: string) => Promise<Role>;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.stopping = false;
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "conversation inbox failed"))
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.wake(), this.options.pollMs ?? 1_000);
          this.timer.unref();
        }
      });
  }

  /** Processes everything due, oldest first, until nothing is left. */
  async drain(): Promise<number> {
    let processed = 0;
    this.startMediaLane();
    for (;;) {
      if (this.stopping) return processed;
      // Plain texts to open threads, many in one transaction. The texts it leaves (each voter's
      // oldest that is not plain) go one by one, then volunteers' replies; if it fails, everything does.
      const batch = await processPlainTexts(this.deps).catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, "inbox: batch of plain texts failed; processing them one by one");
        return null;
      });
      let progressed = (batch?.processed ?? 0) > 0;
      processed += batch?.processed ?? 0;
      for (const event of batch?.others ?? []) {
        if (this.stopping) return processed;
        if (await this.processOne(event)) progressed = true;
        processed++;
      }
      // Events that kept failing are set aside, so a few poison events never starve the rest.
      const due = await this.deps.db.prisma.inboundEvent.findMany({
        where: {
          processedAt: null,
          failedAt: null,
          source: { in: batch ? ["slack.reply"] : ["twilio.sms", "slack.reply"] },
          OR: [{ mediaState: null }, { mediaState: { not: "waiting" } }],
        },
        orderBy: { receivedAt: "asc" },
        take: 50,
        select: { id: true, source: true, payload: true, receivedAt: true },
      });
      const held = await this.threadsWaitingForMedia();
      for (const event of due) {
        // A volunteer's later replies in a thread wait for the earlier one's files: the voter gets them in order.
        if (event.source === "slack.reply" && heldBehindMedia(held, event)) continue;
        if (this.stopping) return processed;
        if (await this.processOne(event)) progressed = true;
        processed++;
      }
      // Everything left is locked by another process or failing: let the next tick retry.
      if (!progressed) return processed;
    }
  }

  /** Starts fetching and compressing waiting replies' files, unless that is running already. */
  private startMediaLane(): void {
    if (this.mediaLane || this.stopping) return;
    this.mediaLane = prepareWaitingReplyMedia(this.deps, {
      stopping: () => this.stopping,
      onReady: () => this.wake(),
      onFailure: (event, error) => recordInboxFailure(this.deps, event, error),
    })
      .then(() => undefined)
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "preparing replies' media failed"))
      .finally(() => {
        this.mediaLane = null;
      });
  }

  /** The oldest reply still waiting for its files, per thread ("channel:threadTs"). */
  private async threadsWaitingForMedia(): Promise<Map<string, Date>> {
    const waiting = await this.deps.db.prisma.inboundEvent.findMany({
      where: { source: "slack.reply", mediaState: "waiting", processedAt: null, failedAt: null },
      orderBy: { receivedAt: "asc" },
      select: { payload: true, receivedAt: true },
    });
    const held = new Map<string, Date>();
    for (const { payload, receivedAt } of waiting) {
      const key = threadKey(payload as unknown as ThreadReplyEvent);
      if (!held.has(key)) held.set(key, receivedAt);
    }
    return held;
  }

  /** Processes one event; false when there was nothing to do (done already, or locked elsewhere) or it failed. */
  private async processOne(event: { id: string; source: string; payload: unknown }): Promise<boolean> {
    try {
      if (event.source === "twilio.sms")
        return (await processInboundText(this.deps, event.id)).kind !== "already-processed";
      const reply = event.payload as unknown as ThreadReplyEvent;
      const mentioned = [...(reply.text ?? "").matchAll(/<@([A-Z0-9]+)>/g)].map((m) => m[1]!);
      const names = mentioned.length && this.options.names ? await this.options.names(mentioned).catch(() => ({})) : {};
      const role = await this.options.roleOf(reply.user);
      return (await processThreadReply(this.deps, event.id, { names, role })) !== "already-processed";
    } catch (error) {
      await recordInboxFailure(this.deps, event, error).catch((failure: unknown) =>
        this.deps.logger.error(
          { err: failure, event: event.id },
          "could not record an inbox event's failure; it will be tried again",
        ),
      );
      return false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    // A file being compressed finishes (its reply is then sent by the next process to run the inbox).
    await this.mediaLane;
  }
}

const threadKey = (reply: Pick<ThreadReplyEvent, "channel" | "threadTs">) => `${reply.channel}:${reply.threadTs}`;

function heldBehindMedia(held: Map<string, Date>, event: { payload: unknown; receivedAt: Date }): boolean {
  const since = held.get(threadKey(event.payload as ThreadReplyEvent));
  return since !== undefined && since <= event.receivedAt;
}

/**
 * Counts a failed attempt at an inbox event. The MAX_INBOX_ATTEMPTS-th sets it aside: it stays
 * stored as it came, is no longer retried, and someone is told in Slack, so nothing a voter or a
 * volunteer sent is dropped in silence.
 */
async function recordInboxFailure(
  deps: ConversationDeps,
  event: { id: string; source: string; payload: unknown },
  error: unknown,
): Promise<void> {
  const why = (error instanceof Error ? error.message : String(error)).slice(0, 1_000);
  const { attempts } = await deps.db.prisma.inboundEvent.update({
    where: { id: event.id },
    data: { attempts: { increment: 1 }, lastError: why },
    select: { attempts: true },
  });
  if (attempts < MAX_INBOX_ATTEMPTS) {
    deps.logger.error(
      { err: error, event: event.id, source: event.source, attempts },
      "inbox event failed; will retry",
    );
    return;
  }
  // Only the process that sets it aside reports it.
  const { count } = await deps.db.prisma.inboundEvent.updateMany({
    where: { id: event.id, failedAt: null },
    data: { failedAt: deps.clock() },
  });
  deps.logger.error(
    { err: error, event: event.id, source: event.source, attempts },
    "inbox event set aside after repeated failures: kept unprocessed, reported in Slack",
  );
  if (count === 1) {
    await reportSetAside(deps, event, why).catch((failure: unknown) =>
      deps.logger.error(
        { err: failure, event: event.id },
        "an inbox event was set aside but the Slack report could not be queued: it is kept in the database only",
      ),
    );
  }
}

/** Tells the right people about an inbox event set aside: the voter's text in the unmatched channel, a volunteer's reply in its thread. */
async function reportSetAside(
  deps: ConversationDeps,
  event: { id: string; source: string; payload: unknown },
  why: string,
): Promise<void> {
  const failure = { attempts: MAX_INBOX_ATTEMPTS, error: why.slice(0, 200), eventId: event.id };
  if (event.source === "twilio.sms") {
    const sms = (event.payload ?? {}) as Partial<InboundSms>;
    // An opt-out the processing never got to is recorded now, and either way it is said loudly.
    const optOut = await secureSetAsideOptOut(deps, event.id).catch(() => "not-recorded" as const);
    if (optOut === "not-recorded")
      deps.logger.error(
        { event: event.id },
        "a voter's text that asks to opt out was set aside and the opt-out could not be recorded: suppress the number by hand",
      );
    if (!deps.unmatchedChannel) {
      deps.logger.error(
        { event: event.id, optOut },
        "a voter's text was set aside and SLACK_UNMATCHED_CHANNEL is not set: it is kept in the database only",
      );
      return;
    }
    await enqueueSlackPost(deps.db.prisma, {
      channel: deps.unmatchedChannel,
      method: "chat.postMessage",
      args: deps.render.setAside({
        maskedPhone: maskPhone(sms.from ?? ""),
        body: sms.body ?? "",
        ...failure,
        optOut,
      }),
      dedupeKey: `inbox-set-aside:${event.id}`,
    });
    return;
  }
  const reply = (event.payload ?? {}) as Partial<ThreadReplyEvent>;
  if (event.source !== "slack.reply" || !reply.channel || !reply.threadTs) {
    deps.logger.error(
      { event: event.id, source: event.source },
      "an inbox event was set aside and has no Slack thread to report it in",
    );
    return;
  }
  await enqueueSlackPost(deps.db.prisma, {
    channel: reply.channel,
    method: "chat.postMessage",
    args: { ...deps.render.note({ kind: "reply-set-aside", ...failure }), thread_ts: reply.threadTs },
    dedupeKey: `inbox-set-aside:${event.id}`,
  });
}
