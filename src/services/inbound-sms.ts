import type { Prisma, PrismaClient } from "../db/generated/client";
import { statusesReplacedBy, type OutboundStatus } from "../domain/message-status";

/** An inbound text as the carrier reported it, free of any Twilio type. */
export interface InboundSms {
  /** The carrier's id for the message; the dedupe key. */
  sid: string;
  from: string;
  to: string;
  body: string;
  media: { url: string; contentType: string }[];
  /** Everything the carrier sent, kept verbatim for the durable inbox. */
  raw: Record<string, string>;
}

export type InboundResult = { stored: true; messageId: string; contactId: string | null } | { stored: false; duplicate: true };

/**
 * Stores an inbound text exactly once: the dedupe row and the message are written in one
 * transaction, so a repeated delivery stores nothing new and a crash stores nothing half-way.
 * The InboundEvent stays unprocessed until the conversation work (Slack thread, opt-out) is done.
 */
export async function recordInboundSms(prisma: PrismaClient, sms: InboundSms): Promise<InboundResult> {
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.inboundEvent.createMany({
      data: [{ source: "twilio.sms", externalId: sms.sid, payload: sms.raw as Prisma.InputJsonObject }],
      skipDuplicates: true,
    });
    if (count === 0) return { stored: false, duplicate: true } as const;
    const contact = await tx.contact.findUnique({ where: { phone: sms.from }, select: { id: true } });
    const message = await tx.message.create({
      data: {
        direction: "inbound",
        contactId: contact?.id ?? null,
        fromPhone: sms.from,
        toPhone: sms.to,
        body: sms.body,
        mediaUrls: sms.media.map((m) => m.url),
        twilioSid: sms.sid,
        status: "received",
      },
      select: { id: true },
    });
    return { stored: true, messageId: message.id, contactId: contact?.id ?? null } as const;
  });
}

export interface DeliveryStatus {
  sid: string;
  status: OutboundStatus;
  errorCode: number | null;
  raw: Record<string, string>;
}

export type DeliveryStatusResult = "updated" | "unchanged" | "duplicate" | "unknown-message";

/**
 * Applies a delivery callback to the stored message, never moving its status backwards.
 * A callback for a message we have not stored yet (the send's answer may still be in flight) is
 * kept unprocessed in the inbox for reconciliation instead of being dropped.
 */
export async function recordDeliveryStatus(prisma: PrismaClient, update: DeliveryStatus): Promise<DeliveryStatusResult> {
  const eventKey = { source: "twilio.status", externalId: `${update.sid}:${update.status}` };
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.inboundEvent.createMany({
      data: [{ ...eventKey, payload: update.raw as Prisma.InputJsonObject }],
      skipDuplicates: true,
    });
    if (count === 0) return "duplicate";
    // One conditional UPDATE, so concurrent callbacks for the same message cannot interleave.
    const { count: updated } = await tx.message.updateMany({
      where: { twilioSid: update.sid, status: { in: statusesReplacedBy(update.status) } },
      data: { status: update.status, ...(update.errorCode !== null && { errorCode: update.errorCode }) },
    });
    if (updated === 0 && !(await tx.message.findUnique({ where: { twilioSid: update.sid }, select: { id: true } }))) {
      return "unknown-message";
    }
    await tx.inboundEvent.update({ where: { source_externalId: eventKey }, data: { processedAt: new Date() } });
    return updated > 0 ? "updated" : "unchanged";
  });
}
