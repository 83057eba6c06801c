import type { Database } from "../db/database";
import type { Prisma } from "../db/generated/client";
import { newId } from "../db/ids";
import { prepared } from "../db/prepared";
import { classifyReply, isTwilioKeyword } from "../domain/opt-out";
import { sendFailureAdvice } from "../domain/twilio-errors";
import { maskPhone } from "../domain/phone";
import {
  isWithinSendWindow,
  localTimeLabel,
  nextWindowOpening,
  storedPolicyOrDefault,
  windowClosesAt,
} from "../domain/quiet-hours";
import { escapeForSlack, quoteForSlack, slackToPlainText } from "../domain/slack-text";
import { measureSms } from "../domain/sms-length";
import type { Logger } from "../logger";
import { enqueueSlackPost, type SlackPost } from "./slack-outbox";
import type { SmsGateway } from "./sms-gateway";
import { lockPhone, recordOptOut } from "./opt-outs";
import { CLAIMED, NOT_SENT, recordAccepted, UNCONFIRMED } from "./texting";

/*
 * Voter conversations. An inbound text (stored once by the webhook) is processed once, here: it is
 * read for opt-out, opt-in and help, joined to the contact's conversation, and queued for Slack:
 * a thread opens in the campaign's channel on the voter's first reply (not on send: most never
 * reply), and every later reply follows in it. A volunteer's reply in the thread goes out as one
 * SMS. Each event's effects (opt-out, Slack posts, replies to send) commit in the transaction that
 * marks it processed, so a crash or a repeated delivery neither loses nor doubles anything.
 * Slack formatting is not known here: a ThreadRenderer (the Slack layer) turns views into posts.
 */

/** A Slack message as the outbox sends it (Web API arguments, minus the channel). */
export type SlackMessageJson = Prisma.InputJsonObject & { text: string };

export interface ThreadView {
  conversationId: string;
  campaignName: string | null;
  contactName: string;
  maskedPhone: string;
  tags: string[];
  assignee: string | null;
  optedOut: boolean;
  followUpAt: Date | null;
  /** The first text the campaign sent, as the voter got it. */
  firstText: string | null;
  outcomeTag: string | null;
  cannedReplies: { id: string; title: string }[];
}

export interface ThreadRenderer {
  root(view: ThreadView): SlackMessageJson;
  /** A voter's text, posted under their name. */
  voterText(view: { contactName: string; body: string; mediaUrls: string[] }): SlackMessageJson;
  /** A short line from the app in the thread (opt-out recorded, reply not sent, …). */
  note(text: string): SlackMessageJson;
  /** A text no conversation claims, for the unmatched channel. */
  unmatched(view: {
    maskedPhone: string;
    contactName: string | null;
    body: string;
    mediaUrls: string[];
    why: string;
  }): SlackMessageJson;
  /** A voter's text the inbox had to set aside, for the unmatched channel. */
  setAside(view: { maskedPhone: string; body: string; why: string }): SlackMessageJson;
}

export interface ConversationDeps {
  db: Database;
  sms: SmsGateway;
  /** The number or Messaging Service texts go out from, stored on each message. */
  sender: string;
  clock: () => Date;
  render: ThreadRenderer;
  /** Where texts with no conversation go; null keeps them in the database only. */
  unmatchedChannel: string | null;
  logger: Logger;
}

type Tx = Prisma.TransactionClient;

/** Settle hook name: stores the thread's ts on its conversation once Slack posted the root. */
export const THREAD_ROOT_HOOK = "conversation-thread";

export const threadRootSettled = async (
  tx: Tx,
  s: { ref: string | null; channel: string; ts: string | null; outcome: "sent" | "failed" },
): Promise<void> => {
  if (s.outcome !== "sent" || !s.ref || !s.ts) return;
  await tx.conversation.update({ where: { id: s.ref }, data: { slackChannelId: s.channel, slackThreadTs: s.ts } });
};

interface ConversationRow {
  id: string;
  campaignId: string | null;
  contactId: string;
  slackChannelId: string | null;
  slackThreadTs: string | null;
  rootOutboxId: string | null;
  tags: string[];
  assignee: string | null;
  followUpAt: Date | null;
}

