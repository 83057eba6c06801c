import { escapeForSlack } from "../../domain/slack-text";
import { ephemeral, section, type EphemeralAnswer } from "./kit";

/** One subcommand of a slash command, as the help lists it. */
export interface SubcommandHelp {
  name: string;
  /** Arguments after the name, e.g. "<name>". */
  args?: string;
  summary: string;
}

/** The usage answer for `/command` or `/command help`. */
export function commandHelp(command: string, intro: string, subcommands: readonly SubcommandHelp[]): EphemeralAnswer {
  const lines = subcommands.map((s) => `• \`${command} ${s.name}${s.args ? ` ${s.args}` : ""}\`: ${s.summary}`);
  return ephemeral(`${intro} Usage: ${subcommands.map((s) => `${command} ${s.name}`).join(", ")}`, [
    section(`*${command}*: ${intro}`),
    section(lines.join("\n")),
  ]);
}

/** The answer to a subcommand we do not know: what was typed, what might have been meant, where help is. */
export function unknownSubcommand(command: string, typed: string, suggestions: readonly string[]): EphemeralAnswer {
  const guess = suggestions.length
    ? ` Did you mean ${suggestions.map((s) => `\`${command} ${s}\``).join(" or ")}?`
    : "";
  return ephemeral(
    `\`${command} ${escapeForSlack(typed)}\` is not a command I know.${guess} Type \`${command} help\` to see everything it can do.`,
  );
}
