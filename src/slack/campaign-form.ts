import {
  EMPTY_CAMPAIGN_FORM,
  FOLLOW_UP_LABELS,
  followUpDelayField,
  followUpField,
  scriptField,
  VARIANT_LABELS,
  type CampaignForm,
} from "../domain/campaign-form";
import { formAction, type CampaignBlock } from "./blocks/campaign-modal";
import type { ViewStateValues } from "./segment-form";

/** The campaign form as typed into the modal (see blocks/campaign-modal.ts for the blocks). */
export function readCampaignForm(values: ViewStateValues): CampaignForm {
  const state = (block: CampaignBlock) => values[block]?.[formAction(block)];
  const typed = (block: CampaignBlock) => state(block)?.value ?? "";
  const picked = (block: CampaignBlock) => state(block)?.selected_option?.value ?? null;
  const ticked = (block: CampaignBlock) => (state(block)?.selected_options ?? []).map((o) => o.value);
  // Slack sends each chosen file whole (id, name, mimetype, url_private_download, …); the id is what we read it by.
  const files = (state("mediaFiles")?.files ?? []) as { id: string; name?: string; mimetype?: string }[];
  return {
    ...EMPTY_CAMPAIGN_FORM,
    name: typed("name"),
    goalType: picked("goalType"),
    goalTarget: typed("goalTarget"),
    goalOutcomeTag: typed("goalOutcomeTag"),
    callToAction: typed("callToAction"),
    senderIdentity: typed("senderIdentity"),
    scripts: VARIANT_LABELS.map((label) => typed(scriptField(label))),
    followUps: FOLLOW_UP_LABELS.map((_, i) => typed(followUpField(i))),
    followUpDelays: FOLLOW_UP_LABELS.map((_, i) => typed(followUpDelayField(i))),
    channelId: state("channel")?.selected_conversation ?? null,
    sendWindow: picked("sendWindow"),
    capCount: typed("capCount"),
    capDays: typed("capDays"),
    segmentId: picked("segment"),
    helpText: typed("helpText"),
    mediaUrls: typed("mediaUrls"),
    mediaFiles: files.map((f) => ({ id: f.id, name: f.name ?? f.id, mimetype: f.mimetype ?? "" })),
    attachedMediaIds: ticked("attachedMedia"),
    textOnly: ticked("textOnly"),
    addMissing: ticked("addMissing").includes("yes"),
    digestTime: picked("digestTime"),
  };
}
