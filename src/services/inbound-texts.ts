import type { Tx } from "../db/database";
import { prepared } from "../db/prepared";
import { classifyReply, isTwilioKeyword } from "../domain/opt-out";
import { maskPhone } from "../domain/phone";
import { queueAutoReply, sendRecordedReply } from "./auto-replies";
import {
  nameOf,
  noteInThread,
  postInThread,
  refreshThreadRoot,
  type ConversationDeps,
  type ConversationRow,
  type ThreadNote,
} from "./conversation-threads";
import type { InboundSms } from "./inbound-sms";
import { recordOptIn, recordOptOut } from "./opt-outs";
import { enqueueSlackPost } from "./slack-outbox";

/*
 * A voter's text, stored once by the webhook, is processed once here: read for opt-out, opt-in and
 * help, joined to the contact's latest conversation, and queued for Slack (its thread, or the
 * unmatched channel). Every effect commits in the transaction that marks the event processed, so
 * a crash or a repeated delivery neither loses nor doubles anything.
 */

interface InboundRow {
  eventId: string;
  payload: Partial<InboundSms>;
  messageId: string | null;
  fromPhone: string | null;
  body: string | null;
  mediaUrls: string[] | null;
  contactId: string | null;
  firstName: string | null;
  lastName: string | null;
  conversationId: string | null;
  campaignId: string | null;
  slackChannelId: string | null;
  slackThreadTs: string | null;
  rootOutboxId: string | null;
  tags: string[] | null;
  assignee: string | null;
  followUpAt: Date | null;
  senderIdentity: string | null;
  helpText: string | null;
}

// One read: the locked event, its message (the event's key is the carrier's message id), the
// contact, their latest conversation and its campaign.
const INBOUND_ROW_SQL = prepared(`
  SELECT e.id AS "eventId", e.payload, m.id AS "messageId", m."fromPhone", m.body, m."mediaUrls", m."contactId",
    ct."firstName", ct."lastName",
    cv.id AS "conversationId", cv."campaignId", cv."slackChannelId", cv."slackThreadTs", cv."rootOutboxId", cv.tags, cv.assignee, cv."followUpAt",
    camp."senderIdentity", camp."helpText"
  FROM "InboundEvent" e
  LEFT JOIN "Message" m ON m."twilioSid" = e."externalId"
  LEFT JOIN "Contact" ct ON ct.id = m."contactId"
  LEFT JOIN LATERAL (SELECT * FROM "Conversation" c WHERE c."contactId" = m."contactId" ORDER BY c."updatedAt" DESC LIMIT 1) cv ON true
  LEFT JOIN "Campaign" camp ON camp.id = cv."campaignId"
  WHERE e.id = $1::uuid AND e.source = 'twilio.sms' AND e."processedAt" IS NULL
  FOR UPDATE OF e SKIP LOCKED`);

// The voter spoke: their conversation waits on a volunteer from this text on, unless it already
// waited or they opted out ($5), until someone answers in the thread.
const JOIN_CONVERSATION_SQL = prepared(`
  WITH joined AS (UPDATE "Message" SET "conversationId" = $2::uuid, "updatedAt" = $3 WHERE id = $1::uuid),
       touched AS (UPDATE "Conversation" SET "updatedAt" = $3,
         "waitingSince" = CASE WHEN $5::boolean THEN "waitingSince" ELSE COALESCE("waitingSince", $3) END
         WHERE id = $2::uuid)
  UPDATE "InboundEvent" SET "processedAt" = $3 WHERE id = $4::uuid`);

export interface InboundOutcome {
  kind: "threaded" | "unmatched" | "already-processed";
  classification: "opt-out" | "opt-in" | "help" | null;
  /** Outbound messages to send now that the transaction committed (help text, opt-out confirmation). */
  replies: string[];
}

const conversationOf = (row: InboundRow): ConversationRow | null =>
  row.conversationId
    ? {
        id: row.conversationId,
        campaignId: row.campaignId,
        contactId: row.contactId!,
        slackChannelId: row.slackChannelId,
        slackThreadTs: row.slackThreadTs,
        rootOutboxId: row.rootOutboxId,
        tags: row.tags ?? [],
        assignee: row.assignee,
        followUpAt: row.followUpAt,
      }
    : null;

/**
 * Processes one stored inbound text exactly once (the event row is locked and marked processed
 * in the same transaction as every effect). Every reply is read for opt-out, not only the first.
 */
