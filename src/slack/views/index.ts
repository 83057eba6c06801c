import { CAMPAIGN_FORM_VIEW } from "../blocks/campaign-modal";
import { CANNED_REPLY_VIEW } from "../blocks/canned-reply";
import { FOLLOW_UP_VIEW } from "../blocks/follow-up-modal";
import { IMPORT_VIEW } from "../blocks/contact-import";
import { SEGMENT_NEW_VIEW } from "../blocks/segment-fields";
import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { campaignFormSubmitted } from "./campaign-form";
import { cannedReplySubmitted } from "./canned-reply";
import { contactImportSubmitted } from "./contact-import";
import { followUpSubmitted } from "./follow-up-campaign";
import { segmentNewSubmitted } from "./segment-new";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.view(CAMPAIGN_FORM_VIEW, campaignFormSubmitted(deps));
  app.view(CANNED_REPLY_VIEW, cannedReplySubmitted(deps));
  app.view(FOLLOW_UP_VIEW, followUpSubmitted(deps));
  app.view(IMPORT_VIEW, contactImportSubmitted(deps));
  app.view(SEGMENT_NEW_VIEW, segmentNewSubmitted(deps));
}
