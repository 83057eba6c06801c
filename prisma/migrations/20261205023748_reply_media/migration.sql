-- AlterTable
ALTER TABLE "CannedReply" ADD COLUMN     "mediaIds" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "InboundEvent" ADD COLUMN     "media" JSONB,
ADD COLUMN     "mediaLeaseUntil" TIMESTAMPTZ(3),
ADD COLUMN     "mediaState" TEXT;
