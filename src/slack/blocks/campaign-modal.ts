import type { types } from "@slack/bolt";
import {
  FOLLOW_UP_LABELS,
  followUpDelayField,
  followUpField,
  GOAL_LABELS,
  GOAL_TYPES,
  scriptField,
  VARIANT_LABELS,
  type CampaignField,
  type CampaignForm,
} from "../../domain/campaign-form";
import { SEND_WINDOW_PRESET_IDS, SEND_WINDOW_PRESETS } from "../../domain/send-window-presets";
import { DIGEST_MINUTE_CHOICES, digestTimeLabel } from "../../domain/daily-digest";
import { MAX_NAME_LENGTH } from "../../domain/display-name";
import { MAX_MEDIA_PER_TEXT } from "../../domain/media-links";
import { STANDARD_FIELDS } from "../../domain/script";
import { MAX_SMS_BODY_CHARACTERS } from "../../domain/sms-length";
import { escapeForSlack } from "../../domain/slack-text";
import type { AttachedMedia } from "../../services/campaign-media";
import { mediaSize } from "./campaign-media";
import { clip, input as field, modal, option, placeholder, section, staticSelect } from "./kit";

/* The /campaign new and /campaign edit form: one input block per field of the domain's CampaignForm. */

type KnownBlock = types.KnownBlock;
type ModalView = types.ModalView;
type InputBlock = types.InputBlock;

export const CAMPAIGN_FORM_VIEW = "campaign_form";

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
  /** The stored files the form shows as attached (ticked), with their sizes before and after. */
  attachedMedia?: AttachedMedia[];
  /** Why files attached last time could not be used (mrkdwn, escaped), shown above the file input. */
  mediaFilesProblem?: string;
}

/**
 * Pictures and videos the media file inputs take (campaign and canned-reply forms): what
 * compressForMms makes fit a text, and HEIC, so an iPhone photo gets our words on how to share it
 * as a JPEG instead of Slack's bare refusal. The bytes decide; Slack's filter is a convenience.
 */
export const MEDIA_FILE_TYPES = ["jpg", "jpeg", "png", "gif", "webp", "heic", "mp4", "mov", "webm"];

/** private_metadata holds at most 3,000 characters: keep as many custom fields as fit. */
export function modalMetadata(base: object, fields: readonly string[]): string {
  const kept: string[] = [];
  for (const field of fields) {
    if (JSON.stringify({ ...base, fields: [...kept, field] }).length > 2_900) break;
    kept.push(field);
  }
  return JSON.stringify({ ...base, fields: kept });
}

function campaignView(
  metadata: string,
  mode: CampaignModalMetadata["mode"],
  blocks: KnownBlock[],
  submit?: string,
  close = "Cancel",
): ModalView {
  return modal({
    callbackId: CAMPAIGN_FORM_VIEW,
    privateMetadata: metadata,
    title: mode === "new" ? "New campaign" : "Edit campaign",
    close,
    ...(submit ? { submit } : {}),
    blocks,
  });
}

/** Shown at once (trigger_id lasts 3 s) while segments and custom fields load. */
export function campaignLoadingModal(metadata: string, mode: CampaignModalMetadata["mode"]): ModalView {
  return campaignView(metadata, mode, [section(":hourglass_flowing_sand: Loading your segments and contact fields…")]);
}

/** Shown while attached files are read and made to fit a text: longer than Slack's 3 seconds for an answer. */
export function campaignCheckingFilesModal(
  metadata: string,
  mode: CampaignModalMetadata["mode"],
  files: number,
): ModalView {
  // Closing does not cancel: the campaign is saved once its files fit, so the button says "Hide".
  return campaignView(
    metadata,
    mode,
    [
      section(
        `:hourglass_flowing_sand: Checking ${files === 1 ? "the file" : `${files} files`}: each is read from Slack and made to fit 600 KB, what every carrier accepts. ` +
          "Pictures take seconds, videos up to a minute. Keep this open: if a file cannot be used, the form comes back here saying why, with nothing saved.",
      ),
    ],
    undefined,
    "Hide",
  );
}

