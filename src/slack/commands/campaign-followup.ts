import { customFieldNames } from "../../services/segments";
import { followUpStates, followUpTags, requireFollowUpSource } from "../../services/follow-up-campaigns";
import type { CampaignRecord } from "../../services/campaigns";
import { answerFailure } from "../answer-failure";
import { campaignFormFailedMessage } from "../blocks/campaign-messages";
import { modalMetadata } from "../blocks/campaign-modal";
import { followUpLoadingModal, followUpModal, followUpUnavailableModal } from "../blocks/follow-up-modal";
import type { SlackDeps } from "../deps";
import { slackErrorCode } from "../tell-user";
import type { CommandArgs } from "./router";

/**
 * `/campaign followup <name>`: an unknown name or a draft is answered at once; else the form opens
 * (trigger_id lasts about 3 s) and fills in when the groups are counted and the tags read.
 */
export async function openFollowUp(
  deps: SlackDeps,
  { ack, client, command, respond }: CommandArgs,
  name: string,
): Promise<void> {
  let campaign: CampaignRecord;
  try {
    campaign = await requireFollowUpSource(deps.db, name);
  } catch (error) {
    const context = { user: command.user_id, campaign: name };
    await ack(answerFailure(deps.logger, error, { what: "opening the follow-up form", context }));
    return;
  }
  await ack();
  const base = { channelId: command.channel_id, campaignId: campaign.id };
  const log = deps.logger.child({ flow: "campaign-followup", user: command.user_id, campaign: campaign.id });
  let opened: Awaited<ReturnType<typeof client.views.open>>;
  try {
    opened = await client.views.open({
      trigger_id: command.trigger_id,
      view: followUpLoadingModal(modalMetadata(base, []), campaign.name),
    });
  } catch (error) {
    log.error({ err: error }, "follow-up form did not open");
    await respond(campaignFormFailedMessage(slackErrorCode(error) ?? "no answer"));
    return;
  }
  const viewId = opened.view?.id;
  if (!viewId) return;
  deps.background.run("campaign-followup-form", async () => {
    try {
      const [states, tags, fields] = await Promise.all([
        followUpStates(deps.db, campaign),
        followUpTags(deps.db, campaign),
        customFieldNames(deps.db, 200),
      ]);
      await client.views.update({
        view_id: viewId,
        hash: opened.view?.hash,
        view: followUpModal(modalMetadata(base, fields), campaign.name, states, tags),
      });
    } catch (error) {
      if (slackErrorCode(error) === "not_found") return; // closed while loading
      log.error({ err: error }, "follow-up form could not load");
      await client.views
        .update({ view_id: viewId, view: followUpUnavailableModal(modalMetadata(base, [])) })
        .catch(() => undefined);
    }
  });
}
