import type { SqlRunner } from "../db/database";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { newId } from "../db/ids";
import { prepared } from "../db/prepared";
import { statusesReplacedBy, type OutboundStatus } from "../domain/message-status";
import { storableValue } from "../domain/stored-text";

/** What the carrier recognized a text as (Twilio's STOP, START and HELP keywords). */
export type CarrierKeyword = "opt-out" | "opt-in" | "help";

/** An inbound text as the carrier reported it, free of any Twilio type; stored as the inbox event's payload. */
export interface InboundSms {
  /** The carrier's id for the message; the dedupe key. */
  sid: string;
  from: string;
  to: string;
  body: string;
  media: { url: string; contentType: string }[];
  /** The carrier's own keyword handling, when it reported one (it then answered the voter itself). */
  carrierKeyword?: CarrierKeyword | null;
  /** Everything the carrier sent, kept verbatim for the durable inbox (as far as it can be stored: see rawBase64). */
  raw: Record<string, string>;
  /**
   * Set when storing the text replaced characters the database refuses (U+0000, shown as "␀"):
   * `raw` exactly as it came, as JSON in base64, so nothing the carrier delivered is lost.
   */
  rawBase64?: string;
}

export type InboundResult =
  { stored: true; messageId: string; contactId: string | null } | { stored: false; duplicate: true };

/**
 * Stores an inbound text exactly once: the dedupe row and the message are written in one
 * transaction, so a repeated delivery stores nothing new and a crash stores nothing half-way.
 * The InboundEvent stays unprocessed until the conversation work (Slack thread, opt-out) is done.
 * Characters the database refuses (NUL) are stored as "␀", and the exact original beside them.
 * The message is dated `receivedAt` by the app's clock (or by the carrier's log when recovered from it),
 * as sent texts are, so the day's figures count both alike.
 */
export async function recordInboundSms(
  sql: SqlRunner,
  delivered: InboundSms,
  receivedAt: Date,
): Promise<InboundResult> {
  const sms = storableSms(delivered);
  // One statement (its own transaction), without Prisma: a webhook costs one round trip, and a duplicate inserts nothing.
  const [row] = await sql.query<{ id: string; contactId: string | null }>(
    prepared(`WITH event AS (
       INSERT INTO "InboundEvent" (id, source, "externalId", payload) VALUES ($1::uuid, 'twilio.sms', $2, $3::jsonb)
       ON CONFLICT (source, "externalId") DO NOTHING RETURNING id)
     INSERT INTO "Message" (id, direction, "contactId", "fromPhone", "toPhone", body, "mediaUrls", "mediaCopyNextAt", "twilioSid", status, "createdAt", "updatedAt")
     SELECT $4::uuid, 'inbound', (SELECT c.id FROM "Contact" c WHERE c.phone = $5), $5, $6, $7,
            ARRAY(SELECT jsonb_array_elements_text($8::jsonb)),
            -- Pictures are copied into the thread by a job of their own (inbound-media.ts): the text never waits for them.
            CASE WHEN jsonb_array_length($8::jsonb) > 0 THEN $9::timestamptz END, $2, 'received', $9::timestamptz, $9::timestamptz
     FROM event
     RETURNING id, "contactId"`),
    [
      newId(),
      sms.sid,
      JSON.stringify(sms),
      newId(),
      sms.from,
      sms.to,
      sms.body,
      JSON.stringify(sms.media.map((m) => m.url)),
      receivedAt,
    ],
  );
  return row ? { stored: true, messageId: row.id, contactId: row.contactId } : { stored: false, duplicate: true };
}

/** The text as the database can store it: every NUL shown as "␀", and then the exact original kept in `rawBase64`. */
function storableSms(sms: InboundSms): InboundSms {
  const { value, replaced } = storableValue(sms);
  return replaced ? { ...value, rawBase64: Buffer.from(JSON.stringify(sms.raw)).toString("base64") } : sms;
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
export async function recordDeliveryStatus(
  prisma: PrismaClient,
  update: DeliveryStatus,
): Promise<DeliveryStatusResult> {
  const eventKey = { source: "twilio.status", externalId: `${update.sid}:${update.status}` };
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.inboundEvent.createMany({
      data: [{ ...eventKey, payload: update as unknown as Prisma.InputJsonObject }],
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
