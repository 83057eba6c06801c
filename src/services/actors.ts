import type { Database } from "../db/database";
import { roleAllows, roleRefusal, type Permission, type Role } from "../domain/roles";
import { UserError } from "../domain/user-error";
import { recordAudit } from "./audit";

/*
 * Who is asking, as services see it: a Slack user id and the role the Slack layer looked up
 * (src/slack/roles.ts). Every service that changes something checks the actor's permission here
 * first, so no listener can forget it.
 */

export interface Actor {
  userId: string;
  role: Role;
  /** When they asked (the app's one clock): the audit trail's time. */
  at: Date;
}

/** An audit entry's who, for an actor. */
export const auditActor = (actor: Actor) => ({ actor: actor.userId, role: actor.role });

/** The actor's role does not allow what they asked; the message says so in one line. */
export class RoleRefused extends UserError {
  override name = "RoleRefused";
}

/**
 * Throws RoleRefused (and records the refusal in the audit trail) unless the actor may do it.
 * `what` names the action for the message, e.g. "launching a campaign".
 */
export async function requirePermission(
  db: Database,
  actor: Actor,
  permission: Permission,
  what: string,
  about: { campaignId?: string | null; segmentId?: string | null; subject?: string | null } = {},
): Promise<void> {
  if (roleAllows(actor.role, permission)) return;
  await recordAudit(
    db.prisma,
    {
      actor: actor.userId,
      role: actor.role,
      action: permission,
      outcome: "refused",
      campaignId: about.campaignId ?? null,
      segmentId: about.segmentId ?? null,
      subject: about.subject ? `${what}: ${about.subject}` : what,
    },
    actor.at,
  );
  throw new RoleRefused(roleRefusal(actor.role, permission, what));
}
