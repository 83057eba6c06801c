import type { Prisma, PrismaClient } from "../db/generated/client";
import type { SqlRunner, Tx } from "../db/database";
import { newId } from "../db/ids";
import { prepared } from "../db/prepared";
import { REOPEN_SQL } from "./slack-outbox-sql";

/*
 * The Slack outbox: every bot post, edit and reaction is a row, written in the transaction of its
 * cause, and posted later by the drainer (./slack-outbox-drainer.ts) in order per channel at
 * Slack's per-channel rate. Services never call Slack for these: they enqueue here.
 */

export const SLACK_OUTBOX_METHODS = ["chat.postMessage", "chat.update", "reactions.add"] as const;
export type SlackOutboxMethod = (typeof SLACK_OUTBOX_METHODS)[number];

/** The argument of each method that names the message a post refers to; `parentId` fills it in. */
export const PARENT_TS_ARGUMENT: Record<SlackOutboxMethod, string> = {
  "chat.postMessage": "thread_ts",
  "chat.update": "ts",
  "reactions.add": "timestamp",
};

/** One post to queue. */
export interface SlackPost {
  /** Channel id (C…, G… or D…), not a name; a user id (U…) for a direct message from the app. */
  channel: string;
  method: SlackOutboxMethod;
  /** Web API arguments except `channel`: text (always, as the fallback), blocks, username, name, … */
  args: Prisma.InputJsonObject;
  /** Enqueueing the same key again adds nothing and answers the first post's id (retried webhooks, double clicks). */
  dedupeKey?: string;
  /**
   * Outbox id of an earlier chat.postMessage in the same channel. The drainer posts this one after
   * it and fills in its ts: as `thread_ts` (a thread reply), `ts` (an edit) or `timestamp` (a reaction).
   * So a thread root and its first replies can be queued at once, before Slack has answered.
   */
  parentId?: string;
  /** Runs the drainer's hook of this name, with `ref`, in the transaction that marks the post sent or failed. */
  onSettled?: { hook: string; ref?: string };
}

export interface EnqueuedSlackPost {
  id: string;
  /** False when the dedupe key was already queued: nothing was added. */
  created: boolean;
}

/** What the drainer reports to a settle hook, inside its transaction. */
export interface SlackPostSettlement {
  outboxId: string;
  channel: string;
  /** The `onSettled.ref` given at enqueue time. */
  ref: string | null;
  outcome: "sent" | "failed";
  /** The posted message's ts (sent chat.postMessage and chat.update). */
  ts: string | null;
  /** Why Slack refused it (failed). */
  error: string | null;
}

/**
 * Runs in the transaction that settles a post, e.g. to store a conversation's thread ts. If it
 * throws, the post is still recorded as sent (never posted twice for it) and the failure is logged.
 */
export type SlackPostSettleHook = (tx: Tx, settlement: SlackPostSettlement) => Promise<void>;

/** Slack's answer to one call, classified by the Slack side; services see no Slack types. */
export type SlackPostOutcome =
  | { kind: "posted"; ts: string | null }
  /** 429: nothing more to this channel before `retryAfterMs`. */
  | { kind: "rate_limited"; retryAfterMs: number }
  /** May work later (network, Slack's 5xx, internal_error, credentials being fixed). */
  | { kind: "retry"; error: string }
  /** The channel takes no post until a person acts (not_in_channel: invite the bot; is_archived). */
  | { kind: "channel_unavailable"; error: string }
  /** Will never work as queued (invalid_blocks, msg_too_long, …). */
  | { kind: "rejected"; error: string };

/** Where the drainer's calls go; src/slack/outbox-poster.ts is the real one. */
export interface SlackPoster {
  /** Calls `method` with `args` (`channel` included) once, without retrying; classifies the answer. */
  call(method: SlackOutboxMethod, args: Record<string, unknown>): Promise<SlackPostOutcome>;
}

/** A post the outbox cannot take; the message says what to change. */
export class SlackOutboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlackOutboxError";
  }
}

type Db = PrismaClient | Tx;

/** A channel (C…, G…, D…), or a user (U…, W…): chat.postMessage to a user id posts in the app's DM with them. */
const CHANNEL_ID = /^[CDGUW][A-Z0-9]{2,}$/;

/**
 * Queues one post. Pass the caller's transaction client so the post commits (or rolls back) with
 * its cause. With a `dedupeKey` already queued, adds nothing and answers the existing post's id.
 */
