import type { Database } from "../db/database";
import { prepared } from "../db/prepared";
import {
  CLAIMED,
  isOutboundStatus,
  NOT_SENT,
  OUTBOUND_STATUSES,
  statusesReplacedBy,
  UNCONFIRMED,
} from "../domain/message-status";
import type { Logger } from "../logger";
import { CONVERSATION_FIELDS, noteInThread, type ThreadNote, type ThreadRenderer } from "./conversation-threads";
import type { DeliveryStatus } from "./inbound-sms";
import type { SmsGateway } from "./sms-gateway";

/*
 * What became of texts after the click: Twilio's answer recorded (with any status callbacks that
 * beat it), and texts whose answer was lost reconciled with Twilio. Nothing here ever sends.
 */

/** Texts whose outcome stayed unknown this long are checked with Twilio. */
export const RECONCILE_AFTER_MS = 60_000;

/**
 * Stores Twilio's SID and status and, in the same statement, reads any status callbacks that
 * beat the send's own answer (they wait unprocessed in the inbox) so they are applied now.
 */
export async function recordAccepted(
  db: Database,
  messageId: string,
  result: { sid: string; status: string; segments: number | null },
): Promise<void> {
  const keys = OUTBOUND_STATUSES.map((status) => `${result.sid}:${status}`);
  const early = await db.sql.query<{ id: string; externalId: string; payload: unknown }>(
    prepared(`WITH stored AS (UPDATE "Message" SET "twilioSid" = $1, status = $2, segments = COALESCE($3::int, segments), "updatedAt" = now() WHERE id = $4::uuid RETURNING id)
     SELECT e.id, e."externalId", e.payload FROM "InboundEvent" e
     WHERE e.source = 'twilio.status' AND e."externalId" = ANY(string_to_array($5::text, ',')) AND e."processedAt" IS NULL AND EXISTS (SELECT 1 FROM stored)`),
    [result.sid, result.status, result.segments, messageId, keys.join(",")],
  );
  if (early.length) await applyEarlyStatusCallbacks(db, result.sid, early);
}

/** Status callbacks that beat the send's own answer were kept in the inbox: apply them now. */
async function applyEarlyStatusCallbacks(
  db: Database,
  sid: string,
  early?: { id: string; externalId: string; payload: unknown }[],
): Promise<void> {
  const events =
    early ??
    (await db.prisma.inboundEvent.findMany({
      where: {
        source: "twilio.status",
        externalId: { in: OUTBOUND_STATUSES.map((status) => `${sid}:${status}`) },
        processedAt: null,
      },
      select: { id: true, externalId: true, payload: true },
    }));
  for (const event of events) {
    const status = event.externalId.slice(sid.length + 1);
    if (!isOutboundStatus(status)) continue;
    const errorCode = (event.payload as Partial<DeliveryStatus>).errorCode ?? null;
    await db.prisma.$transaction([
      db.prisma.message.updateMany({
        where: { twilioSid: sid, status: { in: statusesReplacedBy(status) } },
        data: { status, ...(errorCode ? { errorCode } : {}) },
      }),
      db.prisma.inboundEvent.update({ where: { id: event.id }, data: { processedAt: new Date() } }),
    ]);
  }
}

/** Stale texts read per query; a run pages through all of them, so rows that keep failing never starve the rest. */
const RECONCILE_PAGE = 100;

export interface ReconcileDeps {
  db: Database;
  sms: SmsGateway;
  logger: Logger;
  /** How the notes on volunteers' replies look in their threads. */
  render: ThreadRenderer;
}

export interface ReconcileRun {
  /** Found at Twilio: they took its SID and status. */
  confirmed: number;
  /** Not found at Twilio: marked not sent. */
  notSent: number;
  /** Texts whose check failed (logged): tried again on the next run. */
  failed: number;
}

interface StaleText {
  id: string;
  toPhone: string;
  body: string;
  createdAt: Date;
  campaignId: string | null;
  contactId: string | null;
  conversationId: string | null;
  initiated: boolean;
  sentBy: string | null;
}

