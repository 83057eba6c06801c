-- CreateIndex
CREATE INDEX "Conversation_contactId_updatedAt_idx" ON "Conversation"("contactId", "updatedAt");