export async function enqueueSlackPost(db: Db, post: SlackPost): Promise<EnqueuedSlackPost> {
  checkPost(post);
  if (post.parentId !== undefined) await checkParent(db, post);
  const [row] = await db.$queryRawUnsafe<{ id: string }[]>(
    ENQUEUE_SQL,
    newId(),
    post.channel,
    post.method,
    JSON.stringify(post.args),
    post.dedupeKey ?? null,
    post.parentId ?? null,
    post.onSettled?.hook ?? null,
    post.onSettled?.ref ?? null,
  );
  if (row) return { id: row.id, created: true };
  const existing = await db.slackOutbox.findUnique({ where: { dedupeKey: post.dedupeKey }, select: { id: true } });
  if (!existing) throw new Error(`Slack outbox: dedupe key ${post.dedupeKey} conflicted but no post holds it`);
  return { id: existing.id, created: false };
}

/**
 * `enqueueSlackPost` for a transaction on the plain-SQL path (`db.sql.transaction`), where the
 * inbox's hot path runs: the same checks and statement, for posts with no parent in the outbox.
 */
export async function enqueueSlackPostSql(tx: SqlRunner, post: Omit<SlackPost, "parentId">): Promise<boolean> {
  checkPost(post);
  const rows = await tx.query<{ id: string }>(ENQUEUE_SQL, [
    newId(),
    post.channel,
    post.method,
    JSON.stringify(post.args),
    post.dedupeKey ?? null,
    null,
    post.onSettled?.hook ?? null,
    post.onSettled?.ref ?? null,
  ]);
  return rows.length > 0;
}

/** Many posts with no parent, in this order, in one statement (the inbox's batches); answers how many were new. */
export async function enqueueSlackPostsSql(tx: SqlRunner, posts: Omit<SlackPost, "parentId">[]): Promise<number> {
  for (const post of posts) checkPost(post);
  if (posts.length === 0) return 0;
  const rows = posts.map((post, ord) => ({
    id: newId(),
    channel: post.channel,
    method: post.method,
    payload: post.args,
    dedupeKey: post.dedupeKey ?? null,
    settleHook: post.onSettled?.hook ?? null,
    settleRef: post.onSettled?.ref ?? null,
    ord,
  }));
  return (await tx.query<{ id: string }>(ENQUEUE_MANY_SQL, [JSON.stringify(rows)])).length;
}

// Rows are inserted in `ord` order, so their positions (a sequence) keep the order they were given in.
const ENQUEUE_MANY_SQL = prepared(`
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, channel text, method text, payload jsonb, "dedupeKey" text,
    "settleHook" text, "settleRef" text, ord int)
),
channels AS (INSERT INTO "SlackOutboxChannel" (channel) SELECT DISTINCT channel FROM input ON CONFLICT DO NOTHING)
INSERT INTO "SlackOutbox" (id, channel, method, payload, "dedupeKey", "settleHook", "settleRef")
SELECT id, channel, method, payload, "dedupeKey", "settleHook", "settleRef" FROM input ORDER BY ord
ON CONFLICT ("dedupeKey") DO NOTHING
RETURNING id`);

/**
 * One statement, so an enqueue inside a webhook's transaction costs one round trip. The channel's
 * rate row must exist for drainers to claim it; DO NOTHING takes no lock on an existing one.
 */
const ENQUEUE_SQL = prepared(`
WITH channel AS (INSERT INTO "SlackOutboxChannel" (channel) VALUES ($2) ON CONFLICT DO NOTHING)
INSERT INTO "SlackOutbox" (id, channel, method, payload, "dedupeKey", "parentId", "settleHook", "settleRef")
VALUES ($1::uuid, $2, $3, $4::jsonb, $5, $6::uuid, $7, $8)
ON CONFLICT ("dedupeKey") DO NOTHING
RETURNING id`);

function checkPost(post: SlackPost): void {
  if (typeof post.channel !== "string" || !CHANNEL_ID.test(post.channel)) {
    throw new SlackOutboxError(
      `Slack posts go to a channel id such as C0123ABCD, not ${JSON.stringify(post.channel)}: copy it from the channel's details (About → Channel ID).`,
    );
  }
  if (!SLACK_OUTBOX_METHODS.includes(post.method)) {
    throw new SlackOutboxError(
      `The Slack outbox posts with ${SLACK_OUTBOX_METHODS.join(", ")}; ${JSON.stringify(post.method)} is none of them.`,
    );
  }
  const args = post.args as Record<string, unknown>;
  if (typeof args !== "object" || args === null || Array.isArray(args))
    throw new SlackOutboxError("A Slack post's args must be an object of Web API arguments.");
  if ("channel" in args) throw new SlackOutboxError("Give the channel as the post's `channel`, not inside its args.");
  const tsArgument = PARENT_TS_ARGUMENT[post.method];
  const hasTs = typeof args[tsArgument] === "string" && args[tsArgument] !== "";
  if (post.parentId !== undefined && hasTs) {
    throw new SlackOutboxError(
      `Give either parentId or args.${tsArgument}, not both: the parent's ts fills in ${tsArgument}.`,
    );
  }
  if (post.method !== "chat.postMessage" && post.parentId === undefined && !hasTs) {
    throw new SlackOutboxError(
      `${post.method} needs the message it applies to: args.${tsArgument}, or parentId for a post still in the outbox.`,
    );
  }
  if (post.method === "reactions.add") {
    if (typeof args.name !== "string" || args.name === "")
      throw new SlackOutboxError("reactions.add needs args.name, the emoji name without colons.");
  } else if (typeof args.text !== "string" || args.text.trim() === "") {
    // Slack shows `text` in notifications and to screen readers when blocks are present.
    throw new SlackOutboxError(
      `${post.method} needs args.text, also when it has blocks: Slack uses it for notifications and accessibility.`,
    );
  }
  if (post.dedupeKey !== undefined && (typeof post.dedupeKey !== "string" || post.dedupeKey === "")) {
    throw new SlackOutboxError(
      "A dedupe key must be a non-empty string (leave it out to queue without deduplication).",
    );
  }
  if (post.onSettled !== undefined && (typeof post.onSettled.hook !== "string" || post.onSettled.hook === "")) {
    throw new SlackOutboxError("onSettled needs the name of a hook registered with the drainer.");
  }
}

