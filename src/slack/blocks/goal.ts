import type { GoalProgress } from "../../domain/goal-progress";
import { escapeForSlack } from "../../domain/slack-text";
import { clip, number } from "./kit";

/* How goal progress reads wherever a campaign appears: `/campaign show` and `report`, the digest, the App Home tab. */

const BAR_CELLS = 10;

/** 0.42 → "▓▓▓▓░░░░░░" (full past the target). */
export function progressBar(share: number): string {
  const filled = Math.max(0, Math.min(BAR_CELLS, Math.floor(share * BAR_CELLS)));
  return "▓".repeat(filled) + "░".repeat(BAR_CELLS - filled);
}

/** "120 of 500 “pledged” ▓▓░░░░░░░░ 24%", or the count alone without a target, or that no tag is set. */
export function goalProgressText(goal: GoalProgress, options: { bar?: boolean } = {}): string {
  if (goal.outcomeTag === null) return "no outcome tag set";
  const tag = `“${escapeForSlack(clip(goal.outcomeTag, 40))}”`;
  if (goal.share === null || goal.target === null) return `${number(goal.reached)} ${tag}`;
  const percent = `${Math.floor(goal.share * 100)}%`;
  const bar = options.bar === false ? "" : ` ${progressBar(goal.share)}`;
  return `${number(goal.reached)} of ${number(goal.target)} ${tag}${bar} ${percent}`;
}
