import type { Tx } from "../db/database";
import { newId } from "../db/ids";
import { allowsAutomaticText, automaticTextWindowStart } from "../domain/automatic-texts";
import { CLAIMED, NOT_SENT, UNCONFIRMED } from "../domain/message-status";
import { measureSms } from "../domain/sms-length";
import { sendFailureAdvice } from "../domain/twilio-errors";
import type { ConversationDeps } from "./conversation-threads";
import { lockPhone, recordOptOut } from "./opt-outs";
import { mediaUrl } from "./media";
import { recordAccepted } from "./send-results";

/*
 * Texts inside a conversation that are not first texts: the app's own answers (HELP, opt-out
 * confirmation) and volunteers' replies. Each is recorded (status claimed) in the transaction that
 * decided it, then sent after commit; a lost answer is reconciled, never resent.
 */

export interface ReplyRecipient {
  phone: string;
  contactId: string | null;
  conversationId: string | null;
  campaignId?: string | null;
}

/**
 * Records a reply inside a conversation (status claimed, not campaign-initiated: it never counts
 * toward the cap), to send once the transaction commits. `sentBy` is the volunteer who wrote it;
 * none for the app's own answers. Returns the message id.
 */
export async function recordReply(
  tx: Tx,
  deps: Pick<ConversationDeps, "sender">,
  input: { to: ReplyRecipient; body: string; sentBy?: string; at: Date; mediaIds?: string[] },
): Promise<string> {
  const id = newId();
  await tx.message.create({
    data: {
      id,
      direction: "outbound",
      conversationId: input.to.conversationId,
      contactId: input.to.contactId,
      campaignId: input.to.campaignId ?? null,
      fromPhone: deps.sender,
      toPhone: input.to.phone,
      body: input.body,
      mediaIds: input.mediaIds ?? [],
      status: CLAIMED,
      sentBy: input.sentBy ?? null,
      initiated: false,
      segments: measureSms(input.body).segments,
      createdAt: input.at,
    },
  });
  return id;
}

/**
 * Texts the app sends on its own in a conversation (help, opt-out confirmation), recorded before
 * they go: the message id, or null when the number already had its limit of automatic texts
 * (src/domain/automatic-texts.ts). Takes the phone lock, so two answers never both see room for one.
 */
export async function queueAutoReply(
  tx: Tx,
  deps: ConversationDeps,
  to: ReplyRecipient,
  body: string,
): Promise<string | null> {
  const now = deps.clock();
  await lockPhone(tx, to.phone);
  const texts = await tx.message.findMany({
    where: { toPhone: to.phone, direction: "outbound", createdAt: { gte: automaticTextWindowStart(now) } },
    select: { direction: true, initiated: true, sentBy: true, createdAt: true },
  });
  if (!allowsAutomaticText(texts, now)) return null;
  return recordReply(tx, deps, { to, body, at: now });
}

/** Sends a recorded reply; an unknown outcome is left for reconciliation, never resent. */
export async function sendRecordedReply(
  deps: Pick<ConversationDeps, "db" | "sms" | "publicUrl">,
  messageId: string,
  validityPeriodSeconds?: number,
): Promise<"sent" | "failed" | "unconfirmed"> {
  const message = await deps.db.prisma.message.findUnique({
    where: { id: messageId },
    select: { toPhone: true, body: true, status: true, mediaIds: true },
  });
  if (message?.status !== CLAIMED) return "failed";
  const { publicUrl } = deps;
  const result = await deps.sms.send({
    to: message.toPhone,
    body: message.body,
    ...(publicUrl && message.mediaIds.length
      ? { mediaUrls: message.mediaIds.map((id) => mediaUrl(publicUrl, id)) }
      : {}),
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