const CONVERSATION_FIELDS = {
  id: true,
  campaignId: true,
  contactId: true,
  slackChannelId: true,
  slackThreadTs: true,
  rootOutboxId: true,
  tags: true,
  assignee: true,
  followUpAt: true,
} as const;

const nameOf = (c: { firstName: string | null; lastName: string | null } | null, phone: string) =>
  [c?.firstName, c?.lastName].filter(Boolean).join(" ") || maskPhone(phone);

/** The thread's current picture, for its root message. */
export async function threadView(db: Tx | Database["prisma"], conversationId: string): Promise<ThreadView | null> {
  // One statement: inside a transaction, Prisma's nested reads would run in parallel on one
  // connection, which pg deprecates (and pg@9 refuses).
  const [c] = await db.$queryRawUnsafe<
    {
      id: string;
      tags: string[];
      assignee: string | null;
      followUpAt: Date | null;
      phone: string;
      firstName: string | null;
      lastName: string | null;
      campaignName: string | null;
      outcomeTag: string | null;
      cannedReplies: { id: string; title: string }[] | null;
      firstText: string | null;
      optedOut: boolean;
    }[]
  >(
    `SELECT cv.id, cv.tags, cv.assignee, cv."followUpAt", ct.phone, ct."firstName", ct."lastName",
       camp.name AS "campaignName", camp."goalOutcomeTag" AS "outcomeTag",
       (SELECT json_agg(json_build_object('id', r.id, 'title', r.title) ORDER BY r.title)
          FROM (SELECT id, title FROM "CannedReply" WHERE "campaignId" = cv."campaignId" ORDER BY title LIMIT 100) r) AS "cannedReplies",
       (SELECT m.body FROM "Message" m WHERE m."conversationId" = cv.id AND m.direction = 'outbound' AND m.initiated ORDER BY m."createdAt" LIMIT 1) AS "firstText",
       EXISTS (SELECT 1 FROM "OptOut" o WHERE o.phone = ct.phone) AS "optedOut"
     FROM "Conversation" cv JOIN "Contact" ct ON ct.id = cv."contactId" LEFT JOIN "Campaign" camp ON camp.id = cv."campaignId"
     WHERE cv.id = $1::uuid`,
    conversationId,
  );
  if (!c) return null;
  return {
    conversationId: c.id,
    campaignName: c.campaignName,
    contactName: nameOf(c, c.phone),
    maskedPhone: maskPhone(c.phone),
    tags: c.tags,
    assignee: c.assignee,
    optedOut: c.optedOut,
    followUpAt: c.followUpAt ? new Date(c.followUpAt) : null,
    firstText: c.firstText,
    outcomeTag: c.outcomeTag,
    cannedReplies: c.cannedReplies ?? [],
  };
}

/** Where a conversation's thread lives: the campaign's channel, else the unmatched one. */
async function threadChannel(tx: Tx, deps: ConversationDeps, conversation: ConversationRow): Promise<string | null> {
  if (conversation.slackChannelId) return conversation.slackChannelId;
  const campaign = conversation.campaignId
    ? await tx.campaign.findUnique({ where: { id: conversation.campaignId }, select: { conversationChannelId: true } })
    : null;
  return campaign?.conversationChannelId ?? deps.unmatchedChannel;
}

/**
 * Queues `message` in the conversation's thread, opening the thread first when it has none: the
 * root is queued and replies name it as their parent, so they follow it before Slack answers.
 */
