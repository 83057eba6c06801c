import { randomBytes } from "node:crypto";
import type { Database } from "../db/database";
import { mediaServableSql } from "../domain/media-access";
import type { Logger } from "../logger";
import { compressForMms, MediaRefused } from "../media/mms";

/** 144 random bits in base64url: the id is the secret in PUBLIC_URL/media/<id>, so it is never derived from anything. */
export function newMediaId(): string {
  return randomBytes(18).toString("base64url");
}

const MEDIA_ID = /^[A-Za-z0-9_-]{24}$/;

export interface StoredMedia {
  id: string;
  contentType: string;
  bytes: number;
  originalBytes: number;
}

export async function storeMedia(
  db: Database,
  media: {
    body: Buffer;
    contentType: string;
    originalBytes: number;
    source?: string | null;
    createdBy?: string | null;
    /** The file's name as attached in Slack. */
    name?: string | null;
  },
): Promise<StoredMedia> {
  const row = await db.prisma.media.create({
    data: {
      id: newMediaId(),
      contentType: media.contentType,
      body: new Uint8Array(media.body),
      bytes: media.body.length,
      originalBytes: media.originalBytes,
      source: media.source ?? null,
      createdBy: media.createdBy ?? null,
      name: media.name ?? null,
    },
    select: { id: true, contentType: true, bytes: true, originalBytes: true },
  });
  return row;
}

/** Compresses for MMS (refusals are `MediaRefused`, a UserError) and stores the result. */
export async function prepareMedia(
  db: Database,
  input: { body: Buffer; contentType: string; source?: string | null; createdBy?: string | null; name?: string | null },
): Promise<StoredMedia> {
  const fit = await compressForMms(input.body, input.contentType);
  return storeMedia(db, {
    ...fit,
    originalBytes: input.body.length,
    source: input.source,
    createdBy: input.createdBy,
    name: input.name,
  });
}

/** One item a person attached or linked, once read, checked, compressed and stored; or why it cannot be sent. */
export type PreparedMedia = ({ ok: true } & StoredMedia) | { ok: false; message: string };

/**
 * Reads one item (a link, a Slack file), compresses it for MMS and stores it: campaign media, canned
 * replies and volunteers' thread replies all go through here. A refusal is its message. Any other
 * failure is logged and answered with a generic message when a `logger` is given (a person is
 * waiting on a form), and thrown without one (the caller retries it).
 */
export async function prepareMediaItem(
  db: Database,
  read: () => Promise<{ body: Buffer; contentType: string }>,
  meta: { source: string; createdBy: string; name?: string | null },
  logger?: Logger,
): Promise<PreparedMedia> {
  try {
    const got = await read();
    return { ok: true, ...(await prepareMedia(db, { ...got, ...meta })) };
  } catch (error) {
    if (error instanceof MediaRefused) return { ok: false, message: error.message };
    if (!logger) throw error;
    logger.error({ err: error, source: meta.source }, "preparing media failed");
    return { ok: false, message: "This file could not be processed. Try again, or try another file." };
  }
}

/** Deletes stored items nothing will use (a form refused as a whole keeps none of its files). */
export async function discardMedia(db: Database, ids: readonly string[]): Promise<void> {
  if (ids.length) await db.prisma.media.deleteMany({ where: { id: { in: [...ids] } } });
}

const SERVABLE_MEDIA = `SELECT m."contentType", m.body FROM "Media" m WHERE m.id = $1 AND ${mediaServableSql("m.id", "$2::timestamptz")}`;

/** The item if something that uses it is active now (domain/media-access.ts), else null. */
export async function findServableMedia(
  db: Database,
  id: string,
  now: Date,
): Promise<{ contentType: string; body: Buffer } | null> {
  if (!MEDIA_ID.test(id)) return null;
  const [row] = await db.sql.query<{ contentType: string; body: Uint8Array }>(SERVABLE_MEDIA, [id, now.toISOString()]);
  return row
    ? { contentType: row.contentType, body: Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength) }
    : null;
}

/** Stored media nothing has referred to for this long are deleted (a form still open may yet save its files). */
export const KEEP_UNUSED_MEDIA_HOURS = 24;
/** Rows carry the bytes (up to 600 KB each, a voter's picture more): a small batch keeps each delete short. */
const PRUNE_MEDIA_BATCH = 200;

/*
 * Everything that refers to a stored item by id: a campaign's link media and attached files, a canned
 * reply, a text (sent, or a voter's copied picture), and a volunteer's reply still in the inbox (the
 * files its media lane stored, or a canned reply's media it carries). A processed inbox row's media
 * live on in the text it sent.
 */
const UNUSED_MEDIA = `SELECT m.id FROM "Media" m
  WHERE m."createdAt" < $1
    AND NOT EXISTS (SELECT 1 FROM "Campaign" c WHERE m.id = ANY (c."mediaIds" || c."mediaFileIds"))
    AND NOT EXISTS (SELECT 1 FROM "CannedReply" r WHERE m.id = ANY (r."mediaIds"))
    AND NOT EXISTS (SELECT 1 FROM "Message" t WHERE t."mediaIds" @> ARRAY[m.id]::text[])
    AND NOT EXISTS (
      SELECT 1 FROM "InboundEvent" e
      WHERE e."processedAt" IS NULL AND e.source = 'slack.reply'
        AND (COALESCE(e.media -> 'ids', '[]'::jsonb) ? m.id OR COALESCE(e.payload -> 'mediaIds', '[]'::jsonb) ? m.id))
  LIMIT $2`;

/**
 * Deletes stored media older than KEEP_UNUSED_MEDIA_HOURS that nothing refers to (files refused, removed
 * from a campaign or a canned reply, or stored for a form never saved), in batches.
 */
export async function pruneUnusedMedia(
  db: Database,
  now: Date,
  keepHours = KEEP_UNUSED_MEDIA_HOURS,
): Promise<{ pruned: number }> {
  const before = new Date(now.getTime() - keepHours * 3_600_000);
  let pruned = 0;
  for (;;) {
    const deleted = await db.prisma.$executeRawUnsafe(
      `DELETE FROM "Media" WHERE id IN (${UNUSED_MEDIA})`,
      before,
      PRUNE_MEDIA_BATCH,
    );
    pruned += deleted;
    if (deleted < PRUNE_MEDIA_BATCH) return { pruned };
  }
}

/** The public address Twilio fetches an item from. */
export function mediaUrl(publicUrl: string, id: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/media/${id}`;
}
