/*
 * Progress toward a campaign's goal: how many of its contacts' conversations carry the goal's
 * outcome tag, against the target. One rule, two forms kept equal by
 * test/integration/domain/rules-sql.test.ts: `reachesGoal` over a conversation's tags, and
 * `goalOutcomeSql` that the counting statements run. Every place a campaign appears (show, report,
 * daily digest, App Home) counts through src/services/goal-progress.ts, which uses these.
 */

export interface Goal {
  /** The conversation tag that counts, e.g. "pledged to vote"; null when the campaign set none. */
  outcomeTag: string | null;
  /** How many outcomes count as success; null when the campaign set no target. */
  target: number | null;
}

export interface GoalProgress extends Goal {
  /** Contacts whose conversation in the campaign carries the outcome tag. */
  reached: number;
  /** reached / target (may pass 1); null without a target or an outcome tag. */
  share: number | null;
}

/** True when a conversation with these tags counts toward a goal with this outcome tag. */
export function reachesGoal(tags: readonly string[], outcomeTag: string | null): boolean {
  return outcomeTag !== null && tags.includes(outcomeTag);
}

/**
 * SQL twin of reachesGoal: `conversation` and `campaign` are aliases of "Conversation" and
 * "Campaign" rows (the conversation's own campaign).
 */
export const goalOutcomeSql = (conversation: string, campaign: string): string =>
  `(${campaign}."goalOutcomeTag" IS NOT NULL AND ${conversation}.tags @> ARRAY[${campaign}."goalOutcomeTag"])`;

export function goalProgress(goal: Goal, reached: number): GoalProgress {
  const share = goal.outcomeTag !== null && goal.target !== null && goal.target > 0 ? reached / goal.target : null;
  return { outcomeTag: goal.outcomeTag, target: goal.target, reached, share };
}
