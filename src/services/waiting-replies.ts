import { prepared } from "../db/prepared";
import { optedOutSql } from "../domain/suppression";
import { isWorkingTime, waitAction, type WaitSettings } from "../domain/waiting-replies";
import { noteInThread, refreshThreadRoot, type ConversationDeps, CONVERSATION_FIELDS } from "./conversation-threads";

/*
 * Voters waiting on an answer (src/domain/waiting-replies.ts): one nudge in the thread after a
 * while, and after longer the conversation goes back to the pool, both only in working hours. A
 * nudge or release is decided and posted in one transaction that only the first of several
 * concurrent runs wins (a conditional update), so each happens once.
 */

export type WaitingDeps = Pick<ConversationDeps, "db" | "render" | "logger" | "clock"> & {
  settings: WaitSettings & { orgTimeZone: string };
};

const PAGE = 500;

// Threads of running or paused campaigns whose voter has waited at least the nudge delay, not opted out.
const WAITING_SQL = prepared(`
  SELECT cv.id, cv."waitingSince", cv."nudgedAt", cv.assignee, cv."assignedAt"
  FROM "Campaign" camp
  JOIN "Conversation" cv ON cv."campaignId" = camp.id
  JOIN "Contact" ct ON ct.id = cv."contactId"
  WHERE camp.status IN ('running', 'paused') AND cv."waitingSince" <= $1::timestamptz
    AND cv."slackThreadTs" IS NOT NULL AND NOT ${optedOutSql("ct.phone")}
    AND ($2::uuid IS NULL OR cv.id > $2::uuid)
  ORDER BY cv.id LIMIT $3::int`);

interface WaitingRow {
  id: string;
  waitingSince: Date;
  nudgedAt: Date | null;
  assignee: string | null;
  assignedAt: Date | null;
}

export interface WaitingRun {
  nudged: number;
  released: number;
  /** Outside working hours nothing is posted; the run says so. */
  outsideWorkingHours: boolean;
}

export async function nudgeWaitingReplies(deps: WaitingDeps): Promise<WaitingRun> {
  const now = deps.clock();
  const run: WaitingRun = { nudged: 0, released: 0, outsideWorkingHours: false };
  if (!isWorkingTime(deps.settings.orgTimeZone, now)) return { ...run, outsideWorkingHours: true };
  const due = new Date(now.getTime() - deps.settings.nudgeAfterMinutes * 60_000);
  let after: string | null = null;
  for (;;) {
    const page: WaitingRow[] = await deps.db.prisma.$queryRawUnsafe<WaitingRow[]>(WAITING_SQL, due, after, PAGE);
    for (const row of page) {
      const waiting = {
        waitingSince: new Date(row.waitingSince),
        nudgedAt: row.nudgedAt ? new Date(row.nudgedAt) : null,
        assignee: row.assignee,
        assignedAt: row.assignedAt ? new Date(row.assignedAt) : null,
      };
      const action = waitAction(waiting, now, deps.settings);
      if (action === null) continue;
      const minutes = Math.floor((now.getTime() - waiting.waitingSince.getTime()) / 60_000);
      const key = `${row.id}:${waiting.waitingSince.toISOString()}`;
      const done = await deps.db.prisma.$transaction(async (tx) => {
        // Only while nothing changed since the read: no answer meanwhile, same volunteer, not nudged by another run.
        const unchanged = { id: row.id, waitingSince: waiting.waitingSince, assignee: waiting.assignee };
        const { count } =
          action === "release"
            ? await tx.conversation.updateMany({
                where: unchanged,
                data: { assignee: null, assignedAt: null, nudgedAt: now },
              })
            : await tx.conversation.updateMany({
                where: { ...unchanged, OR: [{ nudgedAt: null }, { nudgedAt: { lt: waiting.waitingSince } }] },
                data: { nudgedAt: now },
              });
        if (count === 0) return false;
        const conversation = await tx.conversation.findUniqueOrThrow({
          where: { id: row.id },
          select: CONVERSATION_FIELDS,
        });
        const note =
          action === "release"
            ? ({ kind: "released", volunteer: waiting.assignee!, minutes } as const)
            : ({ kind: "waiting", assignee: waiting.assignee, minutes } as const);
        await noteInThread(tx, { ...deps, unmatchedChannel: null }, conversation, note, `${action}:${key}`);
        if (action === "release") await refreshThreadRoot(tx, deps, row.id, `release-root:${key}`);
        return true;
      });
      if (done) run[action === "release" ? "released" : "nudged"]++;
    }
    if (page.length < PAGE) return run;
    after = page.at(-1)!.id;
  }
}
