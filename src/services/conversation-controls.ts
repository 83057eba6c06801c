import type { Database, Tx } from "../db/database";
import { maskPhone } from "../domain/phone";
import { contactMergeValues, renderScript } from "../domain/script";
import { refreshThreadRoot, type ConversationDeps } from "./conversation-threads";
import { recordThreadReply } from "./thread-replies";
import { loadMergeContacts } from "./merge-contacts";
import { enqueueWebhook } from "./webhooks";
import { recordOptOut } from "./opt-outs";
import { UserError } from "../domain/user-error";
import { auditActor, requirePermission, type Actor } from "./actors";
import { recordAudit } from "./audit";

/*
 * What volunteers do from a thread's root: take or release the conversation, tag it (survey
 * answers, the campaign's outcome), set a follow-up, send a canned reply, opt the voter out.
 * Each change redraws the root through the outbox; `actionKey` (Slack's action_ts) dedupes it.
 */

export type ControlDeps = Pick<ConversationDeps, "db" | "render" | "logger" | "clock">;

export class ConversationControlError extends UserError {
  override name = "ConversationControlError";
}

async function change(
  deps: ControlDeps,
  input: { conversationId: string; actor: Actor; actionKey: string; what: string },
  apply: (tx: Tx) => Promise<void>,
): Promise<void> {
  const { conversationId, actor } = input;
  await requirePermission(deps.db, actor, "threads.manage", input.what);
  await deps.db.prisma.$transaction(async (tx) => {
    const exists = await tx.conversation.findUnique({ where: { id: conversationId }, select: { id: true } });
    if (!exists) throw new ConversationControlError("This conversation no longer exists.");
    await apply(tx);
    await refreshThreadRoot(tx, deps, conversationId, `thread-control:${conversationId}:${input.actionKey}`);
  });
}

/** The volunteer takes the conversation (`take`), or gives it back to the pool. */
export const assignConversation = (
  deps: ControlDeps,
  conversationId: string,
  actor: Actor,
  take: boolean,
  actionKey: string,
) =>
  change(deps, { conversationId, actor, actionKey, what: "taking a conversation" }, async (tx) => {
    await tx.conversation.update({
      where: { id: conversationId },
      data: take ? { assignee: actor.userId, assignedAt: actor.at } : { assignee: null, assignedAt: null },
    });
  });

/** Adds the tag, or removes it when the conversation has it already (the menu toggles). */
export const toggleTag = (deps: ControlDeps, conversationId: string, tag: string, actor: Actor, actionKey: string) =>
  change(deps, { conversationId, actor, actionKey, what: "tagging a conversation" }, async (tx) => {
    const { tags, campaignId, contact } = await tx.conversation.findUniqueOrThrow({
      where: { id: conversationId },
      select: { tags: true, campaignId: true, contact: { select: { phone: true } } },
    });
    const clean = tag.trim().toLowerCase().slice(0, 40);
    const removed = tags.includes(clean);
    await tx.conversation.update({
      where: { id: conversationId },
      data: { tags: removed ? tags.filter((t) => t !== clean) : [...tags, clean] },
    });
    await enqueueWebhook(tx, {
      type: removed ? "outcome.removed" : "outcome.set",
      phone: contact.phone,
      campaignId,
      data: { tag: clean, by: actor.userId },
      at: actor.at,
    });
  });

export const setFollowUp = (
  deps: ControlDeps,
  conversationId: string,
  hours: number,
  actor: Actor,
  actionKey: string,
) =>
  change(deps, { conversationId, actor, actionKey, what: "setting a follow-up" }, async (tx) => {
    const followUpAt = hours > 0 ? new Date(actor.at.getTime() + hours * 3_600_000) : null;
    await tx.conversation.update({ where: { id: conversationId }, data: { followUpAt } });
  });

/** A volunteer opts the voter out from the thread: like an admin suppression, a later START does not undo it. */
export async function optOutFromThread(
  deps: ControlDeps,
  conversationId: string,
  actor: Actor,
  actionKey: string,
): Promise<void> {
  await requirePermission(deps.db, actor, "voters.opt-out", "opting a voter out");
  await deps.db.prisma.$transaction(async (tx) => {
    const conversation = await tx.conversation.findUnique({
      where: { id: conversationId },
      select: { contact: { select: { phone: true } } },
    });
    if (!conversation) throw new ConversationControlError("This conversation no longer exists.");
    await recordOptOut(
      tx,
      conversation.contact.phone,
      "admin",
      `opted out from Slack by ${actor.userId}`,
      actor.at,
      actor,
    );
    await refreshThreadRoot(tx, deps, conversationId, `thread-control:${conversationId}:${actionKey}`);
  });
}

