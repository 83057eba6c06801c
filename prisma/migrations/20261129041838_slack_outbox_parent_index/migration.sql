-- CreateIndex
CREATE INDEX "SlackOutbox_parentId_idx" ON "SlackOutbox"("parentId");
