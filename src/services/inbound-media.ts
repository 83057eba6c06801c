import type { Database } from "../db/database";
import type { Logger } from "../logger";
import { CONVERSATION_FIELDS, noteInThread, type ThreadPostDeps } from "./conversation-threads";
import { storeMedia } from "./media";

/** Tries before the thread is told the voter's media could not be copied; waits double each time (1, 2, 4, 8 minutes). */
export const MAX_MEDIA_COPY_ATTEMPTS = 5;
/** A text whose conversation never got a thread in this long keeps its media at Twilio only (the unmatched post lists them). */
const NO_THREAD_GIVE_UP_MS = 24 * 3_600_000;
const BATCH = 20;

export interface VoterFile {
  name: string;
  contentType: string;
  body: Buffer;
}

/** Puts files in a conversation's thread (Slack's files v2 upload in the app). */
export interface ThreadFiles {
  upload(thread: { channel: string; threadTs: string }, files: VoterFile[]): Promise<void>;
}

export interface InboundMediaDeps extends ThreadPostDeps {
  db: Database;
  logger: Logger;
  clock: () => Date;
  threadFiles: ThreadFiles;
  /** Downloads a voter's media from Twilio with the account's credentials. */
  fetchTwilioMedia(url: string): Promise<{ body: Buffer; contentType: string }>;
}

const DUE = `
  SELECT m.id, m."mediaUrls", m."mediaIds", m."mediaCopyAttempts" AS attempts, m."createdAt", m."twilioSid",
         cv.id AS "conversationId", cv."slackChannelId", cv."slackThreadTs"
  FROM "Message" m LEFT JOIN "Conversation" cv ON cv.id = m."conversationId"
  -- A first try is always due (the webhook stamps the database's time, not the app's clock); retries wait their turn.
  WHERE m."mediaCopyNextAt" IS NOT NULL AND (m."mediaCopyAttempts" = 0 OR m."mediaCopyNextAt" <= $1::timestamptz)
    AND m.direction = 'inbound'
  ORDER BY m."mediaCopyNextAt" LIMIT ${BATCH}`;

interface DueRow {
  id: string;
  mediaUrls: string[];
  mediaIds: string[];
  attempts: number;
  createdAt: Date;
  twilioSid: string | null;
  conversationId: string | null;
  slackChannelId: string | null;
  slackThreadTs: string | null;
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "video/3gpp": "3gp",
  "audio/amr": "amr",
  "text/vcard": "vcf",
};
const fileName = (contentType: string, index: number) => {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return `voter-${type.split("/")[0] || "file"}-${index + 1}.${EXTENSIONS[type] ?? "bin"}`;
};

/**
 * Copies voters' MMS media from Twilio into their conversation's thread and stores it with the
 * message. It runs apart from the text, which is posted without waiting; a failed copy is tried
 * again later, and after the last try the thread says what could not be copied.
 */
export async function copyInboundMedia(
  deps: InboundMediaDeps,
): Promise<{ copied: number; retrying: number; gaveUp: number }> {
  const now = deps.clock();
  const due = await deps.db.sql.query<DueRow>(DUE, [now.toISOString()]);
  const outcome = { copied: 0, retrying: 0, gaveUp: 0 };
  for (const row of due) {
    if (!row.slackChannelId || !row.slackThreadTs) {
      // No thread yet: the root is still being posted. Wait, but not forever.
      if (now.getTime() - new Date(row.createdAt).getTime() > NO_THREAD_GIVE_UP_MS)
        await deps.db.prisma.message.update({ where: { id: row.id }, data: { mediaCopyNextAt: null } });
      else
        await deps.db.prisma.message.update({
          where: { id: row.id },
          data: { mediaCopyNextAt: new Date(now.getTime() + 60_000) },
        });
      continue;
    }
    try {
      await copyOne(deps, row, { channel: row.slackChannelId, threadTs: row.slackThreadTs });
      await deps.db.prisma.message.update({ where: { id: row.id }, data: { mediaCopyNextAt: null } });
      outcome.copied++;
    } catch (error) {
      const attempts = row.attempts + 1;
      deps.logger.warn({ err: error, message: row.id, attempts }, "copying a voter's media into the thread failed");
      const gaveUp = attempts >= MAX_MEDIA_COPY_ATTEMPTS;
      await deps.db.prisma.$transaction(async (tx) => {
        await tx.message.update({
          where: { id: row.id },
          data: {
            mediaCopyAttempts: attempts,
            mediaCopyNextAt: gaveUp ? null : new Date(now.getTime() + 2 ** (attempts - 1) * 60_000),
          },
        });
        if (gaveUp && row.conversationId) {
          const conversation = await tx.conversation.findUniqueOrThrow({
            where: { id: row.conversationId },
            select: CONVERSATION_FIELDS,
          });
          await noteInThread(
            tx,
            deps,
            conversation,
            { kind: "voter-media-not-copied", count: usableUrls(row).length, twilioSid: row.twilioSid },
            `voter-media-not-copied:${row.id}`,
          );
        }
      });
      if (gaveUp) outcome.gaveUp++;
      else outcome.retrying++;
    }
  }
  return outcome;
}

const usableUrls = (row: Pick<DueRow, "mediaUrls">) => row.mediaUrls.filter((u) => u !== "");

async function copyOne(
  deps: InboundMediaDeps,
  row: DueRow,
  thread: { channel: string; threadTs: string },
): Promise<void> {
  const urls = usableUrls(row);
  const ids = [...row.mediaIds];
  // Each item is stored as soon as it is fetched, so a retry fetches only what is missing.
  for (let i = ids.length; i < urls.length; i++) {
    const got = await deps.fetchTwilioMedia(urls[i]!);
    const stored = await storeMedia(deps.db, { ...got, originalBytes: got.body.length, source: urls[i] });
    ids.push(stored.id);
    await deps.db.prisma.message.update({ where: { id: row.id }, data: { mediaIds: ids } });
  }
  const media = await deps.db.prisma.media.findMany({ where: { id: { in: ids } } });
  const byId = new Map(media.map((m) => [m.id, m]));
  const files = ids.flatMap((id, i) => {
    const m = byId.get(id);
    return m ? [{ name: fileName(m.contentType, i), contentType: m.contentType, body: Buffer.from(m.body) }] : [];
  });
  if (files.length) await deps.threadFiles.upload(thread, files);
}
