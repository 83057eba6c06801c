import type { PrismaClient } from "../db/generated/client";
import type { Tx } from "../db/database";

/*
 * The inbox's record of what arrived (InboundEvent): each row dedupes a webhook or Slack event that
 * may be delivered again, and holds it until it is processed. Twilio and Slack redeliver within
 * hours, and the message itself lives on in Message, so a processed event is needed for weeks at
 * most; without pruning the table grows by every text and reply for ever.
 */

/** Processed events are kept this long after processing (redeliveries and reconciliation look back far less). */
export const KEEP_PROCESSED_EVENTS_DAYS = 30;
const PRUNE_BATCH = 5_000;

/**
 * Deletes events processed more than `keepDays` ago, in batches. Never touches an event not yet
 * processed (still owed its processing) or one set aside after repeated failures (kept for a person).
 */
export async function pruneProcessedInboundEvents(
  db: PrismaClient | Tx,
  now: Date,
  keepDays = KEEP_PROCESSED_EVENTS_DAYS,
): Promise<{ pruned: number }> {
  const before = new Date(now.getTime() - keepDays * 86_400_000);
  let pruned = 0;
  for (;;) {
    const deleted = await db.$executeRawUnsafe(
      `DELETE FROM "InboundEvent" WHERE id IN (
         SELECT id FROM "InboundEvent"
         WHERE "processedAt" < $1 AND "failedAt" IS NULL
         LIMIT $2)`,
      before,
      PRUNE_BATCH,
    );
    pruned += deleted;
    if (deleted < PRUNE_BATCH) return { pruned };
  }
}
