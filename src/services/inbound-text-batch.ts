import { prepared } from "../db/prepared";
import type { ConversationDeps } from "./conversation-threads";
import type { InboundSms } from "./inbound-sms";
import { INBOUND_ROWS_SQL, plainThreadPost, type InboundRow } from "./inbound-texts";
import { enqueueSlackPostsSql } from "./slack-outbox";

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

/**
 * Processes the plain texts among `due` (inbox events, oldest first) in one transaction; returns
 * the ids it processed. The rest are untouched and left to `processInboundText`.
 */
export async function processPlainTexts(
  deps: Pick<ConversationDeps, "db" | "render" | "clock">,
  due: readonly { id: string; source: string; payload: unknown }[],
): Promise<Set<string>> {
  const texts = due.filter((e) => e.source === "twilio.sms");
  if (texts.length < 2) return new Set();
  return deps.db.sql.transaction(async (tx) => {
    const rows = await tx.query<InboundRow>(INBOUND_ROWS_SQL, [texts.map((e) => e.id)]);
    const byId = new Map(rows.map((r) => [r.eventId, r]));
    const held = new Set<string>();
    const plans: NonNullable<ReturnType<typeof plainThreadPost>>[] = [];
    for (const event of texts) {
      const phone = String((event.payload as Partial<InboundSms> | null)?.from ?? "");
      if (held.has(phone)) continue;
      const row = byId.get(event.id);
      const plan = row ? plainThreadPost(deps, row) : null;
      // Not plain, or taken by another process: this voter's later texts wait for it.
      if (!plan) held.add(phone);
      else plans.push(plan);
    }
    if (plans.length === 0) return new Set<string>();
    await enqueueSlackPostsSql(
      tx,
      plans.map((p) => p.post),
    );
    await tx.query(JOIN_ALL_SQL, [
      JSON.stringify(plans.map(({ messageId, conversationId, eventId }) => ({ messageId, conversationId, eventId }))),
      deps.clock(),
    ]);
    return new Set(plans.map((p) => p.eventId));
  });
}
