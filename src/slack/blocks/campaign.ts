import type { types } from "@slack/bolt";
import {
  FOLLOW_UP_LABELS,
  followUpField,
  GOAL_LABELS,
  GOAL_TYPES,
  scriptField,
  SEND_WINDOW_PRESET_IDS,
  SEND_WINDOW_PRESETS,
  VARIANT_LABELS,
  type CampaignField,
  type CampaignForm,
  type GoalType,
} from "../../domain/campaign-form";
import { MAX_NAME_LENGTH } from "../../domain/display-name";
import { STANDARD_FIELDS } from "../../domain/script";
import { MAX_SMS_BODY_CHARACTERS } from "../../domain/sms-length";
import type { CampaignRecord, CampaignSummary } from "../../services/campaigns";
import type { CampaignReport, ReadinessFinding, VariantReport } from "../../services/campaign-report";
import { escapeMrkdwn, option } from "./segment";

type KnownBlock = types.KnownBlock;
type ModalView = types.ModalView;
type InputBlock = types.InputBlock;

export const CAMPAIGN_COMMAND = "/campaign";
export const CAMPAIGN_FORM_VIEW = "campaign_form";
export const CAMPAIGN_FIX = "campaign_fix";
/** Each fix button has its own action_id (they must differ within a message); one listener takes them all. */
export const CAMPAIGN_FIX_ACTIONS = /^campaign_fix\./;
export const CAMPAIGN_LAUNCH = "campaign_launch";

/** Block ids of the form: the form's fields, plus the “add what's missing” box. */
export type CampaignBlock = CampaignField | "addMissing";
export const formAction = (block: CampaignBlock) => `campaign.${block}`;

export interface CampaignModalMetadata {
  /** Where the summary goes: the channel the command was typed in. */
  channelId: string;
  mode: "new" | "edit";
  campaignId?: string;
  /** Custom import columns scripts may use (checked on submit without another database scan). */
  fields: string[];
}

export interface CampaignChoices {
  segments: { id: string; name: string }[];
  customFields: string[];
}

const plain = (text: string) => ({ type: "plain_text" as const, text });
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const number = (n: number) => n.toLocaleString("en-US");
const section = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text: clip(text, 3_000) } });
const context = (text: string): KnownBlock => ({
  type: "context",
  elements: [{ type: "mrkdwn", text: clip(text, 3_000) }],
});
const divider: KnownBlock = { type: "divider" };
const usd = (amount: number) => `$${amount.toFixed(2)}`;

/** private_metadata holds at most 3,000 characters: keep as many custom fields as fit. */
export function modalMetadata(base: object, fields: readonly string[]): string {
  const kept: string[] = [];
  for (const field of fields) {
    if (JSON.stringify({ ...base, fields: [...kept, field] }).length > 2_900) break;
    kept.push(field);
  }
  return JSON.stringify({ ...base, fields: kept });
}

const modalFrame = (metadata: string, mode: CampaignModalMetadata["mode"]) => ({
  type: "modal" as const,
  callback_id: CAMPAIGN_FORM_VIEW,
  private_metadata: metadata,
  title: plain(mode === "new" ? "New campaign" : "Edit campaign"),
  close: plain("Cancel"),
});

/** Shown at once (trigger_id lasts 3 s) while segments and custom fields load. */
export function campaignLoadingModal(metadata: string, mode: CampaignModalMetadata["mode"]): ModalView {
  return {
    ...modalFrame(metadata, mode),
    blocks: [section(":hourglass_flowing_sand: Loading your segments and contact fields…")],
  };
}

export function campaignUnavailableModal(metadata: string, mode: CampaignModalMetadata["mode"]): ModalView {
  return {
    ...modalFrame(metadata, mode),
    blocks: [section(":x: The campaign form could not load. Close it and try again in a minute.")],
  };
}

/** Without a segment there is nothing to text: say how to make one instead of showing a form that cannot be saved. */
export function campaignNeedsSegmentModal(metadata: string): ModalView {
  return {
    ...modalFrame(metadata, "new"),
    blocks: [
      section(
        ":busts_in_silhouette: A campaign texts a *segment*, and there is none yet.\n" +
          "1. Import contacts with `/contacts import`.\n2. Save an audience with `/segment new`.\n3. Come back to `/campaign new`.",
      ),
    ],
  };
}

