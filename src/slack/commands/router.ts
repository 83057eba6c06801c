import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { suggestNames } from "../../domain/suggest";
import { commandHelp, unknownSubcommand } from "../blocks/command-help";

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** One `/command <name> …` action. `run` must ack first (with or without an answer). */
export interface Subcommand {
  name: string;
  /** Arguments after the name, as help shows them, e.g. "<name>". */
  args?: string;
  summary: string;
  run(args: CommandArgs, rest: string): Promise<void>;
}

/**
 * A slash command made of subcommands. `help` and a bare command answer with usage rendered from
 * the list (so it never advertises a missing subcommand); an unknown word gets suggestions.
 */
export function slashCommand(command: string, intro: string, subcommands: readonly Subcommand[]) {
  const help = [...subcommands, { name: "help", summary: `show what \`${command}\` can do` }];
  return async (args: CommandArgs): Promise<void> => {
    const text = args.command.text.trim();
    const [word = ""] = text.split(/\s+/);
    const name = word.toLowerCase();
    if (name === "" || name === "help") {
      await args.ack(commandHelp(command, intro, help));
      return;
    }
    const subcommand = subcommands.find((s) => s.name === name);
    if (!subcommand) {
      await args.ack(
        unknownSubcommand(
          command,
          word,
          suggestNames(
            name,
            help.map((s) => s.name),
          ),
        ),
      );
      return;
    }
    await subcommand.run(args, text.slice(word.length).trim());
  };
}
