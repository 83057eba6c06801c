import type { Database } from "../db/database";
import { goalOutcomeSql, goalProgress, type GoalProgress } from "../domain/goal-progress";

/*
 * Goal progress of many campaigns in one statement: the one place it is counted, for
 * `/campaign show`, `/campaign report`, the daily digest and the App Home tab.
 */

const GOAL_OUTCOMES_SQL = `
SELECT cv."campaignId", count(*)::int AS n
FROM "Conversation" cv JOIN "Campaign" camp ON camp.id = cv."campaignId"
WHERE cv."campaignId" = ANY($1::uuid[]) AND ${goalOutcomeSql("cv", "camp")}
GROUP BY cv."campaignId"`;

export interface CampaignGoal {
  id: string;
  goalTarget: number | null;
  goalOutcomeTag: string | null;
}

/** Each campaign's progress toward its goal, by campaign id. */
export async function goalProgressFor(
  db: Database,
  campaigns: readonly CampaignGoal[],
): Promise<Map<string, GoalProgress>> {
  const progress = new Map<string, GoalProgress>();
  if (campaigns.length === 0) return progress;
  const rows = await db.prisma.$queryRawUnsafe<{ campaignId: string; n: number }[]>(
    GOAL_OUTCOMES_SQL,
    campaigns.map((c) => c.id),
  );
  const reached = new Map(rows.map((r) => [r.campaignId, r.n]));
  for (const c of campaigns)
    progress.set(c.id, goalProgress({ outcomeTag: c.goalOutcomeTag, target: c.goalTarget }, reached.get(c.id) ?? 0));
  return progress;
}
