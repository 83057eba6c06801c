import { sendWindowFor, storedPolicyOrDefault } from "../domain/quiet-hours";
import { optedOutSql } from "../domain/suppression";
import { refreshThreadRoot, type ConversationDeps } from "./conversation-threads";
import { enqueueSlackPost } from "./slack-outbox";

/*
 * Follow-ups: a volunteer picks "follow up tomorrow / in 3 days / next week" on a thread's root;
 * when that time comes, the thread gets one reminder mentioning whoever holds the conversation.
 */

export type FollowUpDeps = Pick<ConversationDeps, "db" | "render" | "logger" | "clock">;

/** Conversations read per query; a run pages through everything due. */
const PAGE = 200;

interface DueRow {
  id: string;
  followUpAt: Date;
  assignee: string | null;
  slackChannelId: string;
  slackThreadTs: string;
  phone: string;
  zip: string | null;
  quietHoursPolicy: unknown;
  optedOut: boolean;
}

export interface FollowUpRun {
  reminded: number;
  /** Due, but outside the voter's sending hours: reminded once they open, when someone can text them. */
  waiting: number;
  /** The voter opted out meanwhile: the follow-up is cleared without a reminder. */
  dropped: number;
}

/**
 * Posts one reminder in each thread whose follow-up is due and clears the follow-up, in one
 * transaction that only the first of several concurrent runs wins; the root is redrawn without
 * the date. Threads not posted yet are left for a later run.
 */
export async function remindDueFollowUps(deps: FollowUpDeps): Promise<FollowUpRun> {
  const now = deps.clock();
  const run: FollowUpRun = { reminded: 0, waiting: 0, dropped: 0 };
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    const page: DueRow[] = await deps.db.prisma.$queryRawUnsafe<DueRow[]>(
      `SELECT cv.id, cv."followUpAt", cv.assignee, cv."slackChannelId", cv."slackThreadTs", ct.phone, ct.zip, camp."quietHoursPolicy",
              ${optedOutSql("ct.phone")} AS "optedOut"
       FROM "Conversation" cv
       JOIN "Contact" ct ON ct.id = cv."contactId"
       LEFT JOIN "Campaign" camp ON camp.id = cv."campaignId"
       WHERE cv."followUpAt" <= $1 AND cv."slackChannelId" IS NOT NULL AND cv."slackThreadTs" IS NOT NULL
         AND ($2::timestamptz IS NULL OR (cv."followUpAt", cv.id) > ($2::timestamptz, $3::uuid))
       ORDER BY cv."followUpAt", cv.id
       LIMIT $4`,
      now,
      after?.at ?? null,
      after?.id ?? null,
      PAGE,
    );
    for (const row of page) {
      const followUpAt = new Date(row.followUpAt);
      // A reminder asks someone to text the voter now: it waits until a text could go.
      const window = sendWindowFor(
        { phone: row.phone, zip: row.zip },
        now,
        storedPolicyOrDefault(row.quietHoursPolicy),
      );
      if (!row.optedOut && !window.open) {
        run.waiting++;
        continue;
      }
      const key = `${row.id}:${followUpAt.toISOString()}`;
      const cleared = await deps.db.prisma.$transaction(async (tx) => {
        // Only the run that clears this follow-up (still the same time) reminds anyone.
        const { count } = await tx.conversation.updateMany({
          where: { id: row.id, followUpAt },
          data: { followUpAt: null },
        });
        if (count === 0) return false;
        if (!row.optedOut) {
          await enqueueSlackPost(tx, {
            channel: row.slackChannelId,
            method: "chat.postMessage",
            args: {
              ...deps.render.note({ kind: "follow-up-due", assignee: row.assignee }),
              thread_ts: row.slackThreadTs,
            },
            dedupeKey: `follow-up:${key}`,
          });
        }
        await refreshThreadRoot(tx, deps, row.id, `follow-up-root:${key}`);
        return true;
      });
      if (cleared) run[row.optedOut ? "dropped" : "reminded"]++;
    }
    if (page.length < PAGE) return run;
    const last = page.at(-1)!;
    after = { at: new Date(last.followUpAt), id: last.id };
  }
}