/** The files fitted and the campaign is saved: the modal cannot close itself after an update, so it says so. */
export function campaignFilesSavedModal(
  metadata: string,
  mode: CampaignModalMetadata["mode"],
  name: string,
): ModalView {
  const saved = `:white_check_mark: Saved *${escapeForSlack(name)}*. Each file's size before and after, the previews and the cost estimate follow in the channel where you typed the command.`;
  return campaignView(metadata, mode, [section(saved)], undefined, "Done");
}

export function campaignUnavailableModal(metadata: string, mode: CampaignModalMetadata["mode"]): ModalView {
  return campaignView(metadata, mode, [
    section(":x: The campaign form could not load. Close it and try again in a minute."),
  ]);
}

/** Without a segment there is nothing to text: say how to make one instead of showing a form that cannot be saved. */
export function campaignNeedsSegmentModal(metadata: string): ModalView {
  return campaignView(metadata, "new", [
    section(
      ":busts_in_silhouette: A campaign texts a *segment*, and there is none yet.\n" +
        "1. Import contacts with `/contacts import`.\n2. Save an audience with `/segment new`.\n3. Come back to `/campaign new`.",
    ),
  ]);
}

function input(
  block: CampaignBlock,
  label: string,
  element: InputBlock["element"],
  opts: { optional?: boolean; hint?: string } = {},
): InputBlock {
  return field({
    blockId: block,
    label,
    optional: opts.optional ?? false,
    ...(opts.hint ? { hint: opts.hint } : {}),
    element: { action_id: formAction(block), ...element },
  });
}

const text = (
  value: string,
  opts: { multiline?: boolean; max?: number; placeholder?: string } = {},
): InputBlock["element"] => ({
  type: "plain_text_input",
  ...(value ? { initial_value: value } : {}),
  ...(opts.multiline ? { multiline: true } : {}),
  ...(opts.max ? { max_length: opts.max } : {}),
  ...(opts.placeholder ? { placeholder: placeholder(opts.placeholder) } : {}),
});

const wholeNumber = (value: string, min: number, max: number): InputBlock["element"] => ({
  type: "number_input",
  is_decimal_allowed: false,
  min_value: String(min),
  max_value: String(max),
  ...(value ? { initial_value: value } : {}),
});

/** The fields scripts may use, as the hint under the scripts lists them. */
export function mergeFieldHint(customFields: readonly string[]): string {
  const fields = [...STANDARD_FIELDS, ...customFields].map((f) => `{${f}}`);
  const shown = clip(fields.join(" "), 1_200);
  return `Merge fields in single braces, with a fallback after a bar: {firstName|friend}. You can use ${shown}`;
}

const ADD_MISSING = "Add what's missing for me";

/**
 * Files: a file input for new ones, the ones attached before as ticked boxes (untick to remove:
 * a file input cannot show files already sent), and which scripts go without the media.
 */
function mediaFileInputs(form: CampaignForm, attached: readonly AttachedMedia[]): InputBlock[] {
  const kept = attached.filter((m) => form.attachedMediaIds.includes(m.id));
  const room = Math.max(1, MAX_MEDIA_PER_TEXT - kept.length);
  const attachedOption = (m: AttachedMedia) =>
    option(`${clip(m.name, 40)} · ${mediaSize(m.originalBytes)} → ${mediaSize(m.bytes)}`, m.id);
  return [
    input(
      "mediaFiles",
      "Pictures or videos (MMS)",
      { type: "file_input", filetypes: MEDIA_FILE_TYPES, max_files: room },
      {
        optional: true,
        hint: `Up to ${MAX_MEDIA_PER_TEXT} with the links. Each is made to fit 600 KB; you see its size before and after once saved.`,
      },
    ),
    ...(attached.length
      ? [
          input(
            "attachedMedia",
            "Attached files",
            {
              type: "checkboxes",
              options: attached.map(attachedOption),
              ...(kept.length ? { initial_options: kept.map(attachedOption) } : {}),
            },
            { optional: true, hint: "Untick a file to stop sending it." },
          ),
        ]
      : []),
    input(
      "textOnly",
      "A/B: scripts sent without the media",
      {
        type: "checkboxes",
        options: VARIANT_LABELS.map((label) => option(`Script ${label}: text only`, label)),
        ...textOnlyInitial(form),
      },
      {
        optional: true,
        hint: "Tick B to compare texts with the media (A) against texts without it (B); the report shows which does better. Follow-ups carry the media either way.",
      },
    ),
  ];
}

