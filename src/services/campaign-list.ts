import type { Database } from "../db/database";
import type { CampaignStatus } from "../domain/campaign-status";
import { nameKey } from "../domain/display-name";
import type { CampaignRecord } from "./campaigns";

/* The campaign list (/campaign list): every campaign with its audience and texts sent. */

export interface CampaignSummary extends Pick<
  CampaignRecord,
  "id" | "name" | "status" | "goalType" | "goalTarget" | "goalOutcomeTag" | "createdBy" | "createdAt"
> {
  segmentName: string | null;
  /** Contacts in the send queue, and how many were texted. Zero before launch. */
  audience: number;
  sent: number;
}

/** Every campaign not archived (archived ones with `includeArchived`), running ones first, then by name. */
export async function listCampaigns(
  db: Database,
  opts: { includeArchived?: boolean } = {},
): Promise<CampaignSummary[]> {
  const rows = await db.prisma.campaign.findMany({
    where: opts.includeArchived ? {} : { status: { not: "archived" } },
    select: {
      id: true,
      name: true,
      status: true,
      goalType: true,
      goalTarget: true,
      goalOutcomeTag: true,
      createdBy: true,
      createdAt: true,
      segment: { select: { name: true } },
    },
  });
  const counts = await db.prisma.campaignContact.groupBy({
    by: ["campaignId", "status"],
    _count: { _all: true },
    where: { campaignId: { in: rows.map((r) => r.id) } },
  });
  const order: Record<CampaignStatus, number> = { running: 0, paused: 1, draft: 2, archived: 3 };
  return rows
    .map((r) => {
      const mine = counts.filter((c) => c.campaignId === r.id);
      return {
        id: r.id,
        name: r.name,
        status: r.status,
        goalType: r.goalType,
        goalTarget: r.goalTarget,
        goalOutcomeTag: r.goalOutcomeTag,
        segmentName: r.segment?.name ?? null,
        createdBy: r.createdBy,
        createdAt: r.createdAt,
        audience: mine.reduce((sum, c) => sum + c._count._all, 0),
        sent: mine.filter((c) => c.status === "sent").reduce((sum, c) => sum + c._count._all, 0),
      };
    })
    .sort((a, b) => order[a.status] - order[b.status] || nameKey(a.name).localeCompare(nameKey(b.name)));
}
