import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import { campaignById, CampaignError } from "../../services/campaigns";
import { applyScriptFix } from "../../services/campaign-launch";
import { campaignReport } from "../../services/campaign-report";
import { answerFailure } from "../answer-failure";
import { campaignReportMessage } from "../blocks/campaign-messages";
import { launchAnswer } from "../commands/campaign";
import type { SlackDeps } from "../deps";
import { actorOf } from "../actor";

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** A one-click fix on a campaign summary: rewrite that script, then show the summary again in place. */
export function campaignFixClicked(deps: SlackDeps) {
  return async ({ ack, action, respond, body }: ButtonArgs): Promise<void> => {
    await ack();
    deps.background.run("campaign-fix", async () => {
      try {
        const { s: scriptId, c: code } = JSON.parse(action.value ?? "{}") as { s?: string; c?: string };
        const actor = await actorOf(deps, body.user.id);
        const campaign = await applyScriptFix(deps.db, { scriptId: scriptId ?? "", code: code ?? "" }, actor);
        const report = await campaignReport(deps.db, campaign, {
          pricePerSegmentUsd: deps.smsSegmentPriceUsd,
          pricePerMmsUsd: deps.mmsPriceUsd,
          now: deps.clock(),
          timeZone: deps.orgTimeZone,
        });
        await respond({ replace_original: true, ...campaignReportMessage(report) });
      } catch (error) {
        await respond(
          answerFailure(deps.logger, error, { what: "fixing the script", context: { user: body.user.id } }),
        );
      }
    });
  };
}

/** The Launch button of a draft's summary: the same checks as `/campaign launch`; "Launch anyway" confirms a capped audience. */
export function campaignLaunchClicked(deps: SlackDeps, confirmCapped = false) {
  return async ({ ack, action, respond, body }: ButtonArgs): Promise<void> => {
    await ack();
    deps.background.run("campaign-launch", async () => {
      try {
        const campaign = await campaignById(deps.db, action.value ?? "");
        if (!campaign)
          throw new CampaignError(
            "not_found",
            "That campaign no longer exists. Type /campaign list to see the campaigns there are.",
          );
        const actor = await actorOf(deps, body.user.id);
        await respond({ replace_original: true, ...(await launchAnswer(deps, campaign, actor, confirmCapped)) });
      } catch (error) {
        await respond(
          answerFailure(deps.logger, error, {
            what: "launching the campaign",
            context: { user: body.user.id, campaignId: action.value },
          }),
        );
      }
    });
  };
}
