import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { suggestNames } from "../../domain/suggest";
import { commandHelp, unknownSubcommand, type SubcommandHelp } from "../blocks/command-help";

export const CAMPAIGN_COMMAND = "/campaign";

/** What `/campaign` answers to; the help is rendered from this list, so it never lists a missing command. */
export const CAMPAIGN_SUBCOMMANDS: readonly SubcommandHelp[] = [{ name: "help", summary: "show what `/campaign` can do" }];

const INTRO = "create and run texting campaigns.";

/** `/campaign [subcommand] [args]`: splits the text and routes it; help and unknown words answer at once. */
export async function campaignCommand({ command, ack }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
  const [word = ""] = command.text.trim().split(/\s+/);
  const subcommand = word.toLowerCase();
  if (subcommand === "" || subcommand === "help") {
    await ack(commandHelp(CAMPAIGN_COMMAND, INTRO, CAMPAIGN_SUBCOMMANDS));
    return;
  }
  const known = CAMPAIGN_SUBCOMMANDS.map((s) => s.name);
  await ack(unknownSubcommand(CAMPAIGN_COMMAND, word, suggestNames(subcommand, known)));
}