/**
 * Texts whose outcome stayed unknown (the answer was lost, or the process died mid-send) are
 * looked up at Twilio: found, they take its SID and status; not found, they are marked not sent and,
 * for a text the campaign initiated, its contact is set aside with the reason. A volunteer's reply
 * gets a note in its thread saying which. Never resent automatically: only a person may send.
 * A text whose check fails is logged and counted, and the run goes on with the others.
 */
export async function reconcileUnconfirmedSends(deps: ReconcileDeps, now: Date): Promise<ReconcileRun> {
  const run: ReconcileRun = { confirmed: 0, notSent: 0, failed: 0 };
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const stale: StaleText[] = await deps.db.prisma.message.findMany({
      where: {
        direction: "outbound",
        status: { in: [CLAIMED, UNCONFIRMED] },
        createdAt: { lt: new Date(now.getTime() - RECONCILE_AFTER_MS) },
        ...(after && {
          OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }],
        }),
      },
      // Oldest first: of two texts alike, the earlier one takes the earlier SID.
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: {
        id: true,
        toPhone: true,
        body: true,
        createdAt: true,
        campaignId: true,
        contactId: true,
        conversationId: true,
        initiated: true,
        sentBy: true,
      },
      take: RECONCILE_PAGE,
    });
    for (const message of stale) {
      try {
        const outcome = await reconcileText(deps, message, now);
        if (outcome) run[outcome]++;
      } catch (error) {
        run.failed++;
        deps.logger.error(
          { err: error, message: message.id },
          "reconciling an unconfirmed text failed; the others go on, and it is tried again next run",
        );
      }
    }
    if (stale.length < RECONCILE_PAGE) return run;
    after = stale.at(-1)!;
  }
}

/** Looks one unconfirmed text up at Twilio and records what became of it (null: another run got there first). */
async function reconcileText(
  deps: ReconcileDeps,
  message: StaleText,
  now: Date,
): Promise<"confirmed" | "notSent" | null> {
  const { db } = deps;
  // A SID already stored on another message (the same words to the same number) is not this one's.
  const taken = await db.prisma.message.findMany({
    where: { toPhone: message.toPhone, body: message.body, twilioSid: { not: null }, id: { not: message.id } },
    select: { twilioSid: true },
  });
  const found = await deps.sms.findSent({
    to: message.toPhone,
    after: message.createdAt,
    body: message.body,
    except: taken.map((m) => m.twilioSid!),
  });
  const outcome = await db.prisma.$transaction(async (tx) => {
    const { count } = await tx.message.updateMany({
      where: { id: message.id, status: { in: [CLAIMED, UNCONFIRMED] } },
      data: found ? { twilioSid: found.sid, status: found.status } : { status: NOT_SENT },
    });
    if (count === 0) return null;
    // The volunteer was told their reply was unconfirmed and would be checked: this is the answer.
    if (message.sentBy && !message.initiated && message.conversationId) {
      const conversation = await tx.conversation.findUnique({
        where: { id: message.conversationId },
        select: CONVERSATION_FIELDS,
      });
      const note: ThreadNote = { kind: "reply-checked", user: message.sentBy, text: message.body, sent: !!found };
      if (conversation)
        await noteInThread(tx, { ...deps, unmatchedChannel: null }, conversation, note, `reconciled:${message.id}`);
    }
    // Only a text the campaign initiated holds the contact's place in it; a reply never changes it.
    if (!found && message.initiated && message.campaignId && message.contactId)
      await tx.campaignContact.updateMany({
        where: { campaignId: message.campaignId, contactId: message.contactId, status: "sent" },
        data: {
          status: "skipped",
          skipReason: "the send could not be confirmed with Twilio and was not repeated; check before texting again",
          skipCode: "unconfirmed",
          updatedAt: now,
        },
      });
    return found ? ("confirmed" as const) : ("notSent" as const);
  });
  if (outcome === "confirmed" && found) await applyEarlyStatusCallbacks(db, found.sid);
  return outcome;
}
