import type { SqlTransaction, Tx } from "../db/database";
import { prepared } from "../db/prepared";
import { classifyReply, isTwilioKeyword } from "../domain/opt-out";
import { maskPhone } from "../domain/phone";
import { queueAutoReply, sendRecordedReply, type ReplyRecipient } from "./auto-replies";
import {
  nameOf,
  noteInThread,
  postInThread,
  refreshThreadRoot,
  type ConversationDeps,
  type ConversationRow,
  type HelpNotSent,
  type OptOutConfirmation,
  type ThreadNote,
} from "./conversation-threads";
import type { CarrierKeyword, InboundSms } from "./inbound-sms";
import { isSuppressed, lockPhone, recordOptIn, recordOptOut } from "./opt-outs";
import { enqueueSlackPost, enqueueSlackPostSql, type SlackPost } from "./slack-outbox";
import { enqueueWebhook, enqueueWebhookSql, type WebhookEventInput } from "./webhooks";

/*
 * A voter's text, stored once by the webhook, is processed once here: read for opt-out, opt-in and
 * help, joined to the contact's latest conversation, and queued for Slack (its thread, or the
 * unmatched channel). An opt-out is recorded first, in its own small transaction, so nothing that
 * fails later (a thread that cannot be posted to, say) can undo it; every other effect commits in
 * the transaction that marks the event processed, so a crash or a repeated delivery neither loses
 * nor doubles anything.
 */

export interface InboundRow {
  eventId: string;
  payload: Partial<InboundSms>;
  optOutRecorded: OptOutConfirmation | null;
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
// contact, their latest conversation and its campaign. `events` names the InboundEvent rows read.
const inboundRowsFrom = (events: string) => `
  SELECT e.id AS "eventId", e.payload, e."optOutRecorded", m.id AS "messageId", m."fromPhone", m.body, m."mediaUrls", m."contactId",
    ct."firstName", ct."lastName",
    cv.id AS "conversationId", cv."campaignId", cv."slackChannelId", cv."slackThreadTs", cv."rootOutboxId", cv.tags, cv.assignee, cv."followUpAt",
    camp."senderIdentity", camp."helpText"
  FROM ${events} e
  LEFT JOIN "Message" m ON m."twilioSid" = e."externalId"
  LEFT JOIN "Contact" ct ON ct.id = m."contactId"
  LEFT JOIN LATERAL (SELECT * FROM "Conversation" c WHERE c."contactId" = m."contactId" ORDER BY c."updatedAt" DESC LIMIT 1) cv ON true
  LEFT JOIN "Campaign" camp ON camp.id = cv."campaignId"
`;
const INBOUND_ROW_SQL = prepared(`${inboundRowsFrom(`"InboundEvent"`)}
  WHERE e.id = $1::uuid AND e.source = 'twilio.sms' AND e."processedAt" IS NULL
  FOR UPDATE OF e SKIP LOCKED`);
/**
 * The same rows for the oldest $1 texts waiting, oldest first (see inbound-text-batch.ts). The
 * events are taken and locked first, then joined: joining every waiting text before the limit
 * made each batch cost as much as the whole backlog.
 */
export const INBOUND_ROWS_SQL = prepared(`WITH e AS MATERIALIZED (
    SELECT id, payload, "optOutRecorded", "externalId", "receivedAt" FROM "InboundEvent"
    WHERE source = 'twilio.sms' AND "processedAt" IS NULL AND "failedAt" IS NULL
    ORDER BY "receivedAt", id
    LIMIT $1
    FOR UPDATE SKIP LOCKED)
  ${inboundRowsFrom("e")}
  ORDER BY e."receivedAt", e.id`);

// The voter spoke: their conversation waits on a volunteer from this text on, unless it already
// waited or they opted out ($5), until someone answers in the thread.
const JOIN_CONVERSATION_SQL = prepared(`
  WITH joined AS (UPDATE "Message" SET "conversationId" = $2::uuid, "updatedAt" = $3 WHERE id = $1::uuid),
       touched AS (UPDATE "Conversation" SET "updatedAt" = $3,
         "waitingSince" = CASE WHEN $5::boolean THEN "waitingSince" ELSE COALESCE("waitingSince", $3) END
         WHERE id = $2::uuid)
  UPDATE "InboundEvent" SET "processedAt" = $3 WHERE id = $4::uuid`);

/** What a voter's text asks, read once for processing and for the report when it is set aside. */
export function readVoterText(body: string, carrierKeyword: CarrierKeyword | null | undefined) {
  return {
    classification: carrierKeyword ?? classifyReply(body),
    // The carrier answers its own keywords; our confirmation on top would fail with 21610.
    carrierAnswered: Boolean(carrierKeyword) || isTwilioKeyword(body),
  };
}

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
 * in the same transaction as every effect). Every reply is read for opt-out, not only the first;
 * an opt-out is recorded (and its confirmation queued) in a first transaction of its own.
 */
