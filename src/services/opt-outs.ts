import type { Database, Tx } from "../db/database";
import { maskPhone, normalizePhone } from "../domain/phone";
import { UserError } from "../domain/user-error";
import { optedOutSql } from "../domain/suppression";
import { auditActor, requirePermission, type Actor } from "./actors";
import { recordAudit } from "./audit";
import { enqueueWebhook } from "./webhooks";

/*
 * The suppression list: one place that decides a number may no longer be texted, used by sends
 * (Twilio 21610), voters' replies, and volunteers' opt-outs from Slack. Whether a number is on it
 * is src/domain/suppression.ts.
 */

/**
 * The per-phone lock, as SQL over the phone expression `phone`: held to the end of the transaction.
 * It serializes everything that decides whether one number may be texted (sends from every
 * campaign, follow-ups, replies, opt-outs), so a decision never races a change to the list.
 */
export const phoneLockSql = (phone: string): string =>
  `pg_advisory_xact_lock(hashtextextended('phone:' || ${phone}, 7021))`;

/** Takes the per-phone lock for `phone` in the transaction. */
export async function lockPhone(tx: Tx, phone: string): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT ${phoneLockSql("$1::text")}`, phone);
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
  /** The volunteer or organizer who did it; none when the voter or the carrier did. */
  actor: Actor | null = null,
): Promise<boolean> {
  await lockPhone(tx, phone);
  const existing = await tx.optOut.findUnique({ where: { phone }, select: { phone: true, adminLock: true } });
  if (!existing) {
    await tx.optOut.create({ data: { phone, source, reason, adminLock: source === "admin", createdAt: now } });
    await enqueueWebhook(tx, { type: "opt-out", phone, data: { source, reason }, at: now });
  }
  // A person's suppression is locked: a later START from the voter does not lift it, even if the voter opted out first.
  else if (source === "admin" && !existing.adminLock)
    await tx.optOut.update({ where: { phone }, data: { adminLock: true } });
  if (!existing || source === "admin") {
    const who = actor ? auditActor(actor) : { actor: null, role: null };
    const after = { source, reason, ...(existing ? { alreadyOptedOut: true } : {}) };
    await recordAudit(tx, { ...who, action: "opt-out", subject: maskPhone(phone), after }, now);
  }
  // Queued sends are checked against the opt-out list at the click too; this keeps them off volunteers' cards.
  await tx.$executeRawUnsafe(
    `UPDATE "CampaignContact" cc SET status = 'skipped', "skipReason" = 'opted out', "skipCode" = 'opted-out', "assignedTo" = NULL, "updatedAt" = $2
     FROM "Contact" c WHERE c.id = cc."contactId" AND c.phone = $1 AND cc.status IN ('pending', 'assigned', 'deferred')`,
    phone,
    now,
  );
  return !existing;
}

export type OptInResult = "opted-in" | "locked" | "not-opted-out";

/** The voter asked to be texted again (START): lifted, unless a person suppressed the number on purpose. */
export async function recordOptIn(tx: Tx, phone: string, now: Date): Promise<OptInResult> {
  await lockPhone(tx, phone);
  const optOut = await tx.optOut.findUnique({ where: { phone }, select: { adminLock: true } });
  if (!optOut) return "not-opted-out";
  if (optOut.adminLock) {
    await recordAudit(
      tx,
      { actor: null, role: null, action: "opt-in", outcome: "refused", subject: maskPhone(phone) },
      now,
    );
    return "locked";
  }
  await tx.optOut.delete({ where: { phone } });
  await recordAudit(tx, { actor: null, role: null, action: "opt-in", subject: maskPhone(phone) }, now);
  await enqueueWebhook(tx, { type: "opt-in", phone, data: { source: "voter" }, at: now });
  return "opted-in";
}

/** Whether the number is on the suppression list now (take the phone lock first to act on the answer). */
export async function isSuppressed(tx: Tx, phone: string): Promise<boolean> {
  const [row] = await tx.$queryRawUnsafe<{ optedOut: boolean }[]>(
    `SELECT ${optedOutSql("$1::text")} AS "optedOut"`,
    phone,
  );
  return row?.optedOut ?? false;
}

/** Why an opt-out lock could not be lifted, in words for the organizer. */
export class OptOutLockError extends UserError {
  override name = "OptOutLockError";
}

/**
 * An organizer lifts the lock a person put on an opt-out (organizers only, audited with before and
 * after). The number stays opted out: only the voter's own START opts it back in, which the lock
 * refused until now.
 */
export async function liftOptOutLock(db: Database, actor: Actor, typedPhone: string): Promise<{ maskedPhone: string }> {
  await requirePermission(db, actor, "opt-outs.lift", "lifting an opt-out lock");
  const phone = normalizePhone(typedPhone.trim());
  if (!phone)
    throw new OptOutLockError(
      `“${typedPhone.trim().slice(0, 40)}” is not a phone number. Type it in full, e.g. /contacts unlock +15551234567.`,
    );
  const masked = maskPhone(phone);
  await db.prisma.$transaction(async (tx) => {
    await lockPhone(tx, phone);
    const optOut = await tx.optOut.findUnique({ where: { phone }, select: { adminLock: true, source: true } });
    if (!optOut) throw new OptOutLockError(`${masked} is not on the opt-out list: nothing to lift.`);
    if (!optOut.adminLock)
      throw new OptOutLockError(`${masked} is opted out without a lock: the voter can text START to opt back in.`);
    await tx.optOut.update({ where: { phone }, data: { adminLock: false } });
    await recordAudit(
      tx,
      {
        ...auditActor(actor),
        action: "opt-out.lift",
        subject: masked,
        before: { adminLock: true, source: optOut.source },
        after: { adminLock: false },
      },
      actor.at,
    );
  });
  return { maskedPhone: masked };
}
