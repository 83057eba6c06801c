import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import type { Permission } from "../../domain/roles";
import { suggestNames } from "../../domain/suggest";
import { requirePermission, type Actor } from "../../services/actors";
import { actorOf } from "../actor";
import { answerFailure, type FailedAction } from "../answer-failure";
import { commandHelp, unknownSubcommand } from "../blocks/command-help";
import type { SlackDeps } from "../deps";

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * For answers that read a lot (counts, previews, a batch to claim): acknowledges now, then answers
 * through response_url in the background job `job`, or says what failed as `answerFailure` words it.
 */
export async function answerLater(
  deps: Pick<SlackDeps, "background" | "logger">,
  { ack, respond }: Pick<CommandArgs, "ack" | "respond">,
  job: string,
  failed: FailedAction,
  answer: () => Promise<Parameters<CommandArgs["respond"]>[0]>,
): Promise<void> {
  await ack();
  deps.background.run(job, async () => {
    try {
      await respond(await answer());
    } catch (error) {
      await respond(answerFailure(deps.logger, error, failed));
    }
  });
}

/** One `/command <name> …` action. `run` must ack first (with or without an answer). */
export interface Subcommand {
  name: string;
  /** Arguments after the name, as help shows them, e.g. "<name>". */
  args?: string;
  summary: string;
  /** Who may run it (src/domain/roles.ts), and what it is called in a refusal ("launching a campaign"). */
  permission: Permission;
  what: string;
  run(args: CommandArgs, rest: string, actor: Actor): Promise<void>;
}

/**
 * A slash command made of subcommands. `help` and a bare command answer with usage rendered from
 * the list (so it never advertises a missing subcommand); an unknown word gets suggestions. Before a
 * subcommand runs, its user's role must allow it: a refusal is one line, and nothing changes (the
 * services check again before they change anything).
 */
export function slashCommand(
  deps: Pick<SlackDeps, "db" | "roles" | "clock" | "logger">,
  command: string,
  intro: string,
  subcommands: readonly Subcommand[],
) {
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
    let actor: Actor;
    try {
      actor = await actorOf(deps, args.command.user_id);
      await requirePermission(deps.db, actor, subcommand.permission, subcommand.what, {
        subject: `${command} ${text}`,
      });
    } catch (error) {
      const context = { user: args.command.user_id, command: `${command} ${subcommand.name}` };
      await args.ack(answerFailure(deps.logger, error, { what: subcommand.what, context }));
      return;
    }
    await subcommand.run(args, text.slice(word.length).trim(), actor);
  };
}
