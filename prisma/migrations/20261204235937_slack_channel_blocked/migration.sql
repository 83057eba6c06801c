-- AlterTable
ALTER TABLE "SlackOutboxChannel" ADD COLUMN     "blockedError" TEXT,
ADD COLUMN     "blockedRetries" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "blockedSince" TIMESTAMPTZ(3);
