-- CreateIndex
CREATE INDEX "CampaignContact_campaignId_assignedTo_status_idx" ON "CampaignContact"("campaignId", "assignedTo", "status");
