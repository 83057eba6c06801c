-- AlterTable
ALTER TABLE "InboundEvent" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "failedAt" TIMESTAMPTZ(3),
ADD COLUMN     "lastError" TEXT;
