import type { Database, Tx } from "../db/database";
import type { Prisma } from "../db/generated/client";
import { maskPhone } from "../domain/phone";
import { optedOutSql } from "../domain/suppression";
import type { Logger } from "../logger";
import { enqueueSlackPost, type SlackPost } from "./slack-outbox";
import type { SmsGateway } from "./sms-gateway";

/*
 * Voter conversations in Slack threads. A thread opens in the campaign's channel on the voter's
 * first reply (not on send: most never reply), and every later text follows in it. Slack itself is
 * not known here: a ThreadRenderer (src/slack) turns views and typed notes into posts, which go
 * through the durable outbox in the caller's transaction.
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

/** Why a volunteer's thread reply was not sent. */
export type ReplyRefusal =
  | { why: "file" }
  /** Attached files that cannot go out as MMS, each with why (MediaRefused's message). */
  | { why: "file-refused"; files: { name: string; message: string }[] }
  | { why: "empty" }
  /** `length` as it would go out; `linksShortened`: its links as tracked short links made it longer. */
  | { why: "too-long"; length: number; linksShortened?: boolean }
  | { why: "opted-out" }
  | { why: "not-a-member" }
  | { why: "outside-hours"; opensAt: Date; timeZone: string | null };

/**
 * How a voter learned that their opt-out was recorded: our confirmation text ("sent"), Twilio's own
 * answer to its keyword ("carrier"), no confirmation because the number had its limit of automatic
 * texts ("held-back"), or nothing new ("none": they were opted out already).
 */
export type OptOutConfirmation = "sent" | "carrier" | "held-back" | "none";

/**
 * Why the app did not answer a request for help itself: Twilio answered its own HELP keyword, the
 * number is opted out, or it had its limit of automatic texts.
 */
export type HelpNotSent = "carrier-answered" | "opted-out" | "limit";

/** Something the app says in a voter's thread (or about an unmatched text); src/slack words it. */
export type ThreadNote =
  | { kind: "opted-out"; confirmation: OptOutConfirmation }
  | { kind: "opted-in" }
  | { kind: "opt-in-refused" }
  | { kind: "help-sent"; helpText: string }
  | { kind: "help-not-sent"; why: HelpNotSent }
  | { kind: "reply-refused"; user: string; refusal: ReplyRefusal }
  | { kind: "reply-failed"; user: string; unconfirmed: boolean }
  | { kind: "canned-reply-sent"; user: string; text: string }
  | { kind: "follow-up-due"; assignee: string | null }
  | { kind: "waiting"; assignee: string | null; minutes: number }
  | { kind: "released"; volunteer: string; minutes: number }
  | { kind: "reply-set-aside"; attempts: number; error: string; eventId: string }
  /** A reply in the thread of the app's post about a text no conversation claims, or one the inbox set aside. */
  | { kind: "reply-not-texted"; user: string; thread: "unmatched" | "set-aside" }
  /** What reconciliation found of a reply whose outcome was unknown: Twilio had it, or never took it. */
  | { kind: "reply-checked"; user: string; text: string; sent: boolean }
  /** The voter's pictures could not be copied from Twilio after every try: they stay at Twilio under that message. */
  | { kind: "voter-media-not-copied"; count: number; twilioSid: string | null };

/** A Slack Web API call the outbox makes, minus the channel. */
export interface SlackCall {
  method: "chat.postMessage" | "reactions.add";
  args: SlackMessageJson;
}

/** A text no conversation claims: who sent it, what it said, why it is unmatched, and what was done about it. */
export interface UnmatchedText {
  maskedPhone: string;
  contactName: string | null;
  body: string;
  mediaUrls: string[];
  reason: "not-a-contact" | "no-conversation";
  notes: ThreadNote[];
}

/** A voter's text the inbox set aside after repeated failures. */
export interface SetAsideText {
  maskedPhone: string;
  body: string;
  attempts: number;
  error: string;
  eventId: string;
  /** The text asks to opt out: whether the opt-out is recorded (null: it asks for none). */
  optOut: "recorded" | "not-recorded" | null;
}

/** A channel Slack refuses every post in until a person acts (invite the bot, or unarchive it). */
export interface ChannelNeedsBot {
  channel: string;
  /** Slack's error: not_in_channel, channel_not_found or is_archived. */
  error: string;
  /** Posts waiting for it now (they go out once it takes posts again). */
  waiting: number;
  /** Campaigns whose voter threads go there. */
  campaigns: string[];
}

export interface ThreadRenderer {
  root(view: ThreadView): SlackMessageJson;
  /** A voter's text, posted under their name. */
  voterText(view: { contactName: string; body: string; mediaUrls: string[] }): SlackMessageJson;
  /** A short line from the app in the thread. */
  note(note: ThreadNote): SlackMessageJson;
  /** How a volunteer's reply (the Slack message `ts`) is marked sent. */
  replySent(ts: string): SlackCall;
  /** A text no conversation claims, for the unmatched channel. */
  unmatched(view: UnmatchedText): SlackMessageJson;
  /** A voter's text the inbox had to set aside, for the unmatched channel. */
  setAside(view: SetAsideText): SlackMessageJson;
  /** Tells organizers which channel needs the bot (once per episode, not per text). */
  channelNeedsBot(view: ChannelNeedsBot): SlackMessageJson;
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
  /** Reads a file a volunteer attached in Slack (with the bot token); without it, attachments are refused. */
  readSlackFile?: (url: string, mimetype?: string) => Promise<{ body: Buffer; contentType: string }>;
  /** PUBLIC_URL: stored media go out as PUBLIC_URL/media/<id>. */
  publicUrl?: string;
  /**
   * Outgoing webhooks are set up (WEBHOOK_URL and WEBHOOK_SECRET): only then is each voter's text
   * queued as a `reply` event. Without them none is written, since nothing would ever send it.
   */
  webhooksSetUp?: boolean;
}

/** What posting in a thread needs: how posts look, and where threads without a campaign channel go. */
export type ThreadPostDeps = Pick<ConversationDeps, "render" | "logger" | "unmatchedChannel">;

/** Settle hook name: stores the thread's ts on its conversation once Slack posted the root. */
export const THREAD_ROOT_HOOK = "conversation-thread";

export const threadRootSettled = async (
  tx: Tx,
  s: { ref: string | null; channel: string; ts: string | null; outcome: "sent" | "failed" },
): Promise<void> => {
  if (s.outcome !== "sent" || !s.ref || !s.ts) return;
  await tx.conversation.update({ where: { id: s.ref }, data: { slackChannelId: s.channel, slackThreadTs: s.ts } });
};

export interface ConversationRow {
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

export const CONVERSATION_FIELDS = {
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

export const nameOf = (c: { firstName: string | null; lastName: string | null } | null, phone: string) =>
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
       ${optedOutSql("ct.phone")} AS "optedOut"
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
async function threadChannel(tx: Tx, deps: ThreadPostDeps, conversation: ConversationRow): Promise<string | null> {
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
export async function postInThread(
  tx: Tx,
  deps: ThreadPostDeps,
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

/** Queues a typed note in the conversation's thread. */
export function noteInThread(
  tx: Tx,
  deps: ThreadPostDeps,
  conversation: ConversationRow,
  note: ThreadNote,
  dedupeKey: string,
) {
  return postInThread(tx, deps, conversation, deps.render.note(note), dedupeKey);
}
