/**
 * Text crossing between SMS and Slack. Voter texts shown in Slack must stay inert: no `@channel`
 * pings, no user or channel mentions, no links dressed up with other words, no formatting games.
 * Volunteer replies typed in Slack go out as plain SMS: mentions, links and formatting are turned
 * back into the words a voter should see.
 */

/** Voter text made safe for a Slack mrkdwn field: every `&`, `<` and `>` escaped (Slack's own rule). */
export function escapeForSlack(text: string): string {
  return (
    text
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      // Plain "@channel" / "@here" / "@everyone" are inert in bot posts (no link_names), but keep them visibly so.
      .replace(/@(channel|here|everyone)\b/gi, "@\u2060$1")
  );
}

/** A voter's text as a mrkdwn quote: the message stays one quote however many lines it has. */
export function quoteForSlack(text: string): string {
  const escaped = escapeForSlack(text.trim() || "(empty message)");
  return escaped
    .split("\n")
    .map((line) => `>${line}`)
    .join("\n");
}

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

/**
 * A Slack message (mrkdwn as Slack stores it) as the plain text an SMS should carry:
 * - `<@U123>` → `@name` (from `names`, else dropped), `<#C123|general>` → `#general`;
 * - `<!channel>`, `<!here>`, `<!subteam^…|@team>` → the readable label, or nothing;
 * - `<https://x.org|label>` → `label (https://x.org)`, `<https://x.org>` and `<mailto:a@b|a@b>` → the address;
 * - `*bold*`, `_italic_`, `~strike~`, `` `code` `` and ``` fences lose their markers;
 * - `&amp;`, `&lt;`, `&gt;` become `&`, `<`, `>`; runs of spaces collapse, ends are trimmed.
 */
export function slackToPlainText(text: string, names: Record<string, string> = {}): string {
  const replaced = text.replace(/<([^<>]+)>/g, (_whole, inner: string) => {
    const [target = "", label] = inner.split("|", 2) as [string, string | undefined];
    if (target.startsWith("@")) {
      const name = names[target.slice(1)] ?? label;
      return name ? `@${name.replace(/^@/, "")}` : "";
    }
    if (target.startsWith("#")) return label ? `#${label}` : "";
    if (target.startsWith("!")) return label ? label : "";
    const address = target.replace(/^mailto:/, "");
    const bare = address.replace(/^https?:\/\//, "").replace(/\/$/, "");
    if (!label || label === address || label === target || label === bare) return address;
    return `${label} (${address})`;
  });
  return replaced
    .replace(/```([\s\S]*?)```/g, "$1")
    .replace(/`([^`\n]+)`/g, "$1")
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/g, "$1$2")
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/g, "$1$2")
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,!?:;])/g, "$1$2")
    .replace(/&(amp|lt|gt);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/[ \t]+/g, " ")
    .replace(/ *\n */g, "\n")
    .trim();
}
