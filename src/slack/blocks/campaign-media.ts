import type { types } from "@slack/bolt";
import type { CampaignMediaReport } from "../../services/campaign-media";
import { escapeForSlack } from "../../domain/slack-text";
import { clip, section, SLACK_LIMITS } from "./kit";

export const mediaSize = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

/** The same wording for every report of media sizes (canned replies too). */
export const mediaKind = (contentType: string) => contentType.replace(/^(image|video)\//, "").toUpperCase();

/** What became of each media link of a campaign: its size before and after, or why it was refused. */
export function campaignMediaMessage(report: CampaignMediaReport): { text: string; blocks: types.KnownBlock[] } {
  const name = escapeForSlack(report.campaignName);
  const lines = report.items.map((item, i) =>
    item.ok
      ? `${i + 1}. :white_check_mark: ${escapeForSlack(item.url)}: ${mediaSize(item.originalBytes)} → *${mediaSize(item.bytes)}* ${mediaKind(item.contentType)}`
      : `${i + 1}. :x: ${escapeForSlack(item.url)}: ${escapeForSlack(item.message)}`,
  );
  const refused = report.items.filter((i) => !i.ok).length;
  const head = report.ready
    ? `:frame_with_picture: Media for *${name}* checked and ready: ${whoCarries(report, report.items.length === 1 ? "this picture" : `these ${report.items.length} items`)}`
    : refused
      ? `:warning: ${refused} of ${report.items.length} media ${report.items.length === 1 ? "link" : "links"} of *${name}* cannot be sent, so the campaign sends no media and cannot launch yet. Fix or remove ${refused === 1 ? "it" : "them"} with /campaign edit.`
      : `The media links of *${name}* changed while they were being checked; the new ones are checked next.`;
  const text = clip(`${head}\n${lines.join("\n")}`, SLACK_LIMITS.text);
  return { text, blocks: [section(text)] };
}

/** Which texts carry the media: every one, or (A/B) the variants not ticked text only, and the follow-ups. */
function whoCarries(report: Pick<CampaignMediaReport, "variants" | "followUps">, what: string): string {
  const withoutIt = report.variants.filter((v) => v.textOnly).map((v) => v.label);
  if (withoutIt.length === 0) return `each text carries ${what} as an MMS.`;
  const withIt = report.variants.filter((v) => !v.textOnly).map((v) => v.label);
  const scripts = (labels: string[]) =>
    `script${labels.length === 1 ? "" : "s"} ${labels.length === 1 ? labels[0] : `${labels.slice(0, -1).join(", ")} and ${labels.at(-1)}`}`;
  const followUps = report.followUps ? ", and so does every follow-up" : "";
  return `the first texts of ${scripts(withIt)} carry ${what} as an MMS${followUps}; ${scripts(withoutIt)} ${withoutIt.length === 1 ? "goes" : "go"} text only.`;
}