async function postInThread(
  tx: Tx,
  deps: ConversationDeps,
  conversation: ConversationRow,
  message: SlackMessageJson,
  dedupeKey: string,
): Promise<boolean> {
  const channel = await threadChannel(tx, deps, conversation);
  if (!channel) {
    deps.logger.warn({ conversation: conversation.id }, "conversation has no Slack channel: kept in the database only");
    return false;
  }
  let parent: Pick<SlackPost, "parentId"> | { args: { thread_ts: string } };
  if (conversation.slackThreadTs) parent = { args: { thread_ts: conversation.slackThreadTs } };
  else {
    let rootId = conversation.rootOutboxId;
    if (!rootId) {
      const view = await threadView(tx, conversation.id);
      const root = await enqueueSlackPost(tx, {
        channel,
        method: "chat.postMessage",
        args: deps.render.root(view!),
        dedupeKey: `thread-root:${conversation.id}`,
        onSettled: { hook: THREAD_ROOT_HOOK, ref: conversation.id },
      });
      rootId = root.id;
      await tx.conversation.update({ where: { id: conversation.id }, data: { rootOutboxId: rootId } });
      conversation.rootOutboxId = rootId;
    }
    parent = { parentId: rootId };
  }
  const args = "args" in parent ? { ...message, ...parent.args } : message;
  await enqueueSlackPost(tx, {
    channel,
    method: "chat.postMessage",
    args,
    dedupeKey,
    ...("parentId" in parent ? { parentId: parent.parentId } : {}),
  });
  return true;
}

/** Redraws the thread's root (tags, assignee, opt-out) in place. */
export async function refreshThreadRoot(
  tx: Tx,
  deps: Pick<ConversationDeps, "render" | "logger">,
  conversationId: string,
  dedupeKey: string,
): Promise<void> {
  const conversation = await tx.conversation.findUnique({ where: { id: conversationId }, select: CONVERSATION_FIELDS });
  if (!conversation?.slackChannelId && !conversation?.rootOutboxId) return;
  const view = await threadView(tx, conversationId);
  const message = deps.render.root(view!);
  if (conversation.slackChannelId && conversation.slackThreadTs) {
    await enqueueSlackPost(tx, {
      channel: conversation.slackChannelId,
      method: "chat.update",
      args: { ...message, ts: conversation.slackThreadTs },
      dedupeKey,
    });
    return;
  }
  const root = await tx.slackOutbox.findUnique({
    where: { id: conversation.rootOutboxId! },
    select: { channel: true },
  });
  if (root)
    await enqueueSlackPost(tx, {
      channel: root.channel,
      method: "chat.update",
      args: message,
      parentId: conversation.rootOutboxId!,
      dedupeKey,
    });
}

/** Texts the app sends on its own in a conversation (help, opt-out confirmation), recorded before they go. */
async function queueAutoReply(
  tx: Tx,
  deps: ConversationDeps,
  to: { phone: string; contactId: string | null; conversationId: string | null },
  body: string,
): Promise<string> {
  const id = newId();
  await tx.message.create({
    data: {
      id,
      direction: "outbound",
      conversationId: to.conversationId,
      contactId: to.contactId,
      fromPhone: deps.sender,
      toPhone: to.phone,
      body,
      status: CLAIMED,
      initiated: false,
      segments: measureSms(body).segments,
      createdAt: deps.clock(),
    },
  });
  return id;
}

/** Sends a recorded reply; an unknown outcome is left for reconciliation, never resent. */
export async function sendRecordedReply(
  deps: Pick<ConversationDeps, "db" | "sms">,
  messageId: string,
  validityPeriodSeconds?: number,
): Promise<"sent" | "failed" | "unconfirmed"> {
  const message = await deps.db.prisma.message.findUnique({
    where: { id: messageId },
    select: { toPhone: true, body: true, status: true },
  });
  if (message?.status !== CLAIMED) return "failed";
  const result = await deps.sms.send({
    to: message.toPhone,
    body: message.body,
    ...(validityPeriodSeconds ? { validityPeriodSeconds } : {}),
  });
  if (result.outcome === "accepted") {
    await recordAccepted(deps.db, messageId, result);
    return "sent";
  }
  if (result.outcome === "unknown") {
    await deps.db.prisma.message.update({ where: { id: messageId }, data: { status: UNCONFIRMED } });
    return "unconfirmed";
  }
  await deps.db.prisma.$transaction(async (tx) => {
    await tx.message.update({ where: { id: messageId }, data: { status: NOT_SENT, errorCode: result.code } });
    // Twilio 21610: the carrier says this number opted out; no campaign may text it again.
    if (sendFailureAdvice(result.kind).recordOptOut)
      await recordOptOut(tx, message.toPhone, "carrier", `Twilio ${result.code ?? "21610"} on a reply`, new Date());
  });
  return "failed";
}

