import type { Database, Tx } from "../db/database";
import { newId } from "../db/ids";
import { sendWindowFor, storedPolicyOrDefault } from "../domain/quiet-hours";
import { slackToPlainText } from "../domain/slack-text";
import { MAX_SMS_BODY_CHARACTERS } from "../domain/sms-length";
import { recordReply, sendRecordedReply } from "./auto-replies";
import {
  CONVERSATION_FIELDS,
  noteInThread,
  type ConversationDeps,
  type ReplyRefusal,
  type ThreadNote,
} from "./conversation-threads";
import { isSuppressed, lockPhone } from "./opt-outs";
import { enqueueSlackPost } from "./slack-outbox";
import { roleAllows, type Role } from "../domain/roles";
import { recordAudit } from "./audit";
import { prismaSql } from "../db/database";
import { previewShortLinks } from "../domain/short-links";
import { shortenLinksFor } from "./short-links";
import type { ReplyMedia } from "./reply-media";

/*
 * A volunteer's reply in a voter's thread goes out as one SMS, exactly once: the Slack event is
 * stored in the inbox keyed on (channel, ts), and processed here under the per-phone lock.
 */

/** A volunteer's message in a Slack thread, as the Events API delivered it. */
export interface ThreadReplyEvent {
  channel: string;
  ts: string;
  threadTs: string;
  user: string;
  text: string;
  /** A canned reply picked from the thread's menu (plain text already; `ts` is the click's action_ts). */
  canned?: boolean;
  /** The reply shared a file. */
  files?: boolean;
  /** The shared files, to send as MMS after compression (read with the bot token, outside the inbox: reply-media.ts). */
  attachments?: SlackAttachment[];
  /** Media stored already that the reply carries (a canned reply's), before any attachment. */
  mediaIds?: string[];
}

export interface SlackAttachment {
  name: string;
  mimetype: string;
  /** url_private_download: Slack serves it to the bot token only. */
  url: string;
}

/**
 * Writes the durable inbox row for a volunteer's thread reply; null when Slack delivered it before.
 * A reply with files waits for its media (src/services/reply-media.ts) before the inbox sends it.
 */