function textOnlyInitial(form: CampaignForm) {
  const ticked = VARIANT_LABELS.filter((label) => form.textOnly.includes(label));
  return ticked.length ? { initial_options: ticked.map((label) => option(`Script ${label}: text only`, label)) } : {};
}

/** When the daily digest is posted in the reply channel: half hours, with a time stored some other way kept. */
function digestTimeInput(current: string | null): InputBlock {
  const stored = current !== null && current !== "" ? Number(current) : null;
  const minutes = [...DIGEST_MINUTE_CHOICES];
  if (stored !== null && Number.isInteger(stored) && !minutes.includes(stored)) minutes.push(stored);
  return input(
    "digestTime",
    "Daily digest at",
    staticSelect({
      options: minutes.sort((a, b) => a - b).map((m) => option(digestTimeLabel(m), String(m))),
      initial: current,
      placeholder: "9:30 AM",
    }),
    {
      optional: true,
      hint: "Once a day the reply channel gets a digest: who is waiting on us, follow-ups due, yesterday's numbers. In the organization's time zone.",
    },
  );
}

/**
 * The campaign form, filled in with `form` (empty for /campaign new, the saved campaign for edit).
 * Block ids are the form's field names, so submit errors land under the field that caused them.
 * `intro` (mrkdwn, escaped) opens the form, e.g. to say where a prefilled form comes from.
 */
export function campaignModal(
  metadata: string,
  mode: CampaignModalMetadata["mode"],
  choices: CampaignChoices,
  form: CampaignForm,
  intro?: string,
): ModalView {
  const segments = choices.segments.map((s) => option(s.name, s.id));
  const blocks: KnownBlock[] = [
    ...(intro ? [section(intro)] : []),
    input("name", "Campaign name", text(form.name, { max: MAX_NAME_LENGTH, placeholder: "GOTV Nov 3" })),
    input(
      "goalType",
      "Goal",
      staticSelect({
        options: GOAL_TYPES.map((g) => option(GOAL_LABELS[g], g)),
        initial: form.goalType,
        placeholder: "What is this campaign for?",
      }),
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
      `*First message* (A/B test: fill in up to four variants; contacts are split evenly).\n${escapeForSlack(mergeFieldHint(choices.customFields))}`,
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
          option(ADD_MISSING, "yes", "Adds the sender, the call to action or “Reply STOP to opt out.” if missing."),
        ],
        ...(form.addMissing ? { initial_options: [option(ADD_MISSING, "yes")] } : {}),
      },
      { optional: true },
    ),
    ...FOLLOW_UP_LABELS.flatMap((label, i) => [
      input(followUpField(i), label, text(form.followUps[i] ?? "", { multiline: true, max: MAX_SMS_BODY_CHARACTERS }), {
        optional: true,
        ...(i === 0
          ? {
              hint: "Sent by a volunteer, one click each, to people who have not replied. {lastReplyDate} and {lastTag} help make it personal.",
            }
          : {}),
      }),
      input(
        followUpDelayField(i),
        `…sent this many days after ${i === 0 ? "the first text" : FOLLOW_UP_LABELS[i - 1]!.toLowerCase()}`,
        wholeNumber(form.followUpDelays[i] ?? "", 1, 30),
        { optional: true },
      ),
    ]),
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
    digestTimeInput(form.digestTime),
    input(
      "segment",
      "Audience (segment)",
      staticSelect({ options: segments, initial: form.segmentId, placeholder: "Pick a segment" }),
    ),
    input(
      "sendWindow",
      "Sending hours (each voter's local time)",
      staticSelect({
        options: SEND_WINDOW_PRESET_IDS.map((id) => option(SEND_WINDOW_PRESETS[id].label, id)),
        initial: form.sendWindow,
        placeholder: "Pick the hours",
      }),
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
        hint: "Public https links, one per line. Each is made to fit 600 KB, what every carrier accepts.",
      },
    ),
    ...(choices.mediaFilesProblem ? [section(choices.mediaFilesProblem)] : []),
    ...mediaFileInputs(form, choices.attachedMedia ?? []),
  ];
  return campaignView(metadata, mode, blocks, mode === "new" ? "Save draft" : "Save changes");
}