/**
 * A canned reply, rendered for this contact, queued as a thread reply the inbox sends (once: keyed
 * on the click). A field the contact lacks stops it, with the reason, rather than sending a blank.
 */
export async function sendCannedReply(
  deps: ControlDeps,
  conversationId: string,
  cannedId: string,
  actor: Actor,
  actionKey: string,
): Promise<{ eventId: string } | null> {
  await requirePermission(deps.db, actor, "threads.reply", "sending a canned reply");
  const conversation = await deps.db.prisma.conversation.findUnique({
    where: { id: conversationId },
    select: {
      contactId: true,
      slackChannelId: true,
      slackThreadTs: true,
      campaign: {
        select: { cannedReplies: { where: { id: cannedId }, select: { body: true, title: true, mediaIds: true } } },
      },
    },
  });
  const canned = conversation?.campaign?.cannedReplies[0];
  if (!conversation || !canned) throw new ConversationControlError("That canned reply no longer exists.");
  if (!conversation.slackChannelId || !conversation.slackThreadTs)
    throw new ConversationControlError("This thread is still being set up; try again in a moment.");
  const [contact] = await loadMergeContacts(deps.db.prisma, [conversation.contactId]);
  const rendered = renderScript(
    canned.body,
    contactMergeValues(contact ?? {}, { timeZone: contact?.timeZone ?? undefined }),
  );
  if (rendered.missing.length) {
    throw new ConversationControlError(
      `“${canned.title}” needs ${rendered.missing.map((m) => `{${m}}`).join(", ")}, which ${contact ? maskPhone(contact.phone) : "this contact"} does not have: reply by hand instead.`,
    );
  }
  return recordThreadReply(deps.db, {
    channel: conversation.slackChannelId,
    ts: actionKey,
    threadTs: conversation.slackThreadTs,
    user: actor.userId,
    text: rendered.text,
    canned: true,
    ...(canned.mediaIds.length ? { mediaIds: canned.mediaIds } : {}),
  });
}

/** A campaign's canned replies, by title, with how many pictures or videos each carries. */
export async function listCannedReplies(
  db: Database,
  campaignId: string,
): Promise<{ title: string; body: string; mediaCount: number }[]> {
  const replies = await db.prisma.cannedReply.findMany({
    where: { campaignId },
    orderBy: { title: "asc" },
    select: { title: true, body: true, mediaIds: true },
  });
  return replies.map(({ mediaIds, ...r }) => ({ ...r, mediaCount: mediaIds.length }));
}

/** Refuses (a UserError, recorded) anyone who may not manage the campaign's canned replies: checked before their files are read. */
export const requireCannedReplyManager = (db: Database, actor: Actor, campaignId: string) =>
  requirePermission(db, actor, "canned-replies.manage", "saving canned replies", { campaignId });

/**
 * Saves a canned reply for a campaign (title unique per campaign; organizers), with the media it
 * carries (stored already, compressed for MMS: prepareMediaItem); saving a title again replaces both.
 */
export async function saveCannedReply(
  db: Database,
  input: { campaignId: string; title: string; body: string; mediaIds?: string[]; actor: Actor },
): Promise<void> {
  const { actor, mediaIds = [], ...reply } = input;
  await requireCannedReplyManager(db, actor, reply.campaignId);
  await db.prisma.$transaction(async (tx) => {
    const key = { campaignId_title: { campaignId: reply.campaignId, title: reply.title } };
    const before = await tx.cannedReply.findUnique({ where: key, select: { body: true, mediaIds: true } });
    await tx.cannedReply.upsert({
      where: key,
      create: { ...reply, mediaIds, createdBy: actor.userId },
      update: { body: reply.body, mediaIds },
    });
    const entry = { action: "canned-reply.save", campaignId: reply.campaignId, subject: reply.title };
    await recordAudit(
      tx,
      {
        ...auditActor(actor),
        ...entry,
        ...(before ? { before: { body: before.body, media: before.mediaIds.length } } : {}),
        after: { body: reply.body, media: mediaIds.length },
      },
      actor.at,
    );
  });
}