export async function processInboundText(deps: ConversationDeps, eventId: string): Promise<InboundOutcome> {
  const plain = await deps.db.sql.transaction((tx) => plainTextInOpenThread(tx, deps, eventId));
  if (plain) return plain;
  const replies: string[] = [];
  for (;;) {
    const pass = await deps.db.prisma.$transaction((tx) => processingPass(tx, deps, eventId));
    for (const reply of pass.replies) await sendRecordedReply(deps, reply);
    replies.push(...pass.replies);
    // The opt-out is committed: the rest of the processing follows in its own transaction.
    if (pass.kind !== "opt-out-recorded") return { ...pass, replies };
  }
}

/**
 * The `reply` event a voter's text is reported as, when outgoing webhooks are set up. Without them
 * none is written: nothing would send it, and a URL set later is not sent texts from before it.
 */
function replyEvent(
  deps: Pick<ConversationDeps, "webhooksSetUp">,
  event: Omit<WebhookEventInput, "type">,
): WebhookEventInput | null {
  return deps.webhooksSetUp ? { type: "reply", ...event } : null;
}

/**
 * The common case, on the plain-SQL path like a Send click: a text that asks nothing (no opt-out,
 * opt-in or help) from a voter whose thread is open. Its effects are one post in the thread and
 * the message joining its conversation; null for anything else, which goes through `processingPass`.
 */
export function plainThreadPost(
  deps: Pick<ConversationDeps, "render" | "webhooksSetUp">,
  row: InboundRow,
  now: Date,
): {
  post: Omit<SlackPost, "parentId">;
  /** Reported to WEBHOOK_URL with the processing, as processingPass does (null: webhooks not set up). */
  webhook: WebhookEventInput | null;
  messageId: string;
  conversationId: string;
  eventId: string;
} | null {
  if (!row.messageId || !row.conversationId || !row.slackChannelId || !row.slackThreadTs) return null;
  const body = row.body ?? "";
  if (readVoterText(body, row.payload.carrierKeyword).classification !== null) return null;
  const contact = row.contactId ? { firstName: row.firstName, lastName: row.lastName } : null;
  const text = deps.render.voterText({
    contactName: nameOf(contact, row.fromPhone!),
    body,
    mediaUrls: row.mediaUrls ?? [],
  });
  return {
    post: {
      channel: row.slackChannelId,
      method: "chat.postMessage",
      args: { ...text, thread_ts: row.slackThreadTs },
      dedupeKey: `sms:${row.messageId}`,
    },
    webhook: replyEvent(deps, {
      phone: row.fromPhone!,
      campaignId: row.campaignId,
      data: { messageId: row.messageId, body, mediaUrls: row.mediaUrls ?? [], asked: null },
      at: now,
    }),
    messageId: row.messageId,
    conversationId: row.conversationId,
    eventId: row.eventId,
  };
}

async function plainTextInOpenThread(
  tx: SqlTransaction,
  deps: ConversationDeps,
  eventId: string,
): Promise<InboundOutcome | null> {
  const [row] = await tx.query<InboundRow>(INBOUND_ROW_SQL, [eventId]);
  if (!row) return { kind: "already-processed", classification: null, replies: [] };
  const now = deps.clock();
  const plan = plainThreadPost(deps, row, now);
  if (!plan) return null;
  if (plan.webhook) await enqueueWebhookSql(tx, plan.webhook);
  await enqueueSlackPostSql(tx, plan.post);
  await tx.queryAndCommit(JOIN_CONVERSATION_SQL, [plan.messageId, plan.conversationId, now, plan.eventId, false]);
  return { kind: "threaded", classification: null, replies: [] };
}

/** One transaction over the event: its opt-out alone when one is still to record, else everything. */
async function processingPass(
  tx: Tx,
  deps: ConversationDeps,
  eventId: string,
): Promise<InboundOutcome | { kind: "opt-out-recorded"; replies: string[] }> {
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
  const { classification, carrierAnswered } = readVoterText(message.body, row.payload.carrierKeyword);
  const conversation = conversationOf(row);
  const to = { phone: message.phone, contactId: row.contactId, conversationId: conversation?.id ?? null };
  const campaign = conversation?.campaignId ? { senderIdentity: row.senderIdentity, helpText: row.helpText } : null;
  if (classification === "opt-out" && row.optOutRecorded === null) {
    const reply = await recordTextOptOut(tx, deps, {
      eventId: row.eventId,
      to,
      body: message.body,
      carrierAnswered,
      campaign,
      now,
    });
    return { kind: "opt-out-recorded", replies: reply ? [reply] : [] };
  }
  const { notes, replies } = await answerKeywords(tx, deps, {
    classification,
    optOutRecorded: row.optOutRecorded,
    carrierAnswered,
    to,
    campaign,
  });

  // Reported with the processing that marks the event done, so a receiver hears of each text once.
  const reply = replyEvent(deps, {
    phone: message.phone,
    campaignId: conversation?.campaignId ?? null,
    data: { messageId: message.id, body: message.body, mediaUrls: message.mediaUrls, asked: classification },
    at: now,
  });
  if (reply) await enqueueWebhook(tx, reply);
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
}

