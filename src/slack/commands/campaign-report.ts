import { campaignResults } from "../../services/campaign-results";
import { requireCampaign } from "../../services/campaigns";
import type { Actor } from "../../services/actors";
import { answerFailure } from "../answer-failure";
import { campaignResultsMessage, chartComingNote, chartFailedMessage, noChartNote } from "../blocks/campaign-results";
import { renderReportChart } from "../charts/report-chart";
import type { SlackDeps } from "../deps";
import { slackErrorCode } from "../tell-user";
import type { CommandArgs } from "./router";

/**
 * `/campaign report <name>`: the figures answer through response_url (counting can take a moment),
 * then the chart is drawn and uploaded to the asker's direct messages with the app (files v2): a
 * file needs a conversation, and the report itself is only theirs to see.
 */
export async function showResults(
  deps: SlackDeps,
  { ack, respond, client, command }: CommandArgs,
  name: string,
  actor: Actor,
): Promise<void> {
  await ack();
  deps.background.run("campaign-report", async () => {
    const log = deps.logger.child({ flow: "campaign-report", user: command.user_id, campaign: name });
    let results;
    try {
      const campaign = await requireCampaign(deps.db, name);
      results = await campaignResults(deps.db, campaign, actor, { timeZone: deps.orgTimeZone });
    } catch (error) {
      await respond(
        answerFailure(deps.logger, error, {
          what: "reading the report",
          context: { user: command.user_id, campaign: name },
        }),
      );
      return;
    }
    const withChart = results.daily.length > 0;
    await respond(campaignResultsMessage(results, withChart ? chartComingNote : noChartNote));
    if (!withChart) return;
    try {
      const png = await renderReportChart(results.campaign.name, results.daily);
      const dm = await client.conversations.open({ users: actor.userId });
      const channel = dm.channel?.id;
      if (!channel) throw new Error("Slack opened no direct message");
      const slug = results.campaign.name.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "") || "campaign";
      await client.filesUploadV2({
        channel_id: channel,
        file: png,
        filename: `${slug}-rates-by-day.png`,
        title: `${results.campaign.name}: reply and opt-out rates by day`,
        initial_comment: `Reply and opt-out rates per day of first text, per variant, for ${results.campaign.name}.`,
      });
    } catch (error) {
      log.error({ err: error }, "report chart not uploaded");
      await respond(chartFailedMessage(results.campaign.name, slackErrorCode(error) ?? "no answer"));
    }
  });
}
