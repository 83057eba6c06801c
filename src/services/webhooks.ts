import type { Database, SqlRunner, Tx } from "../db/database";
import { newId } from "../db/ids";
import type { Prisma } from "../db/generated/client";
import { maskPhone } from "../domain/phone";
import {
  EVENT_ID_HEADER,
  nextWebhookAttempt,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  webhookSignature,
  type WebhookEventType,
} from "../domain/webhooks";
import type { Logger } from "../logger";
import { recordAudit } from "./audit";

/*
 * Outgoing webhooks (WEBHOOK_URL, WEBHOOK_SECRET). Every event is written to the WebhookEvent outbox
 * in the transaction of what it reports, so an event exists exactly when its cause committed; the
 * deliverer job posts them in order per contact (an event waits until the contact's earlier ones are
 * delivered or given up), retries with backoff for a day (src/domain/webhooks.ts), and records a
 * given-up event in the audit trail, where organizers see it (/campaign audit).
 */

export interface WebhookEventInput {
  type: WebhookEventType;
  /** The voter's number: events of one number are delivered in order. */
  phone: string;
  campaignId?: string | null;
  /** What happened, beside the envelope's id, type, time, phone, contact and campaign. */
  data: Prisma.InputJsonObject;
  at: Date;
}

// The envelope is built in SQL so the contact's and campaign's names come from the same snapshot.
const ENQUEUE_SQL = `INSERT INTO "WebhookEvent" (id, "orderKey", type, payload, "campaignId", "createdAt", "availableAt")
  SELECT $1::uuid, $2, $3, jsonb_build_object('id', $1::text, 'type', $3::text, 'occurredAt', $4::text, 'phone', $2::text,
    'contact', (SELECT jsonb_build_object('id', c.id, 'firstName', c."firstName", 'lastName', c."lastName") FROM "Contact" c WHERE c.phone = $2),
    'campaign', (SELECT jsonb_build_object('id', k.id, 'name', k.name) FROM "Campaign" k WHERE k.id = $5::uuid),
    'data', $6::jsonb), $5::uuid, $7, $7`;

const enqueueParams = (event: WebhookEventInput) => [
  newId(),
  event.phone,
  event.type,
  event.at.toISOString(),
  event.campaignId ?? null,
  JSON.stringify(event.data),
  event.at,
];

/** Queues an event in the caller's Prisma transaction. */
export async function enqueueWebhook(tx: Pick<Tx, "$executeRawUnsafe">, event: WebhookEventInput): Promise<void> {
  await tx.$executeRawUnsafe(ENQUEUE_SQL, ...enqueueParams(event));
}

/** Queues an event in the caller's plain-SQL transaction. */
export async function enqueueWebhookSql(tx: SqlRunner, event: WebhookEventInput): Promise<void> {
  await tx.query(ENQUEUE_SQL, enqueueParams(event));
}

/** Many events in one statement, in the order given (the inbox's batches of plain texts). */
export async function enqueueWebhooksSql(tx: SqlRunner, events: readonly WebhookEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((event, ord) => ({
    id: newId(),
    phone: event.phone,
    type: event.type,
    occurredAt: event.at.toISOString(),
    campaignId: event.campaignId ?? null,
    data: event.data,
    at: event.at.toISOString(),
    ord,
  }));
  await tx.query(ENQUEUE_MANY_SQL, [JSON.stringify(rows)]);
}

// ENQUEUE_SQL for many rows; inserted in `ord` order, so their positions keep each number's order.
const ENQUEUE_MANY_SQL = `INSERT INTO "WebhookEvent" (id, "orderKey", type, payload, "campaignId", "createdAt", "availableAt")
  SELECT x.id, x.phone, x.type, jsonb_build_object('id', x.id::text, 'type', x.type, 'occurredAt', x."occurredAt", 'phone', x.phone,
    'contact', (SELECT jsonb_build_object('id', c.id, 'firstName', c."firstName", 'lastName', c."lastName") FROM "Contact" c WHERE c.phone = x.phone),
    'campaign', (SELECT jsonb_build_object('id', k.id, 'name', k.name) FROM "Campaign" k WHERE k.id = x."campaignId"),
    'data', x.data), x."campaignId", x.at, x.at
  FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, phone text, type text, "occurredAt" text, "campaignId" uuid, data jsonb, at timestamptz, ord int)
  ORDER BY x.ord`;

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface WebhookDeliveryDeps {
  db: Database;
  /** Null when WEBHOOK_URL or WEBHOOK_SECRET is unset: events are then closed without sending. */
  target: WebhookTarget | null;
  clock: () => Date;
  logger: Logger;
}

