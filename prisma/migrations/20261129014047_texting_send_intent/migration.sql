-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "campaignId" UUID,
ADD COLUMN     "sendIntentId" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "Message_sendIntentId_key" ON "Message"("sendIntentId");
