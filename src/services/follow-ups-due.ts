import type { Database } from "../db/database";
import { followUpDueSql } from "../domain/follow-up";
import { optedOutSql } from "../domain/suppression";

/*
 * What needs a volunteer in many campaigns at once: conversations waiting on a reply, threads whose
 * follow-up date has come, and follow-up texts a send card would offer now. Counted here for the
 * daily digest and the App Home tab alike; voters who opted out are never counted.
 */

// Thread follow-ups set for before the end of today ($2), overdue ones included, voters not opted out.
const THREAD_FOLLOW_UPS_SQL = `
SELECT cv."campaignId", count(*)::int AS n
FROM "Conversation" cv JOIN "Contact" ct ON ct.id = cv."contactId"
WHERE cv."campaignId" = ANY($1::uuid[]) AND cv."followUpAt" < $2 AND NOT ${optedOutSql("ct.phone")}
GROUP BY cv."campaignId"`;

// Follow-up texts a volunteer's send card would offer now ($2).
const FOLLOW_UP_TEXTS_SQL = `
SELECT cc."campaignId", count(*)::int AS n
FROM "CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId"
WHERE cc."campaignId" = ANY($1::uuid[]) AND cc.status = 'sent'
  AND ${followUpDueSql({ entry: "cc", contact: "c", now: "$2::timestamptz" })}
GROUP BY cc."campaignId"`;

// Conversations whose voter spoke last ($2 a volunteer: how many of them are theirs).
const WAITING_SQL = `
SELECT cv."campaignId", count(*)::int AS n, count(*) FILTER (WHERE cv.assignee = $2)::int AS mine
FROM "Conversation" cv JOIN "Contact" ct ON ct.id = cv."contactId"
WHERE cv."campaignId" = ANY($1::uuid[]) AND cv."waitingSince" IS NOT NULL AND NOT ${optedOutSql("ct.phone")}
GROUP BY cv."campaignId"`;

export interface FollowUpsDue {
  /** Threads whose follow-up date is today or past. */
  threads: number;
  /** Follow-up texts a send card would offer now. */
  textsReady: number;
}

export interface Waiting {
  /** Conversations whose voter spoke last. */
  total: number;
  /** Of them, those assigned to the volunteer asked about. */
  mine: number;
}

type Count = { campaignId: string; n: number };

export async function followUpsDue(
  db: Database,
  campaignIds: readonly string[],
  at: { endOfToday: Date; now: Date },
): Promise<Map<string, FollowUpsDue>> {
  const ids = [...campaignIds];
  const [threads, texts] = await Promise.all([
    db.prisma.$queryRawUnsafe<Count[]>(THREAD_FOLLOW_UPS_SQL, ids, at.endOfToday),
    db.prisma.$queryRawUnsafe<Count[]>(FOLLOW_UP_TEXTS_SQL, ids, at.now),
  ]);
  const threadsBy = new Map(threads.map((r) => [r.campaignId, r.n]));
  const textsBy = new Map(texts.map((r) => [r.campaignId, r.n]));
  return new Map(ids.map((id) => [id, { threads: threadsBy.get(id) ?? 0, textsReady: textsBy.get(id) ?? 0 }]));
}

export async function waitingConversations(
  db: Database,
  campaignIds: readonly string[],
  volunteer: string | null,
): Promise<Map<string, Waiting>> {
  const ids = [...campaignIds];
  const rows = await db.prisma.$queryRawUnsafe<(Count & { mine: number })[]>(WAITING_SQL, ids, volunteer ?? "");
  const by = new Map(rows.map((r) => [r.campaignId, { total: r.n, mine: r.mine }]));
  return new Map(ids.map((id) => [id, by.get(id) ?? { total: 0, mine: 0 }]));
}