async function checkParent(db: Db, post: SlackPost): Promise<void> {
  const parent = await db.slackOutbox.findUnique({
    where: { id: post.parentId },
    select: { channel: true, method: true },
  });
  if (!parent) throw new SlackOutboxError(`The parent post ${post.parentId} is not in the Slack outbox.`);
  if (parent.channel !== post.channel) {
    throw new SlackOutboxError(
      `A post refers only to a message in its own channel: the parent is in ${parent.channel}, this post in ${post.channel}.`,
    );
  }
  if (parent.method !== "chat.postMessage") {
    throw new SlackOutboxError(
      `The parent must be a chat.postMessage (a message with a ts); ${post.parentId} is a ${parent.method}.`,
    );
  }
}

/**
 * The bot joined `channel` (Slack's member_joined_channel): a channel that refused its posts is
 * tried again now instead of at its next backoff. False when the channel was not waiting.
 */
export async function reopenSlackChannel(db: Db, channel: string): Promise<boolean> {
  return (await db.$executeRawUnsafe(REOPEN_SQL, channel)) > 0;
}

export interface SlackOutboxSummary {
  queued: number;
  sent: number;
  failed: number;
  /** Queued posts per channel, largest backlog first. */
  backlog: { channel: string; queued: number }[];
}

/** Counts for health checks, benchmarks and operators. */
export async function slackOutboxSummary(db: Db): Promise<SlackOutboxSummary> {
  const [byStatus, byChannel] = await Promise.all([
    db.slackOutbox.groupBy({ by: ["status"], _count: { _all: true } }),
    db.slackOutbox.groupBy({ by: ["channel"], where: { status: "queued" }, _count: { _all: true } }),
  ]);
  const count = (status: string) => byStatus.find((row) => row.status === status)?._count._all ?? 0;
  return {
    queued: count("queued"),
    sent: count("sent"),
    failed: count("failed"),
    backlog: byChannel
      .map((row) => ({ channel: row.channel, queued: row._count._all }))
      .sort((a, b) => b.queued - a.queued),
  };
}

/** Posts Slack accepted are kept this long (for dedupe keys and the record), then pruned. */
export const KEEP_SENT_POSTS_DAYS = 30;
const PRUNE_BATCH = 5_000;

/**
 * Deletes posts Slack accepted more than `keepDays` ago, in batches, so the outbox does not grow
 * for ever. Kept: failed posts (the record of what never reached Slack), posts something still
 * points at (a reply, edit or reaction under them, or a thread root whose ts is not stored yet).
 */
export async function pruneSentSlackPosts(
  db: Db,
  now: Date,
  keepDays = KEEP_SENT_POSTS_DAYS,
): Promise<{ pruned: number }> {
  const before = new Date(now.getTime() - keepDays * 86_400_000);
  let pruned = 0;
  for (;;) {
    const deleted = await db.$executeRawUnsafe(
      `DELETE FROM "SlackOutbox" WHERE id IN (
         SELECT o.id FROM "SlackOutbox" o
         WHERE o.status = 'sent' AND o."settledAt" < $1
           AND NOT EXISTS (SELECT 1 FROM "SlackOutbox" c WHERE c."parentId" = o.id)
           AND NOT EXISTS (SELECT 1 FROM "Conversation" cv WHERE cv."rootOutboxId" = o.id AND cv."slackThreadTs" IS NULL)
         LIMIT $2)`,
      before,
      PRUNE_BATCH,
    );
    pruned += deleted;
    if (deleted < PRUNE_BATCH) return { pruned };
  }
}
