import type { Role } from "../../src/domain/roles";
import type { Actor } from "../../src/services/actors";

/** Who acts in a service test: a Slack user id with a role, now. */
export const actor = (userId: string, role: Role = "organizer", at: Date = new Date()): Actor => ({ userId, role, at });
