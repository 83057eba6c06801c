import type { webApi } from "@slack/bolt";
import { roleOf, type Role, type SlackMember } from "../domain/roles";
import type { Logger } from "../logger";

/*
 * Looks up a user's role in Slack (users.info, and the organizer user group's members), briefly
 * cached: a role changed in Slack applies within a minute. Slash commands and actions carry only
 * the user's id, so every listener asks here and hands services an Actor.
 */

export interface RoleDirectory {
  roleOf(userId: string): Promise<Role>;
}

export interface RoleDirectoryOptions {
  /** This workspace's team id: users of other teams (Slack Connect) are outsiders. Default: auth.test's, asked once. */
  teamId?: string;
  /** Handle of the user group whose members are organizers too (SLACK_ORGANIZER_GROUP), without the @. */
  organizerGroup?: string;
  /** How long an answer is kept (default one minute). */
  ttlMs?: number;
  clock?: () => number;
  logger: Logger;
}

interface Cached<T> {
  value: T;
  until: number;
}

export function slackRoleDirectory(client: webApi.WebClient, options: RoleDirectoryOptions): RoleDirectory {
  const ttl = options.ttlMs ?? 60_000;
  const now = options.clock ?? Date.now;
  const roles = new Map<string, Cached<Role>>();
  let group: Cached<ReadonlySet<string>> | null = null;
  const handle = options.organizerGroup?.replace(/^@/, "").toLowerCase();
  let teamId: Promise<string> | null = options.teamId ? Promise.resolve(options.teamId) : null;
  const workspace = (): Promise<string> => {
    teamId ??= client.auth.test().then(
      (auth) => auth.team_id ?? "",
      (error: unknown) => {
        teamId = null; // asked again next time
        throw error;
      },
    );
    return teamId;
  };

  async function organizerGroupMembers(): Promise<ReadonlySet<string>> {
    if (!handle) return new Set();
    if (group && group.until > now()) return group.value;
    const list = await client.usergroups.list({ include_users: true });
    const found = (list.usergroups ?? []).find((g) => g.handle?.toLowerCase() === handle);
    if (!found) {
      options.logger.warn(
        { handle },
        "SLACK_ORGANIZER_GROUP names no user group of this workspace: only admins and owners are organizers",
      );
    }
    const users = found?.id ? ((await client.usergroups.users.list({ usergroup: found.id })).users ?? []) : [];
    group = { value: new Set(users), until: now() + ttl };
    return group.value;
  }

  async function member(userId: string): Promise<SlackMember | null> {
    let user;
    try {
      ({ user } = await client.users.info({ user: userId }));
    } catch (error) {
      // An id Slack does not know is nobody; any other failure (network, rate limit) is not an answer.
      if ((error as { data?: { error?: string } }).data?.error === "user_not_found") return null;
      throw error;
    }
    if (!user) return null;
    const flags = user as typeof user & { is_stranger?: boolean };
    return {
      teamId: user.team_id ?? null,
      isOwner: !!user.is_owner || !!user.is_primary_owner,
      isAdmin: !!user.is_admin,
      isRestricted: !!user.is_restricted,
      isUltraRestricted: !!user.is_ultra_restricted,
      deleted: !!user.deleted,
      isBot: !!user.is_bot,
      isStranger: !!flags.is_stranger,
      inOrganizerGroup: (await organizerGroupMembers()).has(userId),
    };
  }

  return {
    async roleOf(userId) {
      const cached = roles.get(userId);
      if (cached && cached.until > now()) return cached.value;
      const role = roleOf(await member(userId), await workspace());
      roles.set(userId, { value: role, until: now() + ttl });
      return role;
    },
  };
}
