-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "mediaCopyAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "mediaCopyNextAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "Message_mediaCopyNextAt_idx" ON "Message"("mediaCopyNextAt");