function input(
  block: CampaignBlock,
  label: string,
  element: Record<string, unknown>,
  opts: { optional?: boolean; hint?: string } = {},
): InputBlock {
  return {
    type: "input",
    block_id: block,
    label: plain(label),
    optional: opts.optional ?? false,
    ...(opts.hint ? { hint: plain(clip(opts.hint, 2_000)) } : {}),
    element: { action_id: formAction(block), ...element } as InputBlock["element"],
  };
}

const text = (value: string, opts: { multiline?: boolean; max?: number; placeholder?: string } = {}) => ({
  type: "plain_text_input",
  ...(value ? { initial_value: value } : {}),
  ...(opts.multiline ? { multiline: true } : {}),
  ...(opts.max ? { max_length: opts.max } : {}),
  ...(opts.placeholder ? { placeholder: plain(opts.placeholder) } : {}),
});

const wholeNumber = (value: string, min: number, max: number) => ({
  type: "number_input",
  is_decimal_allowed: false,
  min_value: String(min),
  max_value: String(max),
  ...(value ? { initial_value: value } : {}),
});

function select(options: types.PlainTextOption[], selected: string | null, placeholder: string) {
  const initial = options.find((o) => o.value === selected);
  return {
    type: "static_select",
    placeholder: plain(placeholder),
    options,
    ...(initial ? { initial_option: initial } : {}),
  };
}

/** The fields scripts may use, as the hint under the scripts lists them. */
export function mergeFieldHint(customFields: readonly string[]): string {
  const fields = [...STANDARD_FIELDS, ...customFields].map((f) => `{${f}}`);
  const shown = clip(fields.join(" "), 1_200);
  return `Merge fields in single braces, with a fallback after a bar: {firstName|friend}. You can use ${shown}`;
}

/**
 * The campaign form, filled in with `form` (empty for /campaign new, the saved campaign for edit).
 * Block ids are the form's field names, so submit errors land under the field that caused them.
 */
export function campaignModal(
  metadata: string,
  mode: CampaignModalMetadata["mode"],
  choices: CampaignChoices,
  form: CampaignForm,
): ModalView {
  const segments = choices.segments.slice(0, 100).map((s) => option(s.name, s.id));
  const blocks: KnownBlock[] = [
    input("name", "Campaign name", text(form.name, { max: MAX_NAME_LENGTH, placeholder: "GOTV Nov 3" })),
    input(
      "goalType",
      "Goal",
      select(
        GOAL_TYPES.map((g) => option(GOAL_LABELS[g], g)),
        form.goalType,
        "What is this campaign for?",
      ),
    ),
    input("goalTarget", "Goal target", wholeNumber(form.goalTarget, 1, 10_000_000), {
      hint: "How many outcomes count as success, e.g. 500.",
    }),
    input(
      "goalOutcomeTag",
      "Outcome that counts toward the goal",
      text(form.goalOutcomeTag, { max: 40, placeholder: "pledged to vote" }),
      {
        hint: "The conversation tag volunteers set when a voter says yes.",
      },
    ),
    input(
      "callToAction",
      "Call to action",
      text(form.callToAction, { max: 300, placeholder: "Can we count on your vote on Nov 3?" }),
      {
        hint: "A link or a reply ask. Every first message must carry it.",
      },
    ),
    input(
      "senderIdentity",
      "Who is texting, for whom",
      text(form.senderIdentity, { max: 120, placeholder: "Sam with Neighbors for Measure B" }),
    ),
    section(
      `*First message* (A/B test: fill in up to four variants; contacts are split evenly).\n${escapeMrkdwn(mergeFieldHint(choices.customFields))}`,
    ),
    ...VARIANT_LABELS.map((label, i) =>
      input(
        scriptField(label),
        `Script ${label}`,
        text(form.scripts[i] ?? "", { multiline: true, max: MAX_SMS_BODY_CHARACTERS }),
        {
          optional: i > 0,
          ...(i === 0 ? { hint: "Say who you are, ask something, and end with “Reply STOP to opt out.”" } : {}),
        },
      ),
    ),
    input(
      "addMissing",
      "Compliance",
      {
        type: "checkboxes",
        options: [
          {
            text: plain("Add what's missing for me"),
            value: "yes",
            description: plain(
              "Inserts the sender, the call to action or “Reply STOP to opt out.” where a script lacks it.",
            ),
          },
        ],
        ...(form.addMissing ? { initial_options: [{ text: plain("Add what's missing for me"), value: "yes" }] } : {}),
      },
      { optional: true },
    ),
    ...FOLLOW_UP_LABELS.map((label, i) =>
      input(followUpField(i), label, text(form.followUps[i] ?? "", { multiline: true, max: MAX_SMS_BODY_CHARACTERS }), {
        optional: true,
        ...(i === 0
          ? {
              hint: "Sent by a volunteer to people who did not answer. {lastReplyDate} and {lastTag} help make it personal.",
            }
          : {}),
      }),
    ),
    input(
      "channel",
      "Channel for voter replies",
      {
        type: "conversations_select",
        ...(form.channelId ? { initial_conversation: form.channelId } : {}),
        filter: { include: ["public", "private"], exclude_bot_users: true, exclude_external_shared_channels: true },
      },
      { hint: "Each reply opens a thread here. Prefer a private channel, and invite the app to it." },
    ),
    input("segment", "Audience (segment)", select(segments, form.segmentId, "Pick a segment")),
    input(
      "sendWindow",
      "Sending hours (each voter's local time)",
      select(
        SEND_WINDOW_PRESET_IDS.map((id) => option(SEND_WINDOW_PRESETS[id].label, id)),
        form.sendWindow,
        "Pick the hours",
      ),
    ),
    input("capCount", "Frequency cap: at most this many texts…", wholeNumber(form.capCount, 1, 10)),
    input("capDays", "…per contact in this many days", wholeNumber(form.capDays, 1, 90), {
      hint: "Counts first texts from every campaign; replies in a conversation do not count. Default: 3 per 7 days.",
    }),
    input(
      "helpText",
      "Answer to HELP",
      text(form.helpText, {
        max: 300,
        placeholder: "Texts from Sam with Neighbors for Measure B. Reply STOP to opt out.",
      }),
      {
        optional: true,
        hint: "Leave empty to answer with who is texting and how to stop.",
      },
    ),
    input(
      "mediaUrls",
      "Picture or file links (MMS)",
      text(form.mediaUrls, { multiline: true, placeholder: "https://example.org/flyer.jpg" }),
      {
        optional: true,
        hint: "Public https links, one per line. Keep each under 600 KB.",
      },
    ),
  ];
  return { ...modalFrame(metadata, mode), submit: plain(mode === "new" ? "Save draft" : "Save changes"), blocks };
}

