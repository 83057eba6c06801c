import type { Database } from "../db/database";
import { digestDay } from "../domain/daily-digest";
import type { GoalProgress } from "../domain/goal-progress";
import { roleAllows, type Role } from "../domain/roles";
import type { Actor } from "./actors";
import { CAMPAIGN_RATES_SQL, TEXTS_SENT_SQL } from "./campaign-results-sql";
import { followUpsDue, waitingConversations, type FollowUpsDue, type Waiting } from "./follow-ups-due";
import { goalProgressFor } from "./goal-progress";
import { campaignsTextedBy } from "./volunteer-campaigns";

/*
 * The App Home tab: each running campaign the person may see (organizers: every one; volunteers:
 * those they text for, src/services/volunteer-campaigns.ts), with goal progress, texts sent, reply
 * and opt-out rates among contacts texted (the report's rows, src/services/campaign-results-sql.ts),
 * and what needs attention. Counted afresh each time the tab is opened, a few statements for all
 * campaigns together.
 */

/** A Home tab lists at most this many campaigns (Slack's 100-block limit); the rest are counted. */
export const HOME_CAMPAIGNS = 20;

export interface HomeCampaign {
  id: string;
  name: string;
  goal: GoalProgress;
  textsSent: number;
  texted: number;
  replied: number;
  optedOut: number;
  waiting: Waiting;
  followUps: FollowUpsDue;
}

export interface AppHome {
  role: Role;
  /** The asker's Slack user id ("yours" in the waiting counts). */
  userId: string;
  campaigns: HomeCampaign[];
  /** Running campaigns the person may see beyond those listed. */
  more: number;
  at: Date;
}

type Count = { campaignId: string; n: number };

export async function appHome(db: Database, actor: Actor, settings: { orgTimeZone: string }): Promise<AppHome> {
  const empty: AppHome = { role: actor.role, userId: actor.userId, campaigns: [], more: 0, at: actor.at };
  if (!roleAllows(actor.role, "campaigns.read")) return empty;
  const running = await db.prisma.campaign.findMany({
    where: { status: "running" },
    select: { id: true, name: true, goalTarget: true, goalOutcomeTag: true },
    orderBy: { name: "asc" },
  });
  const visible = roleAllows(actor.role, "reports.any-campaign")
    ? running
    : await campaignsTextedBy(
        db,
        actor.userId,
        running.map((c) => c.id),
      ).then((ids) => running.filter((c) => ids.has(c.id)));
  const shown = visible.slice(0, HOME_CAMPAIGNS);
  if (shown.length === 0) return { ...empty, more: 0 };
  const ids = shown.map((c) => c.id);
  const day = digestDay(actor.at, settings.orgTimeZone);
  const [goals, sent, rates, waiting, followUps] = await Promise.all([
    goalProgressFor(db, shown),
    db.prisma.$queryRawUnsafe<Count[]>(TEXTS_SENT_SQL, ids),
    db.prisma.$queryRawUnsafe<{ campaignId: string; texted: number; replied: number; optedOut: number }[]>(
      CAMPAIGN_RATES_SQL,
      ids,
    ),
    waitingConversations(db, ids, actor.userId),
    followUpsDue(db, ids, { endOfToday: day.end, now: actor.at }),
  ]);
  const sentBy = new Map(sent.map((r) => [r.campaignId, r.n]));
  const ratesBy = new Map(rates.map((r) => [r.campaignId, r]));
  return {
    ...empty,
    more: visible.length - shown.length,
    campaigns: shown.map((c) => ({
      id: c.id,
      name: c.name,
      goal: goals.get(c.id)!,
      textsSent: sentBy.get(c.id) ?? 0,
      texted: ratesBy.get(c.id)?.texted ?? 0,
      replied: ratesBy.get(c.id)?.replied ?? 0,
      optedOut: ratesBy.get(c.id)?.optedOut ?? 0,
      waiting: waiting.get(c.id)!,
      followUps: followUps.get(c.id)!,
    })),
  };
}
