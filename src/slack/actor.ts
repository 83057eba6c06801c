import type { Actor } from "../services/actors";
import type { SlackDeps } from "./deps";

/** Who is asking, for the services: the Slack user, the role Slack gives them, and the app's clock. */
export async function actorOf(deps: Pick<SlackDeps, "roles" | "clock">, userId: string): Promise<Actor> {
  return { userId, role: await deps.roles.roleOf(userId), at: deps.clock() };
}
