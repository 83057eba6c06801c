import type { CampaignStatus } from "./campaign-status";

/**
 * When PUBLIC_URL/media/<id> answers: only while something that uses the item is active, so a
 * leaked link stops working. A campaign uses its media (its links' and its attached files') while it
 * runs or is paused (texts already at Twilio still fetch it), and so do its canned replies' media. A
 * text carrying it keeps it served while its conversation's campaign runs or is paused, and for 36
 * hours after it was sent whatever the campaign (Twilio fetches media when it sends, and holds a text
 * at most 10 hours: MAX_VALIDITY_SECONDS).
 */
export const MEDIA_AFTER_TEXT_HOURS = 36;

const SERVING_STATUSES: readonly CampaignStatus[] = ["running", "paused"];

export type MediaUse =
  | { kind: "campaign"; campaignStatus: CampaignStatus }
  /** A canned reply of a campaign carries it. */
  | { kind: "canned-reply"; campaignStatus: CampaignStatus }
  | { kind: "text"; direction: "inbound" | "outbound"; campaignStatus: CampaignStatus | null; sentAt: Date };

export function mayServeMedia(uses: readonly MediaUse[], now: Date): boolean {
  return uses.some((use) => {
    if (use.kind === "campaign" || use.kind === "canned-reply") return SERVING_STATUSES.includes(use.campaignStatus);
    if (use.direction !== "outbound") return false;
    if (use.campaignStatus && SERVING_STATUSES.includes(use.campaignStatus)) return true;
    return now.getTime() - use.sentAt.getTime() < MEDIA_AFTER_TEXT_HOURS * 3_600_000;
  });
}

/** SQL twin of `mayServeMedia` for the media id in `idParam` at the time in `nowParam` (timestamptz). */
export function mediaServableSql(idParam: string, nowParam: string): string {
  const statuses = SERVING_STATUSES.map((s) => `'${s}'`).join(", ");
  return `(EXISTS (SELECT 1 FROM "Campaign" mc WHERE mc.status IN (${statuses}) AND ${idParam} = ANY (mc."mediaIds" || mc."mediaFileIds"))
    OR EXISTS (
      SELECT 1 FROM "CannedReply" mr JOIN "Campaign" mrc ON mrc.id = mr."campaignId"
      WHERE mrc.status IN (${statuses}) AND ${idParam} = ANY (mr."mediaIds"))
    OR EXISTS (
      SELECT 1 FROM "Message" mt
      LEFT JOIN "Conversation" mv ON mv.id = mt."conversationId"
      LEFT JOIN "Campaign" mtc ON mtc.id = COALESCE(mv."campaignId", mt."campaignId")
      WHERE mt."mediaIds" @> ARRAY[${idParam}]::text[] AND mt.direction = 'outbound'
        AND (mtc.status IN (${statuses}) OR mt."createdAt" > ${nowParam} - interval '${MEDIA_AFTER_TEXT_HOURS} hours')))`;
}