// ---- messages ------------------------------------------------------------------------------------

export interface EphemeralAnswer {
  response_type: "ephemeral";
  text: string;
  blocks: KnownBlock[];
}

const ephemeral = (text: string, blocks: KnownBlock[] = [section(text)]): EphemeralAnswer => ({
  response_type: "ephemeral",
  text: clip(text, 3_000),
  blocks: blocks.slice(0, 50),
});

export const campaignProblemMessage = (message: string) => ephemeral(`:warning: ${escapeMrkdwn(message)}`);

export const campaignFailureMessage = (what: string) =>
  ephemeral(
    `:x: Something went wrong on our side and ${what}. Try again in a minute; if it keeps failing, tell your admin.`,
  );

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
  `${GOAL_LABELS[c.goalType as GoalType] ?? "Other"}${c.goalTarget ? `: ${number(c.goalTarget)} × “${escapeMrkdwn(c.goalOutcomeTag ?? "")}”` : ""}`;

export function campaignListMessage(campaigns: readonly CampaignSummary[]): EphemeralAnswer {
  if (campaigns.length === 0) return ephemeral(`No campaigns yet. Create one with \`${CAMPAIGN_COMMAND} new\`.`);
  const lines = campaigns.slice(0, 100).map((c) => {
    const progress = c.status === "draft" ? "not launched" : `${number(c.sent)} of ${number(c.audience)} texted`;
    return clip(
      `${STATUS_ICONS[c.status]} *${escapeMrkdwn(c.name)}* (${c.status}) · ${goalLine(c)} · audience ${escapeMrkdwn(c.segmentName ?? "none")} · ${progress}`,
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
  return ephemeral(`${campaigns.length} campaigns: ${campaigns.map((c) => c.name).join(", ")}`, blocks);
}

function variantBlocks(v: VariantReport, pricePerSegment: number): KnownBlock[] {
  const title = v.kind === "initial" ? `Script ${v.label}` : v.label;
  const cost =
    v.kind === "initial"
      ? ` · ~${number(v.contacts)} contacts · ~${number(v.estimatedSegments)} segments · ~${usd(v.estimatedCostUsd)} at $${pricePerSegment}/segment`
      : "";
  const average =
    v.averageSegments === null ? `${v.sms.segments} as written` : `${v.averageSegments.toFixed(1)} on average`;
  const ucs = v.sms.encoding === "UCS-2" ? ` (forced by ${v.sms.nonGsmCharacters.map((c) => `“${c}”`).join(" ")})` : "";
  const previews = v.previews.length
    ? v.previews
        .map((p) =>
          p.text === null
            ? `• *${escapeMrkdwn(p.contactName)}* ${p.maskedPhone}: _held back, no ${p.missing.map((m) => `{${escapeMrkdwn(m)}}`).join(", ")}_`
            : `• *${escapeMrkdwn(p.contactName)}* ${p.maskedPhone} (${p.sms?.segments ?? 0} seg.):\n>${escapeMrkdwn(p.text).replace(/\n/g, "\n>")}`,
        )
        .join("\n")
    : "_No contact to preview._";
  return [section(`*${title}* · ${v.sms.encoding}${ucs} · ${average} segments${cost}\n${previews}`)];
}

function findingBlock(f: ReadinessFinding): KnownBlock {
  const icon = f.severity === "error" ? ":no_entry:" : ":warning:";
  const block: KnownBlock = {
    type: "section",
    text: { type: "mrkdwn", text: clip(`${icon} *${escapeMrkdwn(f.about)}*: ${escapeMrkdwn(f.message)}`, 3_000) },
  };
  if (!f.fix) return block;
  return {
    ...block,
    accessory: {
      type: "button",
      action_id: `${CAMPAIGN_FIX}.${f.fix.code}.${f.fix.scriptId}`,
      text: plain(clip(f.fix.label, 75)),
      value: JSON.stringify({ s: f.fix.scriptId, c: f.fix.code }),
    },
  } as KnownBlock;
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
    ? `*${number(report.audience.reachable)} reachable contacts* in segment “${escapeMrkdwn(c.segment?.name ?? "")}” (${escapeMrkdwn(report.audience.description)})`
    : "*No audience*";
  const p = report.progress;
  const progress =
    c.status === "draft"
      ? null
      : `*Progress:* ${number(p.sent)} texted · ${number(p.queued)} waiting · ${number(p.deferred)} waiting for sending hours · ${number(p.skipped)} skipped · ${number(p.replies)} replied · ` +
        `${number(p.outcomes)}${c.goalTarget ? ` of ${number(c.goalTarget)}` : ""} “${escapeMrkdwn(c.goalOutcomeTag ?? "")}”`;
  const total = report.variants.filter((v) => v.kind === "initial").reduce((sum, v) => sum + v.estimatedCostUsd, 0);
  const blocks: KnownBlock[] = [
    section(heading ?? `${STATUS_ICONS[c.status]} *${escapeMrkdwn(c.name)}* (${c.status})`),
    section(
      [
        `*Goal:* ${goalLine(c)}`,
        audience,
        `*Replies go to* ${c.conversationChannelId ? `<#${c.conversationChannelId}>` : "no channel"} · *Sender:* ${escapeMrkdwn(c.senderIdentity ?? "not set")}`,
        `*Call to action:* ${escapeMrkdwn(c.callToAction ?? "not set")} · *Cap:* ${c.frequencyCapCount} texts per ${c.frequencyCapDays} days`,
        ...(progress ? [progress] : []),
      ].join("\n"),
    ),
    divider,
    ...report.variants.flatMap((v) => variantBlocks(v, report.pricePerSegmentUsd)),
    context(
      `Estimated first-message cost: ~${usd(total)}. Previews use real contacts of the audience (phones masked).`,
    ),
  ];
  if (report.findings.length) blocks.push(divider, ...findingBlocks(report.findings));
  if (c.status === "draft") {
    blocks.push(
      errors.length
        ? context(
            `Fix the :no_entry: items (buttons fix them in one click; \`${CAMPAIGN_COMMAND} edit ${escapeMrkdwn(c.name)}\` for the rest), then launch.`,
          )
        : ({
            type: "actions",
            elements: [
              {
                type: "button",
                action_id: CAMPAIGN_LAUNCH,
                style: "primary",
                text: plain("Launch campaign"),
                value: c.id,
              },
            ],
          } as KnownBlock),
    );
  }
  return ephemeral(
    `${c.name} (${c.status}): ${report.audience ? `${number(report.audience.reachable)} reachable contacts` : "no audience"}${errors.length ? `, ${errors.length} to fix before launch` : ""}`,
    blocks,
  );
}

/** After the modal closes: what was saved, what was inserted, the warnings, and the full report. */
export function campaignSavedMessage(
  report: CampaignReport,
  saved: { mode: "new" | "edit"; warnings: readonly string[]; inserted: readonly string[] },
): EphemeralAnswer {
  const c = report.campaign;
  const heading = `:white_check_mark: ${saved.mode === "new" ? "Saved draft campaign" : "Saved changes to"} *${escapeMrkdwn(c.name)}*.`;
  const message = campaignReportMessage(report, heading);
  const notes: KnownBlock[] = [];
  if (saved.inserted.length)
    notes.push(section(`*Added for you:*\n${saved.inserted.map((i) => `• ${escapeMrkdwn(i)}`).join("\n")}`));
  if (saved.warnings.length)
    notes.push(
      section(
        `*Worth knowing:*\n${saved.warnings
          .slice(0, 10)
          .map((w) => `• ${escapeMrkdwn(w)}`)
          .join("\n")}`,
      ),
    );
  return { ...message, blocks: [message.blocks[0]!, ...notes, ...message.blocks.slice(1)].slice(0, 50) };
}

export function campaignBlockedMessage(report: CampaignReport): EphemeralAnswer {
  const errors = report.findings.filter((f) => f.severity === "error").length;
  return campaignReportMessage(
    report,
    `:no_entry: *${escapeMrkdwn(report.campaign.name)}* cannot launch yet: ${errors} ${errors === 1 ? "thing" : "things"} to fix.`,
  );
}

export function campaignLaunchedMessage(name: string, queued: number, variants: number): EphemeralAnswer {
  const split = variants > 1 ? `, split evenly across ${variants} script variants` : "";
  return ephemeral(
    `:rocket: *${escapeMrkdwn(name)}* is running: ${number(queued)} contacts are queued${split}. Nothing is sent automatically: volunteers send each text with \`${CAMPAIGN_COMMAND} send ${escapeMrkdwn(name)}\`.`,
  );
}

const STATUS_DONE: Record<string, string> = {
  paused: ":double_vertical_bar: Paused *%s*. No text goes out until someone types `/campaign resume %s`.",
  running: ":arrow_forward: Resumed *%s*. Volunteers can send again with `/campaign send %s`.",
  archived: ":file_cabinet: Archived *%s*. It no longer sends, and its conversations and reports stay.",
};

export const campaignStatusMessage = (name: string, status: string) =>
  ephemeral((STATUS_DONE[status] ?? "%s is %s").replace(/%s/g, escapeMrkdwn(name)));

// ---- canned replies ------------------------------------------------------------------------------

export const CANNED_REPLY_VIEW = "campaign_canned_reply";
export type CannedReplyBlock = "title" | "body";
export const cannedAction = (block: CannedReplyBlock) => `canned.${block}`;

export interface CannedReplyMetadata {
  channelId: string;
  campaignId: string;
  /** Custom import columns the reply may merge. */
  fields: string[];
}

/** The form that saves a canned reply for a campaign, with the ones it has listed above it. */
export function cannedReplyModal(
  metadata: string,
  campaignName: string,
  existing: readonly { title: string; body: string }[],
  customFields: readonly string[],
): ModalView {
  const saved = existing.length
    ? existing
        .slice(0, 20)
        .map((r) => `• *${escapeMrkdwn(r.title)}*: ${escapeMrkdwn(clip(r.body, 150))}`)
        .join("\n")
    : "_None yet._";
  return {
    type: "modal",
    callback_id: CANNED_REPLY_VIEW,
    private_metadata: metadata,
    title: plain("Canned reply"),
    submit: plain("Save reply"),
    close: plain("Cancel"),
    blocks: [
      section(
        `Canned replies of *${escapeMrkdwn(clip(campaignName, 100))}* (volunteers send them from a thread's menu, rendered for that voter):\n${saved}`,
      ),
      {
        type: "input",
        block_id: "title",
        label: plain("Title (shown in the menu)"),
        element: {
          type: "plain_text_input",
          action_id: cannedAction("title"),
          max_length: 40,
          placeholder: plain("Polling place"),
        },
        hint: plain("Saving a title that exists replaces its text."),
      },
      {
        type: "input",
        block_id: "body",
        label: plain("Text"),
        element: {
          type: "plain_text_input",
          action_id: cannedAction("body"),
          multiline: true,
          max_length: MAX_SMS_BODY_CHARACTERS,
          placeholder: plain("Hi {firstName|there}, you can find your polling place at vote.org"),
        },
        hint: plain(clip(mergeFieldHint(customFields), 2_000)),
      },
    ],
  };
}

export const cannedReplySavedMessage = (campaignName: string, title: string) =>
  ephemeral(
    `:white_check_mark: Saved canned reply *${escapeMrkdwn(title)}* for *${escapeMrkdwn(campaignName)}*. Volunteers find it in the “Canned reply” menu of each new thread.`,
  );
