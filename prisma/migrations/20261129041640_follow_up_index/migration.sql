-- CreateIndex
CREATE INDEX "Conversation_followUpAt_idx" ON "Conversation"("followUpAt");
