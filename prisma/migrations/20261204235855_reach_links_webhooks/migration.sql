-- CreateEnum
CREATE TYPE "WebhookEventStatus" AS ENUM ('queued', 'delivered', 'failed');

-- CreateTable
CREATE TABLE "WebhookEvent" (
    "id" UUID NOT NULL,
    "position" BIGSERIAL NOT NULL,
    "orderKey" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "campaignId" UUID,
    "status" "WebhookEventStatus" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "availableAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settledAt" TIMESTAMPTZ(3),

    CONSTRAINT "WebhookEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebhookEvent_status_orderKey_position_idx" ON "WebhookEvent"("status", "orderKey", "position");

-- CreateIndex
CREATE INDEX "WebhookEvent_status_settledAt_idx" ON "WebhookEvent"("status", "settledAt");

-- CreateIndex
CREATE INDEX "LinkClick_shortLinkId_idx" ON "LinkClick"("shortLinkId");

-- CreateIndex
CREATE INDEX "ShortLink_campaignId_contactId_idx" ON "ShortLink"("campaignId", "contactId");
