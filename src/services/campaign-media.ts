import type { Database } from "../db/database";
import type { Logger } from "../logger";
import { downloadMedia, type FetchFn } from "../media/fetch";
import { prepareMediaItem } from "./media";

export const mediaLinksChanged = (before: readonly string[] | undefined, after: readonly string[]) =>
  before?.join("\n") !== after.join("\n");

export type CampaignMediaItem =
  | { url: string; ok: true; id: string; contentType: string; originalBytes: number; bytes: number }
  | { url: string; ok: false; message: string };

export interface CampaignMediaReport {
  campaignId: string;
  campaignName: string;
  items: CampaignMediaItem[];
  /** Every link was stored and the campaign now sends them (false: one was refused, or the links changed meanwhile). */
  ready: boolean;
}

/**
 * Fetches, checks, compresses and stores a campaign's media links that are not ready yet. All or
 * nothing: the campaign sends media only once every link is stored, in link order; a refused link
 * leaves it without media (launch stays blocked) and the report says why. An edit of the links
 * meanwhile wins: the stale result is not applied. Null when there is nothing to prepare.
 */
export async function prepareCampaignMedia(
  db: Database,
  deps: { fetchMedia: FetchFn; logger: Logger },
  campaignId: string,
  createdBy: string,
): Promise<CampaignMediaReport | null> {
  const campaign = await db.prisma.campaign.findUnique({
    where: { id: campaignId },
    select: { name: true, mediaUrls: true, mediaIds: true },
  });
  if (!campaign || campaign.mediaUrls.length === 0 || campaign.mediaIds.length === campaign.mediaUrls.length)
    return null;
  const items: CampaignMediaItem[] = [];
  for (const url of campaign.mediaUrls) {
    const read = () => downloadMedia(url, { fetch: deps.fetchMedia });
    items.push({ url, ...(await prepareMediaItem(db, read, { source: url, createdBy }, deps.logger)) });
  }
  const ids = items.flatMap((i) => (i.ok ? [i.id] : []));
  const allStored = ids.length === campaign.mediaUrls.length;
  const applied = allStored
    ? await db.prisma.campaign.updateMany({
        where: { id: campaignId, mediaUrls: { equals: campaign.mediaUrls } },
        data: { mediaIds: ids },
      })
    : { count: 0 };
  return { campaignId, campaignName: campaign.name, items, ready: applied.count === 1 };
}
