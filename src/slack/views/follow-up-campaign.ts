import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from "@slack/bolt";
import { checkFollowUpChoice } from "../../domain/follow-up-campaign";
import { escapeForSlack } from "../../domain/slack-text";
import { startFollowUpCampaign, type FollowUpStart } from "../../services/follow-up-campaigns";
import { failureText } from "../answer-failure";
import { campaignModal, modalMetadata } from "../blocks/campaign-modal";
import type { FollowUpModalMetadata } from "../blocks/follow-up-modal";
import type { SlackDeps } from "../deps";
import { readFollowUpChoice } from "../follow-up-form";
import type { ViewStateValues } from "../segment-form";
import { actorOf } from "../actor";

/**
 * The follow-up form was submitted: a missing group or tag goes back under its field; else the
 * group is saved as a segment and the modal becomes the regular campaign form, prefilled, whose
 * own submission saves the draft (views/campaign-form.ts).
 */
export function followUpSubmitted(deps: SlackDeps) {
  return async ({ ack, view, body }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const metadata = JSON.parse(view.private_metadata) as FollowUpModalMetadata;
    const checked = checkFollowUpChoice(readFollowUpChoice(view.state.values as ViewStateValues));
    if (!checked.ok) {
      const errors: Record<string, string> = { ...checked.problems };
      // Without any tagged conversation the form has no tag menu: the problem goes under the groups.
      if (errors.tag && !view.blocks.some((b) => b.block_id === "tag")) {
        delete errors.tag;
        errors.state = "No conversation of this campaign has a tag yet: pick another group.";
      }
      await ack({ response_action: "errors", errors });
      return;
    }
    let start: FollowUpStart;
    try {
      start = await startFollowUpCampaign(deps.db, {
        campaignId: metadata.campaignId,
        state: checked.state,
        tag: checked.tag,
        actor: await actorOf(deps, body.user.id),
      });
    } catch (error) {
      const context = { user: body.user.id, campaign: metadata.campaignId };
      const message = failureText(deps.logger, error, { what: "starting the follow-up campaign", context });
      await ack({ response_action: "errors", errors: { state: message } });
      return;
    }
    deps.logger.info(
      { campaign: metadata.campaignId, segment: start.segment.id, user: body.user.id },
      "follow-up segment saved",
    );
    const form = campaignModal(
      modalMetadata({ channelId: metadata.channelId, mode: "new" }, metadata.fields),
      "new",
      { segments: start.segments, customFields: metadata.fields },
      start.form,
      `:busts_in_silhouette: Saved the segment *${escapeForSlack(start.segment.name)}* as this campaign's audience. Write the texts, check the rest, and save the draft. (Closing this form keeps the segment for later: \`/segment delete ${escapeForSlack(start.segment.name)}\` removes it.)`,
    );
    await ack({ response_action: "update", view: form });
  };
}
