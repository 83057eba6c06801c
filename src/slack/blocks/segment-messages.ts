import type { AudienceBreakdownRow } from "../../domain/audience-sql";
import { escapeForSlack } from "../../domain/slack-text";
import type { SegmentDetails, SegmentSummary } from "../../services/segments";
import {
  actions,
  button,
  clip,
  context,
  ephemeral,
  message,
  number,
  section,
  type EphemeralAnswer,
  type SlackMessage,
} from "./kit";
import { reachableText } from "./segment-count";

/* What `/segment …` answers: the list, one segment's counts, the delete question, and confirmations. */

export const SEGMENT_COMMAND = "/segment";
export const SEGMENT_DELETE_CONFIRM = "segment_delete_confirm";
export const SEGMENT_DELETE_CANCEL = "segment_delete_cancel";

export const segmentFormFailedMessage = (slackError: string) =>
  ephemeral(
    `:x: Slack would not open the segment form (${slackError}). Type \`${SEGMENT_COMMAND} new\` again; forms must open within 3 seconds of the command.`,
  );

export function segmentUsageMessage(subcommand: "show" | "delete"): EphemeralAnswer {
  return ephemeral(
    `Give the segment's name, e.g. \`${SEGMENT_COMMAND} ${subcommand} Volunteers NY\`. \`${SEGMENT_COMMAND} list\` shows every segment.`,
  );
}

const day = (date: Date) => date.toISOString().slice(0, 10);
const MAX_LISTED = 100;
const SECTION_CHARS = 2_900;

/** Every segment, a line each, in as few sections as fit (3,000 characters and 50 blocks per message). */
export function segmentListMessage(segments: readonly SegmentSummary[]): EphemeralAnswer {
  if (segments.length === 0) return ephemeral(`No segments yet. Create one with \`${SEGMENT_COMMAND} new\`.`);
  const lines = segments.slice(0, MAX_LISTED).map((s) => {
    const used = s.campaigns.length
      ? ` · audience of ${s.campaigns.map((c) => `“${escapeForSlack(c)}”`).join(", ")}`
      : "";
    return clip(
      `• *${escapeForSlack(s.name)}*: ${escapeForSlack(s.description)}${used} · created ${day(s.createdAt)} by <@${s.createdBy}>`,
      600,
    );
  });
  if (segments.length > MAX_LISTED) lines.push(`…and ${segments.length - MAX_LISTED} more.`);
  const heading = `*${segments.length} ${segments.length === 1 ? "segment" : "segments"}*. \`${SEGMENT_COMMAND} show <name>\` counts a segment's reachable contacts.`;
  const sections: string[] = [heading];
  for (const line of lines) {
    const last = sections.length - 1;
    if (sections.length > 1 && sections[last]!.length + line.length + 1 <= SECTION_CHARS) sections[last] += `\n${line}`;
    else sections.push(line);
  }
  return ephemeral(
    `${segments.length} segments: ${segments.map((s) => escapeForSlack(s.name)).join(", ")}`,
    sections.map((t) => section(t)),
  );
}

const BREAKDOWN_SHOWN = 10;

function breakdownLine(rows: readonly AudienceBreakdownRow[], none: string): string {
  if (rows.length === 0) return "none";
  const shown = rows.slice(0, BREAKDOWN_SHOWN).map((r) => `${escapeForSlack(r.value ?? none)} ${number(r.contacts)}`);
  const rest = rows.slice(BREAKDOWN_SHOWN).reduce((sum, r) => sum + r.contacts, 0);
  return rest > 0 ? `${shown.join(" · ")} · others ${number(rest)}` : shown.join(" · ");
}

/** `/segment show`: count, breakdowns, five samples with masked phones. */
export function segmentDetailsMessage(s: SegmentDetails): EphemeralAnswer {
  const sample = s.sample.length
    ? s.sample
        .map(
          (c) =>
            `• ${escapeForSlack(c.name ?? "(no name)")}, ${c.maskedPhone}, ${escapeForSlack(c.state ?? "no state")}, ${escapeForSlack(c.timeZone ?? "no time zone")}`,
        )
        .join("\n")
    : "No reachable contact matches this segment.";
  const used = s.campaigns.length ? `Audience of ${s.campaigns.map((c) => `“${escapeForSlack(c)}”`).join(", ")}. ` : "";
  const blocks = [
    section(`*${escapeForSlack(s.name)}*: ${escapeForSlack(s.description)}`),
    section(`*${reachableText(s.reachable)}*`),
    section(
      `*By state:* ${breakdownLine(s.byState, "no state")}\n*By time zone:* ${breakdownLine(s.byTimeZone, "no time zone")}`,
    ),
    section(`*Sample contacts:*\n${sample}`),
    context(`${used}Created ${day(s.createdAt)} by <@${s.createdBy}>.`),
  ];
  return ephemeral(`${escapeForSlack(s.name)}: ${reachableText(s.reachable)}`, blocks);
}

/** `/segment delete`: what will go, and a button to confirm. */
export function segmentDeleteConfirmMessage(segment: {
  id: string;
  name: string;
  description: string;
}): EphemeralAnswer {
  const text = `Delete segment *${escapeForSlack(segment.name)}* (${escapeForSlack(segment.description)})? Only the saved filter goes; no contact is changed.`;
  return ephemeral(`Delete segment ${escapeForSlack(segment.name)}?`, [
    section(text),
    actions([
      button({ actionId: SEGMENT_DELETE_CONFIRM, style: "danger", text: "Delete segment", value: segment.id }),
      button({ actionId: SEGMENT_DELETE_CANCEL, text: "Keep it", value: segment.id }),
    ]),
  ]);
}

export const segmentDeletedMessage = (name: string) => ({
  replace_original: true,
  ...ephemeral(`:wastebasket: Deleted segment *${escapeForSlack(name)}*.`),
});
export const segmentKeptMessage = () => ({ replace_original: true, ...ephemeral("Nothing was deleted.") });

/** After the modal closes: what was saved and how many it reaches. */
export function segmentSavedMessage(name: string, reachable: number, description: string): SlackMessage {
  const text = `:white_check_mark: Saved segment *${escapeForSlack(name)}*: ${reachableText(reachable)}. ${escapeForSlack(description)}.`;
  return message(text, [
    section(text),
    context(`\`${SEGMENT_COMMAND} show ${escapeForSlack(name)}\` shows where they are and a few of them.`),
  ]);
}
