import { MAX_MEDIA_PER_TEXT } from "../domain/media-links";
import type { ConversationDeps } from "./conversation-threads";
import { prepareMediaItem } from "./media";
import type { ThreadReplyEvent } from "./thread-replies";

/*
 * A volunteer's thread reply with files is stored "waiting" for its media. Fetching and compressing
 * them (a video takes up to minutes of ffmpeg) happens here, beside the inbox's loop and never inside
 * it, so every other voter's text goes on meanwhile. Once ready, the inbox sends the reply as it
 * sends any other: once, under the per-phone lock, behind the opt-out and sending-hours gates.
 */

/** What became of a reply's files: stored ids in order, and each refused file with why. */
export interface ReplyMedia {
  ids: string[];
  refused: { name: string; message: string }[];
}

const MAX_REPLY_MEDIA = MAX_MEDIA_PER_TEXT;

/** How long a preparer holds a reply's files (several ffmpeg runs fit); a crashed one's are taken again after it. */
const LEASE_MS = 15 * 60_000;
/** After an unexpected failure, the next try waits this long (the inbox's attempts count it, and set it aside at the limit). */
export const REPLY_MEDIA_RETRY_MS = 30_000;

/** Leases the oldest reply waiting for its media (real time: leases are about processes, not the app's clock). */
const CLAIM_SQL = `UPDATE "InboundEvent" SET "mediaLeaseUntil" = $2 WHERE id = (
  SELECT id FROM "InboundEvent"
  WHERE source = 'slack.reply' AND "mediaState" = 'waiting' AND "processedAt" IS NULL AND "failedAt" IS NULL
    AND ("mediaLeaseUntil" IS NULL OR "mediaLeaseUntil" < $1)
  ORDER BY "receivedAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id, source, payload`;

export interface MediaLaneHooks {
  /** Stop taking new replies (shutdown). */
  stopping: () => boolean;
  /** A reply's media are ready: the inbox can send it. */
  onReady: () => void;
  /** An unexpected failure: counted like an inbox failure (set aside and reported at the limit). */
  onFailure: (event: { id: string; source: string; payload: unknown }, error: unknown) => Promise<void>;
}

/** Prepares every reply waiting for its media, one at a time, oldest first; returns how many became ready. */
export async function prepareWaitingReplyMedia(deps: ConversationDeps, hooks: MediaLaneHooks): Promise<number> {
  let ready = 0;
  while (!hooks.stopping()) {
    const now = Date.now();
    const [event] = await deps.db.prisma.$queryRawUnsafe<{ id: string; source: string; payload: ThreadReplyEvent }[]>(
      CLAIM_SQL,
      new Date(now),
      new Date(now + LEASE_MS),
    );
    if (!event) return ready;
    try {
      const media = await prepareReplyMedia(deps, event.payload);
      const marked = await deps.db.prisma.inboundEvent.updateMany({
        where: { id: event.id, mediaState: "waiting" },
        data: { mediaState: "ready", media: { ...media }, mediaLeaseUntil: null },
      });
      if (marked.count) {
        ready++;
        hooks.onReady();
      }
    } catch (error) {
      await deps.db.prisma.inboundEvent
        .update({ where: { id: event.id }, data: { mediaLeaseUntil: new Date(Date.now() + REPLY_MEDIA_RETRY_MS) } })
        .catch(() => undefined);
      await hooks.onFailure(event, error);
    }
  }
  return ready;
}

/**
 * The reply's files made fit for MMS and stored, each refused one with why. Without a way to read
 * Slack files or a PUBLIC_URL to serve them from, none is read (the inbox then says so in the thread).
 */
async function prepareReplyMedia(deps: ConversationDeps, reply: ThreadReplyEvent): Promise<ReplyMedia> {
  const media: ReplyMedia = { ids: [], refused: [] };
  const readSlackFile = deps.readSlackFile;
  if (!readSlackFile || !deps.publicUrl) return media;
  const files = reply.attachments ?? [];
  for (const file of files.slice(0, MAX_REPLY_MEDIA)) {
    const read = () => readSlackFile(file.url, file.mimetype);
    const item = await prepareMediaItem(deps.db, read, { source: file.url, createdBy: reply.user });
    if (item.ok) media.ids.push(item.id);
    else media.refused.push({ name: file.name, message: item.message });
  }
  if (files.length > MAX_REPLY_MEDIA)
    media.refused.push({
      name: files[MAX_REPLY_MEDIA]!.name,
      message: `a text carries at most ${MAX_REPLY_MEDIA} files.`,
    });
  return media;
}
