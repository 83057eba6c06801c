import type { Prisma } from "../db/generated/client";

/*
 * The suppression list: one place that decides a number may no longer be texted, used by sends
 * (Twilio 21610), voters' replies, and volunteers' opt-outs from Slack.
 */

type Tx = Prisma.TransactionClient;

/** Serializes everything that decides whether one number may be texted: sends from every campaign, opt-outs. */
export async function lockPhone(tx: Tx, phone: string): Promise<void> {
  await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7021))", `phone:${phone}`);
}

export type OptOutSource = "keyword" | "reply_phrase" | "admin" | "carrier";

/**
 * Suppresses a number everywhere: every campaign's queue, now and later. Takes the phone lock, so
 * a send deciding about this number waits for it. True when the number was not suppressed before.
 */
export async function recordOptOut(
  tx: Tx,
  phone: string,
  source: OptOutSource,
  reason: string,
  now: Date,
): Promise<boolean> {
  await lockPhone(tx, phone);
  const existing = await tx.optOut.findUnique({ where: { phone }, select: { phone: true } });
  if (!existing)
    await tx.optOut.create({ data: { phone, source, reason, adminLock: source === "admin", createdAt: now } });
  // Queued sends are checked against the opt-out list at the click too; this keeps them off volunteers' cards.
  await tx.$executeRawUnsafe(
    `UPDATE "CampaignContact" cc SET status = 'skipped', "skipReason" = 'opted out', "assignedTo" = NULL, "updatedAt" = $2
     FROM "Contact" c WHERE c.id = cc."contactId" AND c.phone = $1 AND cc.status IN ('pending', 'assigned', 'deferred')`,
    phone,
    now,
  );
  return !existing;
}
