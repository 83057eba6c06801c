import type { types } from "@slack/bolt";
import { escapeForSlack } from "../../domain/slack-text";
import type { AppHome, HomeCampaign } from "../../services/app-home";
import { CAMPAIGN_COMMAND } from "./campaign-messages";
import { rate } from "./campaign-results";
import { goalProgressText } from "./goal";
import { clip, context, divider, number, section, SLACK_LIMITS } from "./kit";

/* The App Home tab, drawn afresh each time it is opened (views.publish). */

type KnownBlock = types.KnownBlock;

const plural = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;

function attention(c: HomeCampaign, role: AppHome["role"]): string {
  const items = [
    c.waiting.total
      ? `:hourglass_flowing_sand: ${plural(c.waiting.total, "conversation")} waiting for a reply${role === "volunteer" && c.waiting.mine ? ` (${number(c.waiting.mine)} yours)` : ""}`
      : null,
    c.followUps.threads ? `:calendar: ${plural(c.followUps.threads, "thread")} to follow up today` : null,
    c.followUps.textsReady ? `:outbox_tray: ${plural(c.followUps.textsReady, "follow-up text")} ready to send` : null,
  ].filter((item) => item !== null);
  return items.length
    ? `*Needs attention:* ${items.join(" · ")}`
    : ":white_check_mark: Nothing waiting on a volunteer.";
}

function campaignBlocks(c: HomeCampaign, role: AppHome["role"]): KnownBlock[] {
  const name = escapeForSlack(clip(c.name, 100));
  return [
    section(
      [
        `*${name}*`,
        `*Goal:* ${goalProgressText(c.goal)}`,
        `${plural(c.textsSent, "text")} sent · ${number(c.texted)} contacts texted · replies ${rate(c.replied, c.texted)} · opt-outs ${rate(c.optedOut, c.texted)}`,
        attention(c, role),
      ].join("\n"),
    ),
    context(
      `\`${CAMPAIGN_COMMAND} report ${name}\` for the full report · \`${CAMPAIGN_COMMAND} send ${name}\` to text`,
    ),
  ];
}

export function appHomeView(home: AppHome, timeZone: string): types.HomeView {
  const updated = home.at.toLocaleString("en-US", { timeZone, dateStyle: "medium", timeStyle: "short" });
  const blocks: KnownBlock[] = [section(`*:iphone: Texting console* · running campaigns as of ${updated}`)];
  if (home.role === "outsider") {
    blocks.push(
      section(
        "The texting console is for members of this workspace; guests and people from other organizations can't use it.",
      ),
    );
  } else if (home.campaigns.length === 0) {
    blocks.push(
      section(
        home.role === "organizer"
          ? `No campaign is running. \`${CAMPAIGN_COMMAND} list\` shows every campaign; \`${CAMPAIGN_COMMAND} new\` creates one.`
          : `You don't text for a running campaign yet. \`${CAMPAIGN_COMMAND} list\` shows the campaigns; \`${CAMPAIGN_COMMAND} send <name>\` starts texting for one.`,
      ),
    );
  } else {
    blocks.push(
      context(
        home.role === "organizer"
          ? "Every running campaign. Rates are per contact texted."
          : "The running campaigns you text for. Rates are per contact texted.",
      ),
    );
    for (const c of home.campaigns) blocks.push(divider(), ...campaignBlocks(c, home.role));
    if (home.more > 0)
      blocks.push(
        divider(),
        context(`…and ${plural(home.more, "more running campaign")}: \`${CAMPAIGN_COMMAND} list\` shows them all.`),
      );
  }
  return { type: "home", blocks: blocks.slice(0, SLACK_LIMITS.modalBlocks) };
}
