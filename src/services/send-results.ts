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

/**
 * Texts whose outcome stayed unknown (the answer was lost, or the process died mid-send) are
 * looked up at Twilio: found, they take its SID and status; not found, they are marked not sent and
 * their contact is set aside with the reason. Never resent automatically: only a person may send.
 */
export async function reconcileUnconfirmedSends(
  db: Database,
  gateway: SmsGateway,
  now: Date,
): Promise<{ confirmed: number; notSent: number }> {
  const stale = await db.prisma.message.findMany({
    where: {
      direction: "outbound",
      status: { in: [CLAIMED, UNCONFIRMED] },
      createdAt: { lt: new Date(now.getTime() - RECONCILE_AFTER_MS) },
    },
    select: { id: true, toPhone: true, body: true, createdAt: true, campaignId: true, contactId: true },
    take: 100,
  });
  let confirmed = 0;
  let notSent = 0;
  for (const message of stale) {
    const found = await gateway.findSent({ to: message.toPhone, after: message.createdAt, body: message.body });
    if (found) {
      const { count } = await db.prisma.message.updateMany({
        where: { id: message.id, status: { in: [CLAIMED, UNCONFIRMED] } },
        data: { twilioSid: found.sid, status: found.status },
      });
      if (count) {
        confirmed++;
        await applyEarlyStatusCallbacks(db, found.sid);
      }
      continue;
    }
    await db.prisma.$transaction(async (tx) => {
      const { count } = await tx.message.updateMany({
        where: { id: message.id, status: { in: [CLAIMED, UNCONFIRMED] } },
        data: { status: NOT_SENT },
      });
      if (count === 0 || !message.campaignId || !message.contactId) return;
      notSent++;
      await tx.campaignContact.updateMany({
        where: { campaignId: message.campaignId, contactId: message.contactId, status: "sent" },
        data: {
          status: "skipped",
          skipReason: "the send could not be confirmed with Twilio and was not repeated; check before texting again",
          skipCode: "unconfirmed",
          updatedAt: now,
        },
      });
    });
  }
  return { confirmed, notSent };
}