export async function processInboundText(deps: ConversationDeps, eventId: string): Promise<InboundOutcome> {
  const outcome = await deps.db.prisma.$transaction(async (tx): Promise<InboundOutcome> => {
    const [row] = await tx.$queryRawUnsafe<InboundRow[]>(INBOUND_ROW_SQL, eventId);
    if (!row) return { kind: "already-processed", classification: null, replies: [] };
    const now = deps.clock();
    if (!row.messageId) {
      deps.logger.error(
        { event: row.eventId, sid: row.payload.sid },
        "inbound event without its message; marked processed",
      );
      await tx.inboundEvent.update({ where: { id: row.eventId }, data: { processedAt: now } });
      return { kind: "already-processed", classification: null, replies: [] };
    }
    const message = { id: row.messageId, phone: row.fromPhone!, body: row.body ?? "", mediaUrls: row.mediaUrls ?? [] };
    const carrierKeyword = row.payload.carrierKeyword ?? null;
    const classification = carrierKeyword ?? classifyReply(message.body);
    const conversation = conversationOf(row);
    const to = { phone: message.phone, contactId: row.contactId, conversationId: conversation?.id ?? null };
    const campaign = conversation?.campaignId ? { senderIdentity: row.senderIdentity, helpText: row.helpText } : null;
    // The carrier answers its own keywords; our confirmation on top would fail with 21610.
    const carrierAnswered = carrierKeyword !== null || isTwilioKeyword(message.body);
    const { notes, replies } = await answerKeywords(tx, deps, {
      classification,
      carrierAnswered,
      to,
      campaign,
      body: message.body,
      now,
    });

    const contact = row.contactId ? { firstName: row.firstName, lastName: row.lastName } : null;
    if (!conversation) {
      if (deps.unmatchedChannel) {
        await enqueueSlackPost(tx, {
          channel: deps.unmatchedChannel,
          method: "chat.postMessage",
          args: deps.render.unmatched({
            maskedPhone: maskPhone(message.phone),
            contactName: contact ? nameOf(contact, message.phone) : null,
            body: message.body,
            mediaUrls: message.mediaUrls,
            reason: row.contactId ? "no-conversation" : "not-a-contact",
            notes,
          }),
          dedupeKey: `sms:${message.id}`,
        });
      } else {
        deps.logger.warn(
          { message: message.id },
          "inbound text with no conversation and no SLACK_UNMATCHED_CHANNEL: kept in the database only",
        );
      }
      await tx.inboundEvent.update({ where: { id: row.eventId }, data: { processedAt: now } });
      return { kind: "unmatched", classification, replies };
    }

    const voterText = deps.render.voterText({
      contactName: nameOf(contact, message.phone),
      body: message.body,
      mediaUrls: message.mediaUrls,
    });
    await postInThread(tx, deps, conversation, voterText, `sms:${message.id}`);
    for (const [i, note] of notes.entries())
      await noteInThread(tx, deps, conversation, note, `sms-note:${message.id}:${i}`);
    if (classification === "opt-out" || classification === "opt-in")
      await refreshThreadRoot(tx, deps, conversation.id, `thread-root-update:${message.id}`);
    // The message joins its conversation, which moves up, and the event is done: one statement.
    const optedOut = classification === "opt-out";
    await tx.$executeRawUnsafe(JOIN_CONVERSATION_SQL, message.id, conversation.id, now, row.eventId, optedOut);
    return { kind: "threaded", classification, replies };
  });
  for (const reply of outcome.replies) await sendRecordedReply(deps, reply);
  return outcome;
}

/** Opt-out, opt-in and help, answered: what to note for the volunteers, and which recorded texts to send. */
async function answerKeywords(
  tx: Tx,
  deps: ConversationDeps,
  input: {
    classification: InboundOutcome["classification"];
    carrierAnswered: boolean;
    to: { phone: string; contactId: string | null; conversationId: string | null };
    campaign: { senderIdentity: string | null; helpText: string | null } | null;
    body: string;
    now: Date;
  },
): Promise<{ notes: ThreadNote[]; replies: string[] }> {
  const { classification, carrierAnswered, to, campaign } = input;
  const notes: ThreadNote[] = [];
  const replies: string[] = [];
  if (classification === "opt-out") {
    const source = carrierAnswered ? "keyword" : "reply_phrase";
    const added = await recordOptOut(tx, to.phone, source, input.body.slice(0, 500), input.now);
    notes.push({ kind: "opted-out", confirmedByCarrier: carrierAnswered });
    if (added && !carrierAnswered) {
      const who = campaign?.senderIdentity ? ` from ${campaign.senderIdentity.replace(/[.!]+$/, "")}` : "";
      replies.push(await queueAutoReply(tx, deps, to, `You're unsubscribed and will get no more texts${who}.`));
    }
  } else if (classification === "opt-in") {
    const result = await recordOptIn(tx, to.phone);
    if (result === "locked") notes.push({ kind: "opt-in-refused" });
    if (result === "opted-in") notes.push({ kind: "opted-in" });
  } else if (classification === "help") {
    const helpText = campaign?.helpText ?? "Reply STOP to opt out.";
    replies.push(await queueAutoReply(tx, deps, to, helpText));
    notes.push({ kind: "help-sent", helpText });
  }
  return { notes, replies };
}
