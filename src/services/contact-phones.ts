import type { Database } from "../db/database";
import { isUuid } from "../db/ids";
import { maskPhone } from "../domain/phone";
import { UserError } from "../domain/user-error";
import { auditActor, requirePermission, type Actor } from "./actors";
import { recordAudit } from "./audit";

/*
 * Full phone numbers are for organizers; everyone else sees them masked (maskPhone). Each look is
 * recorded in the audit trail.
 */

export interface FullPhone {
  phone: string;
  contactName: string;
}

/** The full number of a conversation's voter, for an organizer. */
export async function fullPhoneOf(db: Database, actor: Actor, conversationId: string): Promise<FullPhone> {
  await requirePermission(db, actor, "phones.full", "seeing full phone numbers");
  const conversation = isUuid(conversationId)
    ? await db.prisma.conversation.findUnique({
        where: { id: conversationId },
        select: { campaignId: true, contact: { select: { phone: true, firstName: true, lastName: true } } },
      })
    : null;
  if (!conversation) throw new UserError("This conversation no longer exists.");
  const { phone, firstName, lastName } = conversation.contact;
  await recordAudit(
    db.prisma,
    { ...auditActor(actor), action: "phone.show", campaignId: conversation.campaignId, subject: maskPhone(phone) },
    actor.at,
  );
  return { phone, contactName: [firstName, lastName].filter(Boolean).join(" ") || "this voter" };
}
