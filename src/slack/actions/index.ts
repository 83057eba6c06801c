import { CAMPAIGN_FIX_ACTIONS, CAMPAIGN_LAUNCH, CAMPAIGN_LAUNCH_CONFIRMED } from "../blocks/campaign-messages";
import {
  THREAD_ASSIGN,
  THREAD_CANNED,
  THREAD_FOLLOW_UP,
  THREAD_OPT_OUT,
  THREAD_RELEASE,
  THREAD_SHOW_PHONE,
  THREAD_TAG,
} from "../blocks/conversation";
import { DIGEST_OPEN_CARD } from "../blocks/digest";
import { TEXTING_SEND, TEXTING_SKIP } from "../blocks/texting";
import { SEGMENT_FIELD_ACTIONS, SEGMENT_TAG_ACTIONS } from "../blocks/segment-fields";
import { SEGMENT_DELETE_CANCEL, SEGMENT_DELETE_CONFIRM } from "../blocks/segment-messages";
import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { campaignFixClicked, campaignLaunchClicked } from "./campaign-buttons";
import { digestOpenCardClicked } from "./digest";
import { segmentDeleteCancelled, segmentDeleteConfirmed } from "./segment-delete";
import { segmentFieldChanged } from "./segment-live-count";
import { segmentTagOptions } from "./segment-tag-options";
import { textingSendClicked, textingSkipClicked } from "./texting";
import {
  threadAssignClicked,
  threadCannedPicked,
  threadFollowUpPicked,
  threadOptOutClicked,
  threadReleaseClicked,
  threadShowPhoneClicked,
  threadTagPicked,
} from "./thread-controls";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.action(CAMPAIGN_FIX_ACTIONS, campaignFixClicked(deps));
  app.action(CAMPAIGN_LAUNCH, campaignLaunchClicked(deps));
  app.action(CAMPAIGN_LAUNCH_CONFIRMED, campaignLaunchClicked(deps, true));
  app.action(TEXTING_SEND, textingSendClicked(deps));
  app.action(THREAD_ASSIGN, threadAssignClicked(deps));
  app.action(THREAD_RELEASE, threadReleaseClicked(deps));
  app.action(THREAD_TAG, threadTagPicked(deps));
  app.action(THREAD_FOLLOW_UP, threadFollowUpPicked(deps));
  app.action(THREAD_CANNED, threadCannedPicked(deps));
  app.action(THREAD_OPT_OUT, threadOptOutClicked(deps));
  app.action(THREAD_SHOW_PHONE, threadShowPhoneClicked(deps));
  app.action(TEXTING_SKIP, textingSkipClicked(deps));
  app.action(SEGMENT_FIELD_ACTIONS, segmentFieldChanged(deps));
  app.options(SEGMENT_TAG_ACTIONS, segmentTagOptions(deps));
  app.action(SEGMENT_DELETE_CONFIRM, segmentDeleteConfirmed(deps));
  app.action(SEGMENT_DELETE_CANCEL, segmentDeleteCancelled);
  app.action(DIGEST_OPEN_CARD, digestOpenCardClicked(deps));
}
