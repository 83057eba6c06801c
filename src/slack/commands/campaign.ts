import { slashCommand } from "./router";

export const CAMPAIGN_COMMAND = "/campaign";

/** `/campaign …`: create and run texting campaigns. */
export const campaignCommand = slashCommand(CAMPAIGN_COMMAND, "create and run texting campaigns.", []);
