import type { Database } from "../db/database";
import type { Logger } from "../logger";
import { downloadMedia, type FetchFn } from "../media/fetch";
import { prepareMediaItem } from "./media";

export const mediaLinksChanged = (before: readonly string[] | undefined, after: readonly string[]) =>
  before?.join("\n") !== after.join("\n");

/** One link or attached file (`url` is then the file's name) and what became of it. */
export type CampaignMediaItem =
  | { url: string; ok: true; id: string; contentType: string; originalBytes: number; bytes: number }
  | { url: string; ok: false; message: string };

export interface CampaignMediaReport {
  campaignId: string;
  campaignName: string;
  items: CampaignMediaItem[];
  /** Every link was stored and the campaign now sends them (false: one was refused, or the links changed meanwhile). */
  ready: boolean;
  /** The first-message variants, in order, and which go without the media (A/B: media against text only). */
  variants: { label: string; textOnly: boolean }[];
  /** How many follow-ups the campaign has: they carry the media whatever the variant. */
  followUps: number;
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
    select: {
      name: true,
      mediaUrls: true,
      mediaIds: true,
      scripts: { select: { kind: true, label: true, textOnly: true }, orderBy: { position: "asc" } },
    },
  });
  if (!campaign || campaign.mediaUrls.length === 0 || campaign.mediaIds.length === campaign.mediaUrls.length)
    return null;
  const items: CampaignMediaItem[] = [];
  for (const url of campaign.mediaUrls) {
    items.push(
      await prepareItem(db, deps.logger, url, () => downloadMedia(url, { fetch: deps.fetchMedia }), {
        source: url,
        createdBy,
      }),
    );
  }
  const ids = items.flatMap((i) => (i.ok ? [i.id] : []));
  const allStored = ids.length === campaign.mediaUrls.length;
  const applied = allStored
    ? await db.prisma.campaign.updateMany({
        where: { id: campaignId, mediaUrls: { equals: campaign.mediaUrls } },
        data: { mediaIds: ids },
      })
    : { count: 0 };
  const initial = campaign.scripts.filter((s) => s.kind === "initial");
  return {
    campaignId,
    campaignName: campaign.name,
    items,
    ready: applied.count === 1,
    variants: initial.map(({ label, textOnly }) => ({ label, textOnly })),
    followUps: campaign.scripts.length - initial.length,
  };
}

/** One item through the one home for media (prepareMediaItem), as a line of the campaign's media report. */
async function prepareItem(
  db: Database,
  logger: Logger,
  url: string,
  read: () => Promise<{ body: Buffer; contentType: string }>,
  meta: { source: string; createdBy: string; name?: string },
): Promise<CampaignMediaItem> {
  return { url, ...(await prepareMediaItem(db, read, meta, logger)) };
}

/** Reads a file attached in the form (from Slack, with the bot's token): its bytes and type. */
export type AttachedFileReader = (fileId: string) => Promise<{ body: Buffer; contentType: string }>;

/**
 * Files attached in the campaign form, read, checked, compressed and stored, each with its sizes or
 * why it was refused. Stored before the campaign is saved, so a refused one changes nothing: the
 * form comes back with the stored ones attached and the refused one explained.
 */
export async function prepareAttachedFiles(
  db: Database,
  deps: { readFile: AttachedFileReader; logger: Logger },
  files: readonly { id: string; name: string }[],
  createdBy: string,
): Promise<CampaignMediaItem[]> {
  const items: CampaignMediaItem[] = [];
  for (const file of files) {
    items.push(
      await prepareItem(db, deps.logger, file.name, () => deps.readFile(file.id), {
        source: `slack:${file.id}`,
        createdBy,
        name: file.name,
      }),
    );
  }
  return items;
}

/** A stored file as the campaign form lists it. */
export interface AttachedMedia {
  id: string;
  name: string;
  bytes: number;
  originalBytes: number;
}

/** The stored files with these ids, in that order (ids no longer stored are left out). */
export async function attachedMediaOf(db: Database, ids: readonly string[]): Promise<AttachedMedia[]> {
  if (ids.length === 0) return [];
  const rows = await db.prisma.media.findMany({
    where: { id: { in: [...ids] } },
    select: { id: true, name: true, source: true, bytes: true, originalBytes: true },
  });
  return ids.flatMap((id) => {
    const row = rows.find((r) => r.id === id);
    return row
      ? [{ id, name: row.name ?? row.source ?? "file", bytes: row.bytes, originalBytes: row.originalBytes }]
      : [];
  });
}
