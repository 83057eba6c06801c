import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import { isUuid } from "../../db/ids";
import { drawCard } from "../../services/texting";
import { answerFailure } from "../answer-failure";
import { textingMessage } from "../blocks/texting";
import type { SlackDeps } from "../deps";

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * The digest's "Open my send card": the clicking volunteer's texting card, as `/campaign send`
 * draws it, answered only to them through the click's response_url. The digest itself stays; the
 * card's Send and Skip then work as on any card.
 */
export function digestOpenCardClicked(deps: SlackDeps) {
  return async ({ ack, action, respond, body }: ButtonArgs): Promise<void> => {
    await ack();
    const volunteer = body.user.id;
    const campaignId = action.value ?? "";
    deps.background.run("digest-open-card", async () => {
      try {
        if (!isUuid(campaignId)) throw new Error("digest button without a campaign id");
        const role = await deps.roles.roleOf(volunteer);
        const draw = await drawCard(deps.db, {
          campaignId,
          volunteer,
          role,
          now: deps.clock(),
          publicUrl: deps.publicUrl,
        });
        await respond({ ...textingMessage(draw), replace_original: false });
      } catch (error) {
        await respond({
          ...answerFailure(deps.logger, error, {
            what: "drawing your next texting card",
            context: { user: volunteer, campaign: campaignId },
          }),
          replace_original: false,
        });
      }
    });
  };
}