export interface WebhookRun {
  delivered: number;
  retrying: number;
  gaveUp: number;
  /** Events closed unsent because webhooks are not set up. */
  notSetUp: number;
  pruned: number;
}

const HEADS_PER_ROUND = 20;
const REQUEST_TIMEOUT_MS = 10_000;
/** A run stops starting rounds after this long: the job runs again soon, and shutdown should not wait. */
const RUN_BUDGET_MS = 45_000;
const KEEP_SETTLED_DAYS = 7;

// The next event of each number, due now, whose earlier events are all settled.
const DUE_HEADS_SQL = `SELECT w.id, w.type, w."orderKey", w.payload, w.attempts, w."createdAt", w."campaignId" FROM "WebhookEvent" w
  WHERE w.status = 'queued' AND w."availableAt" <= $1
    AND NOT EXISTS (SELECT 1 FROM "WebhookEvent" e WHERE e.status = 'queued' AND e."orderKey" = w."orderKey" AND e.position < w.position)
  ORDER BY w.position LIMIT $2::int`;

interface DueEvent {
  id: string;
  type: string;
  orderKey: string;
  payload: unknown;
  attempts: number;
  createdAt: Date;
  campaignId: string | null;
}

/** Delivers what is due, round after round, until nothing is due or the run's time is up. */
export async function deliverWebhooks(deps: WebhookDeliveryDeps): Promise<WebhookRun> {
  const run: WebhookRun = { delivered: 0, retrying: 0, gaveUp: 0, notSetUp: 0, pruned: 0 };
  const { prisma } = deps.db;
  run.pruned = (
    await prisma.webhookEvent.deleteMany({
      where: {
        status: { in: ["delivered", "failed"] },
        settledAt: { lt: new Date(deps.clock().getTime() - KEEP_SETTLED_DAYS * 86_400_000) },
      },
    })
  ).count;
  if (!deps.target) {
    run.notSetUp = (
      await prisma.webhookEvent.updateMany({
        where: { status: "queued" },
        data: {
          status: "failed",
          lastError: "not sent: WEBHOOK_URL and WEBHOOK_SECRET are not set",
          settledAt: deps.clock(),
        },
      })
    ).count;
    return run;
  }
  const target = deps.target;
  const started = performance.now();
  while (performance.now() - started < RUN_BUDGET_MS) {
    const heads = await prisma.$queryRawUnsafe<DueEvent[]>(DUE_HEADS_SQL, deps.clock(), HEADS_PER_ROUND);
    if (heads.length === 0) break;
    // Heads belong to different numbers, so they may go at the same time without breaking any order.
    const outcomes = await Promise.all(heads.map((event) => deliverOne(deps, target, event)));
    for (const outcome of outcomes) run[outcome]++;
    if (outcomes.every((o) => o !== "delivered")) break; // nothing moved: the rest waits for its retry time
  }
  return run;
}

async function deliverOne(
  deps: WebhookDeliveryDeps,
  target: WebhookTarget,
  event: DueEvent,
): Promise<"delivered" | "retrying" | "gaveUp"> {
  const body = JSON.stringify(event.payload);
  const timestamp = Math.floor(deps.clock().getTime() / 1000);
  let failure: string;
  try {
    const response = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "slack-p2p-texting-webhooks/1",
        [EVENT_ID_HEADER]: event.id,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: webhookSignature(target.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) {
      await deps.db.prisma.webhookEvent.update({
        where: { id: event.id },
        data: { status: "delivered", attempts: { increment: 1 }, settledAt: deps.clock(), lastError: null },
      });
      return "delivered";
    }
    failure = `the receiver answered HTTP ${response.status}`;
  } catch (error) {
    failure = `no answer from the receiver (${(error as Error).name === "TimeoutError" ? "timed out" : (error as Error).message})`;
  }
  const attempts = event.attempts + 1;
  const now = deps.clock();
  const next = nextWebhookAttempt(attempts, event.createdAt, now);
  if (next) {
    await deps.db.prisma.webhookEvent.update({
      where: { id: event.id },
      data: { attempts, availableAt: next, lastError: failure },
    });
    return "retrying";
  }
  deps.logger.error({ event: event.id, type: event.type, attempts, failure }, "webhook event given up after a day");
  await deps.db.prisma.$transaction(async (tx) => {
    await tx.webhookEvent.update({
      where: { id: event.id },
      data: { status: "failed", attempts, lastError: failure, settledAt: now },
    });
    await recordAudit(
      tx,
      {
        actor: null,
        role: null,
        action: "webhook.failed",
        campaignId: event.campaignId,
        subject: `${event.type} event for ${maskPhone(event.orderKey)}`,
        after: { attempts, lastError: failure, since: event.createdAt.toISOString() },
      },
      now,
    );
  });
  return "gaveUp";
}
