import { commandHelp, unknownSubcommand } from "../../../src/slack/blocks/command-help";

describe("command help builders", () => {
  it("lists each subcommand with its arguments and summary", () => {
    const help = commandHelp("/campaign", "create and run texting campaigns.", [
      { name: "show", args: "<name>", summary: "see a campaign" },
      { name: "help", summary: "show this" },
    ]);
    expect(help.response_type).toBe("ephemeral");
    expect(JSON.stringify(help.blocks)).toContain("`/campaign show <name>`: see a campaign");
    expect(help.text).toContain("/campaign help");
  });

  it("answers an unknown subcommand with suggestions and the way to help", () => {
    const answer = unknownSubcommand("/campaign", "lanch", ["launch"]);
    expect(answer.text).toBe(
      "`/campaign lanch` is not a command I know. Did you mean `/campaign launch`? Type `/campaign help` to see everything it can do.",
    );
    expect(unknownSubcommand("/campaign", "zzz", []).text).not.toContain("Did you mean");
  });
});
