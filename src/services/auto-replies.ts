import type { Tx } from "../db/database";
import { newId } from "../db/ids";
import { CLAIMED, NOT_SENT, UNCONFIRMED } from "../domain/message-status";
import { measureSms } from "../domain/sms-length";
import { sendFailureAdvice } from "../domain/twilio-errors";
import type { ConversationDeps } from "./conversation-threads";
import { recordOptOut } from "./opt-outs";
import { recordAccepted } from "./send-results";

/*
 * Texts inside a conversation that are not first texts: the app's own answers (HELP, opt-out
 * confirmation) and volunteers' replies. Each is recorded (status claimed) in the transaction that
 * decided it, then sent after commit; a lost answer is reconciled, never resent.
 */

/** Texts the app sends on its own in a conversation (help, opt-out confirmation), recorded before they go. */
export async function queueAutoReply(
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
