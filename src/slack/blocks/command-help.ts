import type { types } from "@slack/bolt";

type KnownBlock = types.KnownBlock;

/** One subcommand of a slash command, as the help lists it. */
export interface SubcommandHelp {
  name: string;
  /** Arguments after the name, e.g. "<name>". */
  args?: string;
  summary: string;
}

export interface EphemeralMessage {
  response_type: "ephemeral";
  text: string;
  blocks: KnownBlock[];
}

/** The usage answer for `/command` or `/command help`. */
export function commandHelp(command: string, intro: string, subcommands: readonly SubcommandHelp[]): EphemeralMessage {
  const lines = subcommands.map((s) => `• \`${command} ${s.name}${s.args ? ` ${s.args}` : ""}\`: ${s.summary}`);
  return {
    response_type: "ephemeral",
    text: `${intro} Usage: ${subcommands.map((s) => `${command} ${s.name}`).join(", ")}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${command}*: ${intro}` } },
      { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
    ],
  };
}

/** The answer to a subcommand we do not know: what was typed, what might have been meant, where help is. */
export function unknownSubcommand(command: string, typed: string, suggestions: readonly string[]): EphemeralMessage {
  const guess = suggestions.length
    ? ` Did you mean ${suggestions.map((s) => `\`${command} ${s}\``).join(" or ")}?`
    : "";
  const text = `\`${command} ${typed}\` is not a command I know.${guess} Type \`${command} help\` to see everything it can do.`;
  return { response_type: "ephemeral", text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}