/**
 * The opt-out in a voter's text, in its own transaction: the number is suppressed, the voter's
 * confirmation is queued when our reading (not Twilio's keyword) added a new opt-out, and the event
 * remembers it, so a retry neither records it again nor confirms twice. Returns the confirmation to send.
 */
async function recordTextOptOut(
  tx: Tx,
  deps: ConversationDeps,
  input: {
    eventId: string;
    to: ReplyRecipient;
    body: string;
    carrierAnswered: boolean;
    campaign: { senderIdentity: string | null } | null;
    now: Date;
  },
): Promise<string | null> {
  const { to, carrierAnswered, campaign } = input;
  const added = await recordOptOut(
    tx,
    to.phone,
    carrierAnswered ? "keyword" : "reply_phrase",
    input.body.slice(0, 500),
    input.now,
  );
  let reply: string | null = null;
  if (added && !carrierAnswered) {
    const who = campaign?.senderIdentity ? ` from ${campaign.senderIdentity.replace(/[.!]+$/, "")}` : "";
    reply = await queueAutoReply(tx, deps, to, `You're unsubscribed and will get no more texts${who}.`);
  }
  const confirmation: OptOutConfirmation = !added ? "none" : carrierAnswered ? "carrier" : reply ? "sent" : "held-back";
  await tx.inboundEvent.update({ where: { id: input.eventId }, data: { optOutRecorded: confirmation } });
  return reply;
}

/**
 * The last chance for the opt-out in a voter's text the inbox set aside: recorded now if the
 * processing never got to it. Null when the text asks for no opt-out; "not-recorded" must be told loudly.
 */
export async function secureSetAsideOptOut(
  deps: Pick<ConversationDeps, "db" | "clock">,
  eventId: string,
): Promise<"recorded" | "not-recorded" | null> {
  const event = await deps.db.prisma.inboundEvent.findUnique({
    where: { id: eventId },
    select: { payload: true, optOutRecorded: true },
  });
  const sms = (event?.payload ?? {}) as Partial<InboundSms>;
  const { classification, carrierAnswered } = readVoterText(String(sms.body ?? ""), sms.carrierKeyword);
  if (classification !== "opt-out") return null;
  if (event?.optOutRecorded) return "recorded";
  if (typeof sms.from !== "string" || !sms.from) return "not-recorded";
  const phone = sms.from;
  try {
    await deps.db.prisma.$transaction(async (tx) => {
      const source = carrierAnswered ? "keyword" : "reply_phrase";
      await recordOptOut(tx, phone, source, String(sms.body).slice(0, 500), deps.clock());
      // No confirmation from here: the voter hears only what the carrier told them.
      await tx.inboundEvent.update({ where: { id: eventId }, data: { optOutRecorded: "none" } });
    });
    return "recorded";
  } catch {
    return "not-recorded";
  }
}

/** Opt-out, opt-in and help, answered: what to note for the volunteers, and which recorded texts to send. */
async function answerKeywords(
  tx: Tx,
  deps: ConversationDeps,
  input: {
    classification: InboundOutcome["classification"];
    /** How the voter was told of the opt-out already recorded for this text. */
    optOutRecorded: OptOutConfirmation | null;
    /** Twilio answered the text's keyword itself (STOP, START, HELP and their kin). */
    carrierAnswered: boolean;
    to: ReplyRecipient;
    campaign: { senderIdentity: string | null; helpText: string | null } | null;
  },
): Promise<{ notes: ThreadNote[]; replies: string[] }> {
  const { classification, to, campaign } = input;
  const notes: ThreadNote[] = [];
  const replies: string[] = [];
  if (classification === "opt-out") {
    notes.push({ kind: "opted-out", confirmation: input.optOutRecorded ?? "none" });
  } else if (classification === "opt-in") {
    const result = await recordOptIn(tx, to.phone, deps.clock());
    if (result === "locked") notes.push({ kind: "opt-in-refused" });
    if (result === "opted-in") notes.push({ kind: "opted-in" });
  } else if (classification === "help") {
    const why = await helpNotSent(tx, to.phone, input.carrierAnswered);
    const helpText = campaign?.helpText ?? "Reply STOP to opt out.";
    const reply = why ? null : await queueAutoReply(tx, deps, to, helpText);
    if (reply) {
      replies.push(reply);
      notes.push({ kind: "help-sent", helpText });
    } else notes.push({ kind: "help-not-sent", why: why ?? "limit" });
  }
  return { notes, replies };
}

/** Why a request for help gets no answer from the app, if it gets none; takes the phone lock to decide. */
async function helpNotSent(tx: Tx, phone: string, carrierAnswered: boolean): Promise<HelpNotSent | null> {
  // Twilio already sent its own help text: ours on top would be a second answer to one question.
  if (carrierAnswered) return "carrier-answered";
  await lockPhone(tx, phone);
  if (await isSuppressed(tx, phone)) return "opted-out";
  return null;
}
