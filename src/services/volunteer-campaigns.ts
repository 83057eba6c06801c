import type { Database } from "../db/database";

/*
 * Which campaigns a volunteer texts for: those where they hold or have held contacts (a send card
 * claims a batch, and a sent entry keeps its volunteer) or own a conversation. Volunteers see the
 * reports and App Home figures of these campaigns; organizers see every campaign.
 */

// $1 campaign ids, $2 the volunteer's Slack user id.
const TEXTS_FOR_SQL = `
SELECT c.id FROM "Campaign" c
WHERE c.id = ANY($1::uuid[]) AND (
  EXISTS (SELECT 1 FROM "CampaignContact" cc WHERE cc."campaignId" = c.id AND cc."assignedTo" = $2)
  OR EXISTS (SELECT 1 FROM "Conversation" cv WHERE cv."campaignId" = c.id AND cv.assignee = $2)
)`;

/** The campaigns among `campaignIds` the volunteer texts for. */
export async function campaignsTextedBy(
  db: Database,
  volunteer: string,
  campaignIds: readonly string[],
): Promise<Set<string>> {
  if (campaignIds.length === 0) return new Set();
  const rows = await db.prisma.$queryRawUnsafe<{ id: string }[]>(TEXTS_FOR_SQL, [...campaignIds], volunteer);
  return new Set(rows.map((r) => r.id));
}
