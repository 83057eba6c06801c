import { CAMPAIGN_FIX_ACTIONS, CAMPAIGN_LAUNCH } from "../blocks/campaign";
import { TEXTING_SEND, TEXTING_SKIP } from "../blocks/texting";
import { SEGMENT_DELETE_CANCEL, SEGMENT_DELETE_CONFIRM, SEGMENT_FIELD_ACTIONS, SEGMENT_TAG_ACTIONS } from "../blocks/segment";
import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { campaignFixClicked, campaignLaunchClicked } from "./campaign-buttons";
import { segmentDeleteCancelled, segmentDeleteConfirmed } from "./segment-delete";
import { segmentFieldChanged } from "./segment-live-count";
import { segmentTagOptions } from "./segment-tag-options";
import { textingSendClicked, textingSkipClicked } from "./texting";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.action(CAMPAIGN_FIX_ACTIONS, campaignFixClicked(deps));
  app.action(CAMPAIGN_LAUNCH, campaignLaunchClicked(deps));
  app.action(TEXTING_SEND, textingSendClicked(deps));
  app.action(TEXTING_SKIP, textingSkipClicked(deps));
  app.action(SEGMENT_FIELD_ACTIONS, segmentFieldChanged(deps));
  app.options(SEGMENT_TAG_ACTIONS, segmentTagOptions(deps));
  app.action(SEGMENT_DELETE_CONFIRM, segmentDeleteConfirmed(deps));
  app.action(SEGMENT_DELETE_CANCEL, segmentDeleteCancelled);
}
