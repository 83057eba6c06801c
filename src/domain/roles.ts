/*
 * Who may do what. A campaign's workspace holds staff, hundreds of volunteers, guests and partners
 * from other organizations:
 * - organizers (workspace owners and admins, and members of the organizer user group) run campaigns:
 *   create, edit, launch, pause, resume and archive them, import contacts, manage segments and
 *   canned replies, export, see full phone numbers, read the audit trail, lift an opt-out lock,
 *   read every campaign's report;
 * - volunteers (every other full member) send texts, answer in threads, tag, assign, follow up,
 *   opt a voter out, and read the reports of the campaigns they text for;
 * - nobody else: guests, users from other organizations (Slack Connect), deactivated users and bots.
 * Services check these before acting (src/services/actors.ts); listeners only pass who asked.
 */

export type Role = "organizer" | "volunteer" | "outsider";

/** What Slack says about a user (users.info), and whether they are in the organizer user group. */
export interface SlackMember {
  teamId: string | null;
  isOwner: boolean;
  isAdmin: boolean;
  /** Multi-channel guest. */
  isRestricted: boolean;
  /** Single-channel guest. */
  isUltraRestricted: boolean;
  deleted: boolean;
  isBot: boolean;
  /** Slack Connect users from another organization may carry this. */
  isStranger: boolean;
  inOrganizerGroup: boolean;
}

/** The role of a user of this workspace (`workspaceTeamId`); an unknown user is an outsider. */
export function roleOf(member: SlackMember | null, workspaceTeamId: string): Role {
  if (!member || member.deleted || member.isBot || member.isStranger) return "outsider";
  if (member.isRestricted || member.isUltraRestricted) return "outsider";
  if (member.teamId !== workspaceTeamId) return "outsider";
  if (member.isOwner || member.isAdmin || member.inOrganizerGroup) return "organizer";
  return "volunteer";
}

export const PERMISSIONS = {
  "campaigns.manage": "organizer",
  "contacts.import": "organizer",
  "segments.manage": "organizer",
  "canned-replies.manage": "organizer",
  "audit.read": "organizer",
  "phones.full": "organizer",
  "campaigns.export": "organizer",
  "opt-outs.lift": "organizer",
  /** Reports of every campaign; a volunteer reads those of the campaigns they text for. */
  "reports.any-campaign": "organizer",
  "campaigns.read": "volunteer",
  "texts.send": "volunteer",
  "threads.reply": "volunteer",
  "threads.manage": "volunteer",
  "voters.opt-out": "volunteer",
} as const satisfies Record<string, Exclude<Role, "outsider">>;

export type Permission = keyof typeof PERMISSIONS;

const RANK: Record<Role, number> = { outsider: 0, volunteer: 1, organizer: 2 };

export function roleAllows(role: Role, permission: Permission): boolean {
  return RANK[role] >= RANK[PERMISSIONS[permission]];
}

/** One line for someone whose role does not allow `what` (e.g. "launching a campaign"). */
export function roleRefusal(role: Role, permission: Permission, what: string): string {
  if (PERMISSIONS[permission] === "organizer" && role === "volunteer") {
    return `${what[0]!.toUpperCase()}${what.slice(1)} is for organizers: ask a workspace admin or someone in the organizers' user group.`;
  }
  return `${what[0]!.toUpperCase()}${what.slice(1)} is for members of this workspace; guests and people from other organizations can't use the texting console.`;
}