interface InboundRow {
  eventId: string;
  payload: Record<string, string>;
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

const INBOUND_ROW_SQL = prepared(`
  SELECT e.id AS "eventId", e.payload, m.id AS "messageId", m."fromPhone", m.body, m."mediaUrls", m."contactId",
    ct."firstName", ct."lastName",
    cv.id AS "conversationId", cv."campaignId", cv."slackChannelId", cv."slackThreadTs", cv."rootOutboxId", cv.tags, cv.assignee, cv."followUpAt",
    camp."senderIdentity", camp."helpText"
  FROM "InboundEvent" e
  LEFT JOIN "Message" m ON m."twilioSid" = e.payload ->> 'MessageSid'
  LEFT JOIN "Contact" ct ON ct.id = m."contactId"
  LEFT JOIN LATERAL (SELECT * FROM "Conversation" c WHERE c."contactId" = m."contactId" ORDER BY c."updatedAt" DESC LIMIT 1) cv ON true
  LEFT JOIN "Campaign" camp ON camp.id = cv."campaignId"
  WHERE e.id = $1::uuid AND e.source = 'twilio.sms' AND e."processedAt" IS NULL
  FOR UPDATE OF e SKIP LOCKED`);

export interface InboundOutcome {
  kind: "threaded" | "unmatched" | "already-processed";
  classification: "opt-out" | "opt-in" | "help" | null;
  /** Outbound messages to send now that the transaction committed (help text, opt-out confirmation). */
  replies: string[];
}

/**
 * Processes one stored inbound text exactly once (the event row is locked and marked processed
 * in the same transaction as every effect). Every reply is read for opt-out, not only the first.
 */
export async function processInboundText(deps: ConversationDeps, eventId: string): Promise<InboundOutcome> {
  const outcome = await deps.db.prisma.$transaction(async (tx): Promise<InboundOutcome> => {
    // One read: the locked event, its message, the contact, their latest conversation and its campaign.
    const [row] = await tx.$queryRawUnsafe<InboundRow[]>(INBOUND_ROW_SQL, eventId);
    if (!row) return { kind: "already-processed", classification: null, replies: [] };
    const now = deps.clock();
    const event = { id: row.eventId, payload: row.payload };
    if (!row.messageId) {
      deps.logger.error(
        { event: event.id, sid: row.payload.MessageSid },
        "inbound event without its message; marked processed",
      );
      await tx.inboundEvent.update({ where: { id: event.id }, data: { processedAt: now } });
      return { kind: "already-processed", classification: null, replies: [] };
    }
    const message = {
      id: row.messageId,
      fromPhone: row.fromPhone!,
      body: row.body ?? "",
      mediaUrls: row.mediaUrls ?? [],
      contactId: row.contactId,
    };
    const phone = message.fromPhone;
    const contact = row.contactId ? { firstName: row.firstName, lastName: row.lastName } : null;
    const twilioKind = (event.payload.OptOutType ?? "").toUpperCase();
    const classification =
      twilioKind === "STOP"
        ? "opt-out"
        : twilioKind === "START"
          ? "opt-in"
          : twilioKind === "HELP"
            ? "help"
            : classifyReply(message.body);
    // Twilio answers its own keywords; our confirmation on top would fail with 21610.
    const twilioAnswered = twilioKind !== "" || isTwilioKeyword(message.body);

    const conversation: ConversationRow | null = row.conversationId
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
    const replies: string[] = [];
    const notes: string[] = [];
    const campaign = conversation?.campaignId ? { senderIdentity: row.senderIdentity, helpText: row.helpText } : null;

    if (classification === "opt-out") {
      const added = await recordOptOut(
        tx,
        phone,
        twilioAnswered ? "keyword" : "reply_phrase",
        message.body.slice(0, 500),
        now,
      );
      notes.push(
        `:no_entry_sign: Opted out${twilioAnswered ? " (Twilio confirmed it to them)" : ""}: this number gets no more texts from any campaign.`,
      );
      if (added && !twilioAnswered) {
        const who = campaign?.senderIdentity ? ` from ${campaign.senderIdentity.replace(/[.!]+$/, "")}` : "";
        replies.push(
          await queueAutoReply(
            tx,
            deps,
            { phone, contactId: message.contactId, conversationId: conversation?.id ?? null },
            `You're unsubscribed and will get no more texts${who}.`,
          ),
        );
      }
    } else if (classification === "opt-in") {
      await lockPhone(tx, phone);
      const optOut = await tx.optOut.findUnique({ where: { phone }, select: { adminLock: true } });
      if (optOut?.adminLock)
        notes.push(":lock: They texted START, but an admin suppressed this number: it stays opted out.");
      else if (optOut) {
        await tx.optOut.delete({ where: { phone } });
        notes.push(":arrow_forward: Opted back in (START): campaigns may text this number again.");
      }
    } else if (classification === "help") {
      const help = campaign?.helpText ?? "Reply STOP to opt out.";
      replies.push(
        await queueAutoReply(
          tx,
          deps,
          { phone, contactId: message.contactId, conversationId: conversation?.id ?? null },
          help,
        ),
      );
      notes.push(`:information_source: They asked for help; the campaign's help text was sent: “${help}”`);
    }

    if (!conversation) {
      if (deps.unmatchedChannel) {
        const why = message.contactId ? "this contact has no campaign conversation" : "this number is not a contact";
        await enqueueSlackPost(tx, {
          channel: deps.unmatchedChannel,
          method: "chat.postMessage",
          args: deps.render.unmatched({
            maskedPhone: maskPhone(phone),
            contactName: contact ? nameOf(contact, phone) : null,
            body: message.body,
            mediaUrls: message.mediaUrls,
            why: [why, ...notes].join(" "),
          }),
          dedupeKey: `sms:${message.id}`,
        });
      } else {
        deps.logger.warn(
          { message: message.id },
          "inbound text with no conversation and no SLACK_UNMATCHED_CHANNEL: kept in the database only",
        );
      }
      await tx.inboundEvent.update({ where: { id: event.id }, data: { processedAt: now } });
      return { kind: "unmatched", classification, replies };
    }

    await postInThread(
      tx,
      deps,
      conversation,
      deps.render.voterText({ contactName: nameOf(contact, phone), body: message.body, mediaUrls: message.mediaUrls }),
      `sms:${message.id}`,
    );
    for (const [i, note] of notes.entries())
      await postInThread(tx, deps, conversation, deps.render.note(note), `sms-note:${message.id}:${i}`);
    if (classification === "opt-out" || classification === "opt-in")
      await refreshThreadRoot(tx, deps, conversation.id, `thread-root-update:${message.id}`);
    // The message joins its conversation, which moves up, and the event is done: one statement.
    await tx.$executeRawUnsafe(
      prepared(`WITH joined AS (UPDATE "Message" SET "conversationId" = $2::uuid, "updatedAt" = $3 WHERE id = $1::uuid),
            touched AS (UPDATE "Conversation" SET "updatedAt" = $3 WHERE id = $2::uuid)
       UPDATE "InboundEvent" SET "processedAt" = $3 WHERE id = $4::uuid`),
      message.id,
      conversation.id,
      now,
      event.id,
    );
    return { kind: "threaded", classification, replies };
  });
  for (const reply of outcome.replies) await sendRecordedReply(deps, reply);
  return outcome;
}

/** A volunteer's message in a Slack thread, as the Events API delivered it. */
export interface ThreadReplyEvent {
  channel: string;
  ts: string;
  threadTs: string;
  user: string;
  text: string;
  /** A canned reply picked from the thread's menu (plain text already; `ts` is the click's action_ts). */
  canned?: boolean;
  /** The reply shared a file: nothing is sent (Slack files are private, so they cannot go out as MMS). */
  files?: boolean;
}

/** Writes the durable inbox row for a volunteer's thread reply; false when Slack delivered it before. */
export async function recordThreadReply(db: Database, reply: ThreadReplyEvent): Promise<{ eventId: string } | null> {
  const [row] = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO "InboundEvent" (id, source, "externalId", payload) VALUES ($1::uuid, 'slack.reply', $2, $3::jsonb)
     ON CONFLICT (source, "externalId") DO NOTHING RETURNING id`,
    newId(),
    `${reply.channel}:${reply.ts}`,
    JSON.stringify(reply),
  );
  return row ? { eventId: row.id } : null;
}

export type ThreadReplyOutcome =
  "sent" | "not-a-conversation" | "blocked" | "failed" | "unconfirmed" | "already-processed";

/**
 * Sends a volunteer's thread reply as one SMS, exactly once: the inbox row is keyed on the Slack
 * message (channel + ts), locked and marked processed with the recorded text. Opted-out numbers
 * and closed sending hours stop it, with a note in the thread saying why. Mentions and Slack
 * formatting are turned into plain text first.
 */
export async function processThreadReply(
  deps: ConversationDeps,
  eventId: string,
  names: Record<string, string> = {},
): Promise<ThreadReplyOutcome> {
  const claimed = await deps.db.prisma.$transaction(async (tx) => {
    const [event] = await tx.$queryRawUnsafe<{ id: string; payload: ThreadReplyEvent }[]>(
      `SELECT id, payload FROM "InboundEvent" WHERE id = $1::uuid AND source = 'slack.reply' AND "processedAt" IS NULL FOR UPDATE SKIP LOCKED`,
      eventId,
    );
    if (!event) return { kind: "already-processed" as const };
    const now = deps.clock();
    const reply = event.payload;
    const done = () => tx.inboundEvent.update({ where: { id: event.id }, data: { processedAt: now } });
    const conversation = await tx.conversation.findUnique({
      where: { slackChannelId_slackThreadTs: { slackChannelId: reply.channel, slackThreadTs: reply.threadTs } },
      select: {
        ...CONVERSATION_FIELDS,
        contact: { select: { phone: true, zip: true, timeZone: true } },
        campaign: { select: { quietHoursPolicy: true } },
      },
    });
    if (!conversation) {
      await done();
      return { kind: "not-a-conversation" as const };
    }
    const note = async (text: string) => {
      await postInThread(tx, deps, conversation, deps.render.note(text), `reply-note:${reply.channel}:${reply.ts}`);
      await done();
      return { kind: "blocked" as const };
    };
    if (reply.files)
      return note(
        `<@${reply.user}>, files cannot be sent as texts yet: nothing went out. Reply with the words, and a public link to the picture if it matters.`,
      );
    const body = reply.canned ? reply.text.trim() : slackToPlainText(reply.text, names);
    if (!body) return note(`<@${reply.user}>, that reply has no text to send: nothing went out.`);
    if (body.length > 1600)
      return note(
        `<@${reply.user}>, that reply is ${body.length} characters; texts stop at 1,600. Nothing went out: shorten it and send again.`,
      );
    const phone = conversation.contact.phone;
    await lockPhone(tx, phone);
    if (await tx.optOut.findUnique({ where: { phone }, select: { phone: true } }))
      return note(`<@${reply.user}>, this voter opted out: nothing went out, and nothing ever will.`);
    const policy = storedPolicyOrDefault(conversation.campaign?.quietHoursPolicy);
    const recipient = { phone, zip: conversation.contact.zip };
    if (!isWithinSendWindow(recipient, now, policy)) {
      const opens = nextWindowOpening(recipient, now, policy);
      return note(
        `<@${reply.user}>, it is outside this voter's sending hours: nothing went out. Send it again after ${localTimeLabel(opens, conversation.contact.timeZone)}.`,
      );
    }
    const closes = windowClosesAt(recipient, now, policy);
    const id = newId();
    await tx.message.create({
      data: {
        id,
        direction: "outbound",
        conversationId: conversation.id,
        contactId: conversation.contactId,
        campaignId: conversation.campaignId,
        fromPhone: deps.sender,
        toPhone: phone,
        body,
        status: CLAIMED,
        sentBy: reply.user,
        initiated: false,
        segments: measureSms(body).segments,
        createdAt: now,
      },
    });
    await tx.conversation.update({
      where: { id: conversation.id },
      data: { updatedAt: now, assignee: conversation.assignee ?? reply.user },
    });
    await done();
    const validity = closes
      ? Math.max(1, Math.min(36_000, Math.floor((closes.getTime() - now.getTime()) / 1000)))
      : undefined;
    return { kind: "claimed" as const, messageId: id, validity, conversation, reply };
  });
  if (claimed.kind !== "claimed") return claimed.kind;
  const result = await sendRecordedReply(deps, claimed.messageId, claimed.validity);
  const { reply, conversation } = claimed;
  await deps.db.prisma.$transaction(async (tx) => {
    if (result === "sent" && reply.canned) {
      await postInThread(
        tx,
        deps,
        conversation,
        deps.render.note(`:white_check_mark: <@${reply.user}> sent a canned reply:\n${quoteForSlack(reply.text)}`),
        `reply-result:${reply.channel}:${reply.ts}`,
      );
    } else if (result === "sent") {
      await enqueueSlackPost(tx, {
        channel: reply.channel,
        method: "reactions.add",
        args: { name: "white_check_mark", timestamp: reply.ts, text: "sent" },
        dedupeKey: `reply-result:${reply.channel}:${reply.ts}`,
      });
    } else {
      const why =
        result === "unconfirmed"
          ? "Twilio did not confirm it; it will be checked before anything is sent again"
          : "Twilio did not take it; try again in a minute";
      await postInThread(
        tx,
        deps,
        conversation,
        deps.render.note(`:x: <@${reply.user}>, your reply was not sent: ${why}.`),
        `reply-result:${reply.channel}:${reply.ts}`,
      );
    }
  });
  return result;
}