export async function recordThreadReply(db: Database, reply: ThreadReplyEvent): Promise<{ eventId: string } | null> {
  const [row] = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO "InboundEvent" (id, source, "externalId", payload, "mediaState") VALUES ($1::uuid, 'slack.reply', $2, $3::jsonb, $4)
     ON CONFLICT (source, "externalId") DO NOTHING RETURNING id`,
    newId(),
    `${reply.channel}:${reply.ts}`,
    JSON.stringify(reply),
    reply.attachments?.length ? "waiting" : null,
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
  /** Display names of the users the reply mentions, and the role of whoever wrote it. */
  author: { names: Record<string, string>; role: Role },
): Promise<ThreadReplyOutcome> {
  const { names } = author;
  const claimed = await deps.db.prisma.$transaction(async (tx) => {
    // A reply still waiting for its files is not due: reply-media.ts prepares them, then wakes the inbox.
    const [event] = await tx.$queryRawUnsafe<{ id: string; payload: ThreadReplyEvent; media: ReplyMedia | null }[]>(
      `SELECT id, payload, media FROM "InboundEvent" WHERE id = $1::uuid AND source = 'slack.reply' AND "processedAt" IS NULL
         AND "mediaState" IS DISTINCT FROM 'waiting' FOR UPDATE SKIP LOCKED`,
      eventId,
    );
    if (!event) return { kind: "already-processed" as const };
    const now = deps.clock();
    const reply = event.payload;
    const files = event.media ?? { ids: [], refused: [] };
    const media = { ids: [...(reply.mediaIds ?? []), ...files.ids], refused: files.refused };
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
      await noteUntextedReply(tx, deps, reply);
      await done();
      return { kind: "not-a-conversation" as const };
    }
    const refuse = async (refusal: ReplyRefusal) => {
      const note: ThreadNote = { kind: "reply-refused", user: reply.user, refusal };
      await noteInThread(tx, deps, conversation, note, `reply-note:${reply.channel}:${reply.ts}`);
      await done();
      return { kind: "blocked" as const };
    };
    // Guests and people from other organizations never text voters; the thread says so.
    if (!roleAllows(author.role, "threads.reply")) {
      const refusal = { actor: reply.user, role: author.role, action: "threads.reply", outcome: "refused" as const };
      await recordAudit(
        tx,
        { ...refusal, campaignId: conversation.campaignId, subject: "a reply in a voter's thread" },
        now,
      );
      return refuse({ why: "not-a-member" });
    }
    if (media.refused.length) return refuse({ why: "file-refused", files: media.refused });
    if (reply.files && !media.ids.length) return refuse({ why: "file" });
    const body = reply.canned ? reply.text.trim() : slackToPlainText(reply.text, names);
    if (!body && !media.ids.length) return refuse({ why: "empty" });
    // Links go out as tracked short links, like first texts' (so clicks count in reports); the
    // limit applies to the text as sent, measured with placeholder codes of the real length.
    const { publicUrl } = deps;
    const shortens = Boolean(publicUrl && conversation.campaignId);
    const length = (shortens ? previewShortLinks(body, publicUrl!) : body).length;
    if (length > MAX_SMS_BODY_CHARACTERS)
      return refuse({ why: "too-long", length, linksShortened: length > body.length });
    const { phone, zip, timeZone } = conversation.contact;
    await lockPhone(tx, phone);
    if (await isSuppressed(tx, phone)) return refuse({ why: "opted-out" });
    const window = sendWindowFor({ phone, zip }, now, storedPolicyOrDefault(conversation.campaign?.quietHoursPolicy));
    if (!window.open) return refuse({ why: "outside-hours", opensAt: window.opensAt, timeZone });
    const text = shortens
      ? await shortenLinksFor(prismaSql(tx), {
          text: body,
          campaignId: conversation.campaignId!,
          contactId: conversation.contactId,
          publicUrl: publicUrl!,
          now,
        })
      : body;
    const to = {
      phone,
      contactId: conversation.contactId,
      conversationId: conversation.id,
      campaignId: conversation.campaignId,
    };
    const id = await recordReply(tx, deps, { to, body: text, sentBy: reply.user, at: now, mediaIds: media.ids });
    await tx.conversation.update({
      where: { id: conversation.id },
      // Answered: the conversation no longer waits on a volunteer.
      data: {
        updatedAt: now,
        waitingSince: null,
        nudgedAt: null,
        // Whoever answers a conversation nobody held takes it.
        ...(conversation.assignee ? {} : { assignee: reply.user, assignedAt: now }),
      },
    });
    await done();
    return { kind: "claimed" as const, messageId: id, validity: window.validitySeconds, conversation, reply };
  });
  if (claimed.kind !== "claimed") return claimed.kind;
  const result = await sendRecordedReply(deps, claimed.messageId, claimed.validity);
  const { reply, conversation } = claimed;
  const dedupeKey = `reply-result:${reply.channel}:${reply.ts}`;
  await deps.db.prisma.$transaction(async (tx) => {
    if (result === "sent" && reply.canned) {
      const note: ThreadNote = { kind: "canned-reply-sent", user: reply.user, text: reply.text };
      await noteInThread(tx, deps, conversation, note, dedupeKey);
    } else if (result === "sent") {
      await enqueueSlackPost(tx, { channel: reply.channel, ...deps.render.replySent(reply.ts), dedupeKey });
    } else {
      const note: ThreadNote = { kind: "reply-failed", user: reply.user, unconfirmed: result === "unconfirmed" };
      await noteInThread(tx, deps, conversation, note, dedupeKey);
    }
  });
  return result;
}

/**
 * A reply in a thread no conversation owns is never texted. When the thread is the app's own post
 * in the unmatched channel (a text no conversation claims, or one the inbox set aside), the
 * volunteer meant to answer a voter, and hears that nothing went out; threads of people's own
 * messages are their business, and say nothing.
 */
async function noteUntextedReply(
  tx: Tx,
  deps: Pick<ConversationDeps, "render" | "unmatchedChannel">,
  reply: ThreadReplyEvent,
): Promise<void> {
  if (!deps.unmatchedChannel || reply.channel !== deps.unmatchedChannel) return;
  const root = await tx.slackOutbox.findFirst({
    where: { channel: reply.channel, resultTs: reply.threadTs, method: "chat.postMessage" },
    select: { dedupeKey: true },
  });
  const thread = root?.dedupeKey?.startsWith("sms:")
    ? ("unmatched" as const)
    : root?.dedupeKey?.startsWith("inbox-set-aside:")
      ? ("set-aside" as const)
      : null;
  if (!thread) return;
  await enqueueSlackPost(tx, {
    channel: reply.channel,
    method: "chat.postMessage",
    args: { ...deps.render.note({ kind: "reply-not-texted", user: reply.user, thread }), thread_ts: reply.threadTs },
    dedupeKey: `reply-note:${reply.channel}:${reply.ts}`,
  });
}
