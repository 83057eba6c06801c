import type { types } from "@slack/bolt";
import { GOAL_LABELS, type GoalType } from "../../domain/campaign-form";
import { escapeForSlack } from "../../domain/slack-text";
import type { CampaignReport, ReadinessFinding, VariantReport } from "../../services/campaign-report";
import type { CampaignSummary } from "../../services/campaign-list";
import type { CampaignRecord } from "../../services/campaigns";
import { goalProgressText } from "./goal";
import {
  actions,
  button,
  clip,
  context,
  divider,
  ephemeral,
  number,
  section,
  SLACK_LIMITS,
  type EphemeralAnswer,
} from "./kit";

/* What `/campaign …` answers: the list, a campaign's report (with its fix and launch buttons), and short confirmations. */

type KnownBlock = types.KnownBlock;

export const CAMPAIGN_COMMAND = "/campaign";
export const CAMPAIGN_FIX = "campaign_fix";
/** Each fix button has its own action_id (they must differ within a message); one listener takes them all. */
export const CAMPAIGN_FIX_ACTIONS = /^campaign_fix\./;
export const CAMPAIGN_LAUNCH = "campaign_launch";
/** "Launch anyway", when most of the audience is at the frequency cap. */
export const CAMPAIGN_LAUNCH_CONFIRMED = "campaign_launch_confirmed";

const usd = (amount: number) => `$${amount.toFixed(2)}`;

export const campaignFormFailedMessage = (slackError: string) =>
  ephemeral(
    `:x: Slack would not open the campaign form (${slackError}). Type the command again; forms must open within 3 seconds of it.`,
  );

export function campaignUsageMessage(subcommand: string): EphemeralAnswer {
  return ephemeral(
    `Give the campaign's name, e.g. \`${CAMPAIGN_COMMAND} ${subcommand} GOTV Nov 3\`. \`${CAMPAIGN_COMMAND} list\` shows every campaign.`,
  );
}

const STATUS_ICONS: Record<CampaignRecord["status"], string> = {
  draft: ":memo:",
  running: ":large_green_circle:",
  paused: ":double_vertical_bar:",
  archived: ":file_cabinet:",
};

const goalLine = (c: { goalType: string; goalTarget: number | null; goalOutcomeTag: string | null }) =>
  `${GOAL_LABELS[c.goalType as GoalType] ?? "Other"}${c.goalTarget ? `: ${number(c.goalTarget)} × “${escapeForSlack(c.goalOutcomeTag ?? "")}”` : ""}`;