/** Failed attempts, counted in the database, after which an event is set aside for a person to look at. */
export const MAX_INBOX_ATTEMPTS = 5;

/**
 * Works through the inbox: inbound texts and volunteer replies not processed yet, including
 * those a crashed process left behind. `wake()` after storing one makes it prompt.
 */
export class ConversationInbox {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** Not started yet, or stopped: nothing is scheduled. */
  private stopped = true;
  /** Stopping: a drain in progress finishes its current event and returns. */
  private stopping = false;

  constructor(
    private readonly deps: ConversationDeps,
    private readonly options: { pollMs?: number; names?: (userIds: string[]) => Promise<Record<string, string>> } = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.stopping = false;
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "conversation inbox failed"))
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.wake(), this.options.pollMs ?? 1_000);
          this.timer.unref();
        }
      });
  }

  /** Processes everything due, oldest first, until nothing is left. */
  async drain(): Promise<number> {
    let processed = 0;
    for (;;) {
      // Events that kept failing are set aside, so a few poison events never starve the rest.
      const due = await this.deps.db.prisma.inboundEvent.findMany({
        where: { processedAt: null, failedAt: null, source: { in: ["twilio.sms", "slack.reply"] } },
        orderBy: { receivedAt: "asc" },
        take: 50,
        select: { id: true, source: true, payload: true },
      });
      if (due.length === 0) return processed;
      let progressed = false;
      for (const event of due) {
        if (this.stopping) return processed;
        try {
          if (event.source === "twilio.sms") {
            if ((await processInboundText(this.deps, event.id)).kind !== "already-processed") progressed = true;
          } else {
            const reply = event.payload as unknown as ThreadReplyEvent;
            const mentioned = [...(reply.text ?? "").matchAll(/<@([A-Z0-9]+)>/g)].map((m) => m[1]!);
            const names =
              mentioned.length && this.options.names ? await this.options.names(mentioned).catch(() => ({})) : {};
            if ((await processThreadReply(this.deps, event.id, names)) !== "already-processed") progressed = true;
          }
          processed++;
        } catch (error) {
          await recordInboxFailure(this.deps, event, error).catch((failure: unknown) =>
            this.deps.logger.error(
              { err: failure, event: event.id },
              "could not record an inbox event's failure; it will be tried again",
            ),
          );
        }
      }
      // Everything left is locked by another process or failing: let the next tick retry.
      if (!progressed) return processed;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Counts a failed attempt at an inbox event. The MAX_INBOX_ATTEMPTS-th sets it aside: it stays
 * stored as it came, is no longer retried, and someone is told in Slack, so nothing a voter or a
 * volunteer sent is dropped in silence.
 */
async function recordInboxFailure(
  deps: ConversationDeps,
  event: { id: string; source: string; payload: unknown },
  error: unknown,
): Promise<void> {
  const why = (error instanceof Error ? error.message : String(error)).slice(0, 1_000);
  const { attempts } = await deps.db.prisma.inboundEvent.update({
    where: { id: event.id },
    data: { attempts: { increment: 1 }, lastError: why },
    select: { attempts: true },
  });
  if (attempts < MAX_INBOX_ATTEMPTS) {
    deps.logger.error(
      { err: error, event: event.id, source: event.source, attempts },
      "inbox event failed; will retry",
    );
    return;
  }
  // Only the process that sets it aside reports it.
  const { count } = await deps.db.prisma.inboundEvent.updateMany({
    where: { id: event.id, failedAt: null },
    data: { failedAt: deps.clock() },
  });
  deps.logger.error(
    { err: error, event: event.id, source: event.source, attempts },
    "inbox event set aside after repeated failures: kept unprocessed, reported in Slack",
  );
  if (count === 1) {
    await reportSetAside(deps, event, why).catch((failure: unknown) =>
      deps.logger.error(
        { err: failure, event: event.id },
        "an inbox event was set aside but the Slack report could not be queued: it is kept in the database only",
      ),
    );
  }
}

/** Tells the right people about an inbox event set aside: the voter's text in the unmatched channel, a volunteer's reply in its thread. */
async function reportSetAside(
  deps: ConversationDeps,
  event: { id: string; source: string; payload: unknown },
  why: string,
): Promise<void> {
  const failure = `it failed ${MAX_INBOX_ATTEMPTS} times (${why.slice(0, 200)}), so it was set aside and is kept as inbox event ${event.id}`;
  // The error's words go to Slack: escaped, as voter text is.
  if (event.source === "twilio.sms") {
    const payload = (event.payload ?? {}) as Record<string, string | undefined>;
    if (!deps.unmatchedChannel) {
      deps.logger.error(
        { event: event.id },
        "a voter's text was set aside and SLACK_UNMATCHED_CHANNEL is not set: it is kept in the database only",
      );
      return;
    }
    await enqueueSlackPost(deps.db.prisma, {
      channel: deps.unmatchedChannel,
      method: "chat.postMessage",
      args: deps.render.setAside({
        maskedPhone: maskPhone(payload.From ?? ""),
        body: payload.Body ?? "",
        why: `${failure}. Answer the voter from their conversation if they have one, and tell whoever runs the app.`,
      }),
      dedupeKey: `inbox-set-aside:${event.id}`,
    });
    return;
  }
  const reply = (event.payload ?? {}) as Partial<ThreadReplyEvent>;
  if (event.source !== "slack.reply" || !reply.channel || !reply.threadTs) {
    deps.logger.error(
      { event: event.id, source: event.source },
      "an inbox event was set aside and has no Slack thread to report it in",
    );
    return;
  }
  await enqueueSlackPost(deps.db.prisma, {
    channel: reply.channel,
    method: "chat.postMessage",
    args: {
      ...deps.render.note(
        `:warning: A reply in this thread could not be sent: ${escapeForSlack(failure)}. Nothing went out to the voter: send it again.`,
      ),
      thread_ts: reply.threadTs,
    },
    dedupeKey: `inbox-set-aside:${event.id}`,
  });
}
