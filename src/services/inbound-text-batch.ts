import { prepared } from "../db/prepared";
import type { ConversationDeps } from "./conversation-threads";
import type { InboundSms } from "./inbound-sms";
import { INBOUND_ROWS_SQL, plainThreadPost, type InboundRow } from "./inbound-texts";
import { enqueueSlackPostsSql } from "./slack-outbox";
import { enqueueWebhooksSql } from "./webhooks";

/*
 * The inbox's fast lane. Under a flood of replies most texts ask nothing and go to an open thread:
 * one post each, the message joined to its conversation, the event done. A batch of them is
 * processed in one transaction of five round trips instead of five per text, on the plain-SQL
 * path. Everything else (opt-outs, help, new threads, unmatched texts) is left to the inbox's
 * one-by-one processing, which keeps its exactly-once rules; so are a voter's texts after one of
 * theirs that is not in the batch, so each voter's texts still reach Slack in order.
 */

// The batch's messages join their conversations, which move up and wait on a volunteer, and its events are done.
const JOIN_ALL_SQL = prepared(`
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x("messageId" uuid, "conversationId" uuid, "eventId" uuid)
),
joined AS (UPDATE "Message" m SET "conversationId" = i."conversationId", "updatedAt" = $2 FROM input i WHERE m.id = i."messageId"),
touched AS (
  UPDATE "Conversation" c SET "updatedAt" = $2, "waitingSince" = COALESCE(c."waitingSince", $2)
  FROM (SELECT DISTINCT "conversationId" FROM input) i WHERE c.id = i."conversationId"
)
UPDATE "InboundEvent" e SET "processedAt" = $2 FROM input i WHERE e.id = i."eventId"`);

/** Texts looked at per batch: large, since under a flood each transaction waits its turn for a connection. */
export const PLAIN_TEXT_BATCH = 500;

/**
 * Processes the plain texts among the oldest waiting ones in one transaction: how many, and the
 * texts to process one by one next (each voter's oldest one that is not plain, oldest first). The
 * rest are untouched (their locks released at commit) and left to `processInboundText`.
 */
export async function processPlainTexts(
  deps: Pick<ConversationDeps, "db" | "render" | "clock" | "webhooksSetUp">,
  limit = PLAIN_TEXT_BATCH,
): Promise<{ processed: number; others: { id: string; source: string; payload: unknown }[] }> {
  return deps.db.sql.transaction(async (tx) => {
    const now = deps.clock();
    const rows = await tx.query<InboundRow>(INBOUND_ROWS_SQL, [limit]);
    const held = new Set<string>();
    const others: { id: string; source: string; payload: unknown }[] = [];
    const plans: NonNullable<ReturnType<typeof plainThreadPost>>[] = [];
    for (const row of rows) {
      const phone = String((row.payload as Partial<InboundSms> | null)?.from ?? row.fromPhone ?? "");
      if (held.has(phone)) continue;
      const plan = plainThreadPost(deps, row, now);
      // Not plain: this voter's later texts wait for it, so theirs reach Slack in order.
      if (plan) plans.push(plan);
      else {
        held.add(phone);
        others.push({ id: row.eventId, source: "twilio.sms", payload: row.payload });
      }
    }
    if (plans.length === 0) return { processed: 0, others };
    // Each text is reported to WEBHOOK_URL with its processing, in order, as processingPass does.
    await enqueueWebhooksSql(
      tx,
      plans.flatMap((p) => (p.webhook ? [p.webhook] : [])),
    );
    await enqueueSlackPostsSql(
      tx,
      plans.map((p) => p.post),
    );
    await tx.queryAndCommit(JOIN_ALL_SQL, [
      JSON.stringify(plans.map(({ messageId, conversationId, eventId }) => ({ messageId, conversationId, eventId }))),
      now,
    ]);
    return { processed: plans.length, others };
  });
}
