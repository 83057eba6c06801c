-- DropIndex
DROP INDEX "Message_contactId_createdAt_idx";

-- CreateIndex
CREATE INDEX "Message_contactId_direction_createdAt_idx" ON "Message"("contactId", "direction", "createdAt");
