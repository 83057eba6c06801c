import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction, webApi } from "@slack/bolt";
import { validateCampaignForm } from "../../domain/campaign-form";
import { mergeFieldsFor } from "../../domain/script";
import { campaignById, CampaignError, createCampaign, updateCampaign } from "../../services/campaigns";
import { campaignReport } from "../../services/campaign-report";
import { failureText } from "../answer-failure";
import { prepareCampaignMedia } from "../../services/campaign-media";
import { campaignMediaMessage } from "../blocks/campaign-media";
import { campaignSavedMessage } from "../blocks/campaign-messages";
import type { CampaignModalMetadata } from "../blocks/campaign-modal";
import { readCampaignForm } from "../campaign-form";
import type { SlackDeps } from "../deps";
import type { ViewStateValues } from "../segment-form";
import { tellUser } from "../tell-user";
import { actorOf } from "../actor";

/**
 * The campaign form was submitted (new or edit): every problem goes back under the field that
 * caused it and the modal stays open; a valid campaign is saved as a draft (or the edit is saved),
 * the modal closes, and the organizer gets the summary: audience, previews, cost, warnings.
 */
export function campaignFormSubmitted(deps: SlackDeps) {
  return async ({
    ack,
    view,
    body,
    client,
  }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> => {
    const metadata = JSON.parse(view.private_metadata) as CampaignModalMetadata;
    const result = validateCampaignForm(readCampaignForm(view.state.values as ViewStateValues), {
      knownFields: mergeFieldsFor(metadata.fields),
    });
    if (!result.ok) {
      await ack({ response_action: "errors", errors: result.problems });
      return;
    }
    let saved: { id: string; name: string };
    try {
      const actor = await actorOf(deps, body.user.id);
      saved =
        metadata.mode === "edit" && metadata.campaignId
          ? await updateCampaign(deps.db, metadata.campaignId, result.draft, actor)
          : await createCampaign(deps.db, result.draft, actor);
    } catch (error) {
      // The modal stays open, the problem under the field it is about: the segment when it is gone, else the name.
      const message = failureText(deps.logger, error, { what: "saving the campaign", context: { user: body.user.id } });
      const field = error instanceof CampaignError && error.reason === "segment_missing" ? "segment" : "name";
      await ack({ response_action: "errors", errors: { [field]: message } });
      return;
    }
    await ack();
    deps.logger.info({ campaign: saved.id, user: body.user.id, mode: metadata.mode }, "campaign saved");
    const to = { channelId: metadata.channelId, userId: body.user.id };
    deps.background.run("campaign-saved", async () => {
      // Media first, so the summary after it already knows whether they are ready.
      await checkMedia(deps, client, to, saved.id);
      await summarize(deps, client, to, saved.id, {
        mode: metadata.mode,
        warnings: result.warnings,
        inserted: result.inserted,
      });
    });
  };
}

/** Fetches, checks and stores the campaign's new media links, and tells the organizer each one's size before and after. */
async function checkMedia(
  deps: SlackDeps,
  client: webApi.WebClient,
  to: { channelId: string; userId: string },
  campaignId: string,
): Promise<void> {
  const report = await prepareCampaignMedia(deps.db, deps, campaignId, to.userId);
  if (report) await tellUser(client, to, campaignMediaMessage(report));
}

async function summarize(
  deps: SlackDeps,
  client: webApi.WebClient,
  to: { channelId: string; userId: string },
  campaignId: string,
  saved: Parameters<typeof campaignSavedMessage>[1],
): Promise<void> {
  const campaign = await campaignById(deps.db, campaignId);
  if (!campaign) return;
  const report = await campaignReport(deps.db, campaign, {
    pricePerSegmentUsd: deps.smsSegmentPriceUsd,
    pricePerMmsUsd: deps.mmsPriceUsd,
    now: deps.clock(),
    timeZone: deps.orgTimeZone,
  });
  const { text, blocks } = campaignSavedMessage(report, saved);
  await tellUser(client, to, { text, blocks });
}
