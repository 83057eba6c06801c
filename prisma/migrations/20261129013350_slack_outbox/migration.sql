-- CreateEnum
CREATE TYPE "SlackOutboxStatus" AS ENUM ('queued', 'sent', 'failed');

-- CreateTable
CREATE TABLE "SlackOutbox" (
    "id" UUID NOT NULL,
    "position" BIGSERIAL NOT NULL,
    "channel" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "dedupeKey" TEXT,
    "parentId" UUID,
    "settleHook" TEXT,
    "settleRef" TEXT,
    "status" "SlackOutboxStatus" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "availableAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "resultTs" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settledAt" TIMESTAMPTZ(3),

    CONSTRAINT "SlackOutbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackOutboxChannel" (
    "channel" TEXT NOT NULL,
    "bucketFullAt" TIMESTAMPTZ(6),
    "pausedUntil" TIMESTAMPTZ(3),
    "leaseToken" UUID,
    "leaseUntil" TIMESTAMPTZ(3),

    CONSTRAINT "SlackOutboxChannel_pkey" PRIMARY KEY ("channel")
);

-- CreateIndex
CREATE UNIQUE INDEX "SlackOutbox_dedupeKey_key" ON "SlackOutbox"("dedupeKey");

-- CreateIndex
CREATE INDEX "SlackOutbox_channel_status_position_idx" ON "SlackOutbox"("channel", "status", "position");

-- CreateIndex
CREATE INDEX "SlackOutbox_status_settledAt_idx" ON "SlackOutbox"("status", "settledAt");

-- AddForeignKey
ALTER TABLE "SlackOutbox" ADD CONSTRAINT "SlackOutbox_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "SlackOutbox"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
