import type { Database } from "../db/database";
import type { SlackMessageJson } from "./conversation-threads";
import { enqueueSlackPost } from "./slack-outbox";

/*
 * When contacts deferred for their sending hours can be texted again, the campaign's channel hears
 * it ("214 contacts in Pacific time can be texted now"), at most once an hour per campaign, so
 * volunteers know when to come back. Only what opened since the last note counts.
 */

export interface OpenedWindows {
  campaignName: string;
  /** Contacts per time zone (null: unknown) whose window opened since the last note, largest first. */
  groups: { timeZone: string | null; contacts: number }[];
}

export interface WindowNoteRenderer {
  windowsOpened(view: OpenedWindows): SlackMessageJson;
}

export interface WindowNoteDeps {
  db: Database;
  clock: () => Date;
  campaignPosts: WindowNoteRenderer;
}

const HOUR_MS = 3_600_000;

export async function announceOpenedWindows(deps: WindowNoteDeps): Promise<{ announced: number }> {
  const now = deps.clock();
  const campaigns = await deps.db.prisma.campaign.findMany({
    where: {
      status: "running",
      conversationChannelId: { not: null },
      OR: [{ windowNoteAt: null }, { windowNoteAt: { lte: new Date(now.getTime() - HOUR_MS) } }],
    },
    select: { id: true, name: true, conversationChannelId: true, windowNoteAt: true },
  });
  let announced = 0;
  for (const campaign of campaigns) {
    const groups = await deps.db.prisma.$queryRawUnsafe<{ timeZone: string | null; contacts: number }[]>(
      `SELECT c."timeZone", count(*)::int AS contacts
       FROM "CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId"
       WHERE cc."campaignId" = $1::uuid AND cc.status = 'deferred' AND cc."deferredUntil" <= $2::timestamptz
         AND ($3::timestamptz IS NULL OR cc."deferredUntil" > $3::timestamptz)
       GROUP BY c."timeZone" ORDER BY contacts DESC, c."timeZone"`,
      campaign.id,
      now,
      campaign.windowNoteAt,
    );
    if (groups.length === 0) continue;
    const posted = await deps.db.prisma.$transaction(async (tx) => {
      // Only the run that moves the mark posts: several processes announce once.
      const { count } = await tx.campaign.updateMany({
        where: { id: campaign.id, windowNoteAt: campaign.windowNoteAt },
        data: { windowNoteAt: now },
      });
      if (count === 0) return false;
      await enqueueSlackPost(tx, {
        channel: campaign.conversationChannelId!,
        method: "chat.postMessage",
        args: deps.campaignPosts.windowsOpened({ campaignName: campaign.name, groups }),
        dedupeKey: `windows-opened:${campaign.id}:${now.toISOString()}`,
      });
      return true;
    });
    if (posted) announced++;
  }
  return { announced };
}