export function campaignListMessage(campaigns: readonly CampaignSummary[]): EphemeralAnswer {
  if (campaigns.length === 0) return ephemeral(`No campaigns yet. Create one with \`${CAMPAIGN_COMMAND} new\`.`);
  const lines = campaigns.slice(0, 100).map((c) => {
    const progress = c.status === "draft" ? "not launched" : `${number(c.sent)} of ${number(c.audience)} texted`;
    return clip(
      `${STATUS_ICONS[c.status]} *${escapeForSlack(c.name)}* (${c.status}) · ${goalLine(c)} · audience ${escapeForSlack(c.segmentName ?? "none")} · ${progress}`,
      500,
    );
  });
  const blocks: KnownBlock[] = [
    section(
      `*${campaigns.length} ${campaigns.length === 1 ? "campaign" : "campaigns"}*. \`${CAMPAIGN_COMMAND} show <name>\` shows one.`,
    ),
  ];
  let current = "";
  for (const line of lines) {
    if (current && current.length + line.length + 1 > 2_900) {
      blocks.push(section(current));
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push(section(current));
  return ephemeral(`${campaigns.length} campaigns: ${campaigns.map((c) => escapeForSlack(c.name)).join(", ")}`, blocks);
}

function variantBlocks(v: VariantReport, pricePerSegment: number, pricePerMms: number): KnownBlock[] {
  const title = v.kind === "initial" ? `Script ${v.label}` : v.label;
  const cost =
    v.kind !== "initial"
      ? ""
      : v.mms
        ? ` · ~${number(v.contacts)} contacts · ~${number(v.contacts)} MMS · ~${usd(v.estimatedCostUsd)} at $${pricePerMms}/MMS`
        : ` · ~${number(v.contacts)} contacts · ~${number(v.estimatedSegments)} segments · ~${usd(v.estimatedCostUsd)} at $${pricePerSegment}/segment`;
  const average =
    v.averageSegments === null ? `${v.sms.segments} as written` : `${v.averageSegments.toFixed(1)} on average`;
  const ucs = v.sms.encoding === "UCS-2" ? ` (forced by ${v.sms.nonGsmCharacters.map((c) => `“${c}”`).join(" ")})` : "";
  const previews = v.previews.length
    ? v.previews
        .map((p) =>
          p.text === null
            ? `• *${escapeForSlack(p.contactName)}* ${p.maskedPhone}: _held back, no ${p.missing.map((m) => `{${escapeForSlack(m)}}`).join(", ")}_`
            : `• *${escapeForSlack(p.contactName)}* ${p.maskedPhone} (${p.sms?.segments ?? 0} seg.):\n>${escapeForSlack(p.text).replace(/\n/g, "\n>")}`,
        )
        .join("\n")
    : "_No contact to preview._";
  return [section(`*${escapeForSlack(title)}* · ${v.sms.encoding}${ucs} · ${average} segments${cost}\n${previews}`)];
}

function findingBlock(f: ReadinessFinding): KnownBlock {
  const icon = f.severity === "error" ? ":no_entry:" : ":warning:";
  const text = `${icon} *${escapeForSlack(f.about)}*: ${escapeForSlack(f.message)}`;
  if (!f.fix) return section(text);
  return section(text, {
    accessory: button({
      actionId: `${CAMPAIGN_FIX}.${f.fix.code}.${f.fix.scriptId}`,
      text: f.fix.label,
      value: JSON.stringify({ s: f.fix.scriptId, c: f.fix.code }),
    }),
  });
}

const when = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat("en-US", {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(at);

/** The audience against the frequency cap, in a line or two; null when there is nothing to say. */
export function capExposureText(report: Pick<CampaignReport, "campaign" | "capExposure" | "timeZone">): string | null {
  const { campaign: c, capExposure: exposure, timeZone } = report;
  if (!exposure || exposure.considered === 0 || exposure.wouldBeCapped === 0) return null;
  const share = (n: number) =>
    `${number(n)} of ${number(exposure.considered)} (${Math.round((n / exposure.considered) * 100)}%)`;
  const cap = `${c.frequencyCapCount} texts per ${c.frequencyCapDays} days`;
  const lines = [`:hourglass: *Frequency cap (${cap}):*`];
  if (exposure.atCap > 0) {
    const frees = exposure.freesUp
      ? exposure.freesUp.first.getTime() === exposure.freesUp.last.getTime()
        ? ` They have room again ${when(exposure.freesUp.first, timeZone)}.`
        : ` They have room again between ${when(exposure.freesUp.first, timeZone)} and ${when(exposure.freesUp.last, timeZone)}.`
      : "";
    lines.push(`${share(exposure.atCap)} are at the cap now: their texts would be skipped today.${frees}`);
  }
  const more = exposure.wouldBeCapped - exposure.atCap;
  if (more > 0 && exposure.plannedTexts > 1)
    lines.push(
      `${share(more)} more would be skipped for some of the ${exposure.plannedTexts} texts this campaign plans (first text and follow-ups).`,
    );
  return lines.join("\n");
}

/** Findings first (what blocks a launch, then warnings), at most `max` of them. */
function findingBlocks(findings: readonly ReadinessFinding[], max = 15): KnownBlock[] {
  const blocks = findings.slice(0, max).map(findingBlock);
  if (findings.length > max) blocks.push(context(`…and ${findings.length - max} more. Fix these and check again.`));
  return blocks;
}

/** Everything about a campaign: goal, audience, each variant previewed for real contacts with cost, what blocks launch. */
export function campaignReportMessage(report: CampaignReport, heading?: string): EphemeralAnswer {
  const c = report.campaign;
  const errors = report.findings.filter((f) => f.severity === "error");
  const audience = report.audience
    ? `*${number(report.audience.reachable)} reachable contacts* in segment “${escapeForSlack(c.segment?.name ?? "")}” (${escapeForSlack(report.audience.description)})`
    : "*No audience*";
  const p = report.progress;
  const progress =
    c.status === "draft"
      ? null
      : `*Progress:* ${number(p.sent)} texted · ${number(p.queued)} waiting · ${number(p.deferred)} waiting for sending hours · ${number(p.skipped)} skipped · ${number(p.replies)} replied\n` +
        `*Goal progress:* ${goalProgressText(p.goal)}`;
  const total = report.variants.filter((v) => v.kind === "initial").reduce((sum, v) => sum + v.estimatedCostUsd, 0);
  const blocks: KnownBlock[] = [
    section(heading ?? `${STATUS_ICONS[c.status]} *${escapeForSlack(c.name)}* (${c.status})`),
    section(
      [
        `*Goal:* ${goalLine(c)}`,
        audience,
        `*Replies go to* ${c.conversationChannelId ? `<#${c.conversationChannelId}>` : "no channel"} · *Sender:* ${escapeForSlack(c.senderIdentity ?? "not set")}`,
        `*Call to action:* ${escapeForSlack(c.callToAction ?? "not set")} · *Cap:* ${c.frequencyCapCount} texts per ${c.frequencyCapDays} days`,
        ...(progress ? [progress] : []),
      ].join("\n"),
    ),
    ...(capExposureText(report) ? [section(capExposureText(report)!)] : []),
    divider(),
    ...report.variants.flatMap((v) => variantBlocks(v, report.pricePerSegmentUsd, report.pricePerMmsUsd)),
    context(
      `Estimated first-message cost: ~${usd(total)}. Previews use real contacts of the audience (phones masked).`,
    ),
  ];
  if (report.findings.length) blocks.push(divider(), ...findingBlocks(report.findings));
  if (c.status === "draft") {
    blocks.push(
      errors.length
        ? context(
            `Fix the :no_entry: items (buttons fix them in one click; \`${CAMPAIGN_COMMAND} edit ${escapeForSlack(c.name)}\` for the rest), then launch.`,
          )
        : actions([button({ actionId: CAMPAIGN_LAUNCH, style: "primary", text: "Launch campaign", value: c.id })]),
    );
  }
  return ephemeral(
    `${escapeForSlack(c.name)} (${c.status}): ${report.audience ? `${number(report.audience.reachable)} reachable contacts` : "no audience"}${errors.length ? `, ${errors.length} to fix before launch` : ""}`,
    blocks,
  );
}

/** After the modal closes: what was saved, what was inserted, the warnings, and the full report. */
export function campaignSavedMessage(
  report: CampaignReport,
  saved: { mode: "new" | "edit"; warnings: readonly string[]; inserted: readonly string[] },
): EphemeralAnswer {
  const c = report.campaign;
  const heading = `:white_check_mark: ${saved.mode === "new" ? "Saved draft campaign" : "Saved changes to"} *${escapeForSlack(c.name)}*.`;
  const message = campaignReportMessage(report, heading);
  const notes: KnownBlock[] = [];
  if (saved.inserted.length)
    notes.push(section(`*Added for you:*\n${saved.inserted.map((i) => `• ${escapeForSlack(i)}`).join("\n")}`));
  if (saved.warnings.length)
    notes.push(
      section(
        `*Worth knowing:*\n${saved.warnings
          .slice(0, 10)
          .map((w) => `• ${escapeForSlack(w)}`)
          .join("\n")}`,
      ),
    );
  return {
    ...message,
    blocks: [message.blocks[0]!, ...notes, ...message.blocks.slice(1)].slice(0, SLACK_LIMITS.messageBlocks),
  };
}

export function campaignBlockedMessage(report: CampaignReport): EphemeralAnswer {
  const errors = report.findings.filter((f) => f.severity === "error").length;
  return campaignReportMessage(
    report,
    `:no_entry: *${escapeForSlack(report.campaign.name)}* cannot launch yet: ${errors} ${errors === 1 ? "thing" : "things"} to fix.`,
  );
}

/** Most of the audience is at the cap: say so, and launch only if the organizer confirms. */
export function campaignCapConfirmMessage(report: CampaignReport): EphemeralAnswer {
  const c = report.campaign;
  const message = campaignReportMessage(
    report,
    `:hourglass: *${escapeForSlack(c.name)}* is ready, but most of its audience is at the frequency cap: launched now, their texts would be skipped.`,
  );
  const launchAnyway = actions([
    button({ actionId: CAMPAIGN_LAUNCH_CONFIRMED, style: "danger", text: "Launch anyway", value: c.id }),
  ]);
  // The report's own Launch button (last) gives way to the confirmation.
  return { ...message, blocks: [...message.blocks.slice(0, -1), launchAnyway] };
}

export function campaignLaunchedMessage(name: string, queued: number, variants: number): EphemeralAnswer {
  const split = variants > 1 ? `, split evenly across ${variants} script variants` : "";
  return ephemeral(
    `:rocket: *${escapeForSlack(name)}* is running: ${number(queued)} contacts are queued${split}. Nothing is sent automatically: volunteers send each text with \`${CAMPAIGN_COMMAND} send ${escapeForSlack(name)}\`.`,
  );
}

const STATUS_DONE: Record<string, string> = {
  paused: ":double_vertical_bar: Paused *%s*. No text goes out until someone types `/campaign resume %s`.",
  running: ":arrow_forward: Resumed *%s*. Volunteers can send again with `/campaign send %s`.",
  archived: ":file_cabinet: Archived *%s*. It no longer sends, and its conversations and reports stay.",
};

export function campaignStatusMessage(name: string, status: string): EphemeralAnswer {
  const escaped = escapeForSlack(name);
  // A function replacer: a name holding "$&" must not be read as a replacement pattern.
  return ephemeral((STATUS_DONE[status] ?? "%s is %s").replace(/%s/g, () => escaped));
}
