-- AlterTable
ALTER TABLE "Campaign" ADD COLUMN     "digestMinute" INTEGER,
ADD COLUMN     "windowNoteAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "CampaignContact" ADD COLUMN     "firstTextAt" TIMESTAMPTZ(3),
ADD COLUMN     "lastTextAt" TIMESTAMPTZ(3),
ADD COLUMN     "skipCode" TEXT,
ADD COLUMN     "step" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "nudgedAt" TIMESTAMPTZ(3),
ADD COLUMN     "permalink" TEXT,
ADD COLUMN     "waitingSince" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "step" INTEGER;

-- AlterTable
ALTER TABLE "ScriptVariant" ADD COLUMN     "delayDays" INTEGER;

-- CreateIndex
CREATE INDEX "CampaignContact_campaignId_status_lastTextAt_idx" ON "CampaignContact"("campaignId", "status", "lastTextAt");

-- CreateIndex
CREATE INDEX "Conversation_campaignId_waitingSince_idx" ON "Conversation"("campaignId", "waitingSince");

-- Backfill: entries already texted get the times of their texts, so follow-ups count from them.
UPDATE "CampaignContact" cc SET "firstTextAt" = t.first_at, "lastTextAt" = t.last_at
FROM (
  SELECT m."campaignId", m."contactId", min(m."createdAt") AS first_at, max(m."createdAt") AS last_at
  FROM "Message" m
  WHERE m.direction = 'outbound' AND m.initiated AND m."campaignId" IS NOT NULL AND m."contactId" IS NOT NULL
  GROUP BY m."campaignId", m."contactId"
) t
WHERE cc."campaignId" = t."campaignId" AND cc."contactId" = t."contactId" AND cc.status = 'sent';

UPDATE "Message" SET step = 0 WHERE direction = 'outbound' AND initiated AND "campaignId" IS NOT NULL;

-- Backfill: conversations whose voter spoke last wait since their first text after the last human reply.
UPDATE "Conversation" cv SET "waitingSince" = w.since
FROM (
  SELECT m."conversationId" AS id, min(m."createdAt") AS since
  FROM "Message" m
  WHERE m.direction = 'inbound' AND m."conversationId" IS NOT NULL
    AND m."createdAt" > coalesce((
      SELECT max(r."createdAt") FROM "Message" r
      WHERE r."conversationId" = m."conversationId" AND r.direction = 'outbound' AND r."sentBy" IS NOT NULL AND NOT r.initiated), '-infinity')
  GROUP BY m."conversationId"
) w
WHERE cv.id = w.id;

-- Follow-ups saved before delays existed get the defaults: 2 days, then 5.
UPDATE "ScriptVariant" SET "delayDays" = CASE WHEN position = 0 THEN 2 ELSE 5 END WHERE kind = 'follow_up';
