import type { types } from "@slack/bolt";
import { ENGAGEMENTS, US_STATE_CODES, type Engagement } from "../../domain/audience-filter";
import { type AudienceBreakdownRow } from "../../domain/audience-sql";
import { MAX_SEGMENT_NAME } from "../../domain/segment-name";
import type { CustomFieldOp, LastTextedMode, SegmentForm } from "../../domain/segment-form";
import type { SegmentChoices, SegmentDetails, SegmentSummary } from "../../services/segments";

type KnownBlock = types.KnownBlock;
type ModalView = types.ModalView;
type PlainTextOption = types.PlainTextOption;
type InputBlock = types.InputBlock;

export const SEGMENT_COMMAND = "/segment";
export const SEGMENT_NEW_VIEW = "segment_new";
/** Every form element's action_id starts with this; one listener recounts on any change. */
export const SEGMENT_FIELD_ACTION_PREFIX = "segment_field.";
export const SEGMENT_FIELD_ACTIONS = /^segment_field\./;
/** The tag menus, which search tags when there are too many to list. */
export const SEGMENT_TAG_ACTIONS = /^segment_field\.tags/;
export const SEGMENT_DELETE_CONFIRM = "segment_delete_confirm";
export const SEGMENT_DELETE_CANCEL = "segment_delete_cancel";

/** Block ids of the form: the form's own field names, plus the name. */
export type SegmentBlock = "name" | keyof SegmentForm;
export const COUNT_BLOCK = "audience_count";
export const DETAIL_BLOCK = "audience_detail";

export const fieldAction = (block: SegmentBlock) => `${SEGMENT_FIELD_ACTION_PREFIX}${block}`;

export interface SegmentModalMetadata {
  /** Where the confirmation goes: the channel `/segment new` was typed in. */
  channelId: string;
}

/** What the count line shows while the form is edited. */
export type AudienceStatus =
  | { kind: "prompt"; nameProblem?: string }
  | { kind: "count"; reachable: number; description: string; fieldsIgnored: boolean; nameProblem?: string }
  | { kind: "problems"; problems: Partial<Record<SegmentBlock, string>>; nameProblem?: string }
  | { kind: "failed"; nameProblem?: string };

export const FIELD_LABELS: Record<SegmentBlock, string> = {
  name: "Segment name",
  match: "Match",
  tagsAny: "Tagged with any of",
  tagsAll: "Tagged with all of",
  tagsNone: "Not tagged with",
  states: "State",
  zipPrefixes: "ZIP code starts with",
  timeZones: "Time zone",
  customField: "Custom field",
  customFieldOp: "Custom field test",
  customFieldValue: "Custom field value",
  engagement: "Engagement",
  outcomeTag: "Has conversation outcome",
  lastTextedMode: "Last texted",
  lastTextedAfter: "Last texted on or after",
  lastTextedBefore: "Last texted before",
  campaign: "Campaign",
  advanced: "Advanced filter (JSON)",
};

const STATE_NAMES: Record<string, string> = {
  AL: "Alabama",
  AK: "Alaska",
  AZ: "Arizona",
  AR: "Arkansas",
  CA: "California",
  CO: "Colorado",
  CT: "Connecticut",
  DE: "Delaware",
  FL: "Florida",
  GA: "Georgia",
  HI: "Hawaii",
  ID: "Idaho",
  IL: "Illinois",
  IN: "Indiana",
  IA: "Iowa",
  KS: "Kansas",
  KY: "Kentucky",
  LA: "Louisiana",
  ME: "Maine",
  MD: "Maryland",
  MA: "Massachusetts",
  MI: "Michigan",
  MN: "Minnesota",
  MS: "Mississippi",
  MO: "Missouri",
  MT: "Montana",
  NE: "Nebraska",
  NV: "Nevada",
  NH: "New Hampshire",
  NJ: "New Jersey",
  NM: "New Mexico",
  NY: "New York",
  NC: "North Carolina",
  ND: "North Dakota",
  OH: "Ohio",
  OK: "Oklahoma",
  OR: "Oregon",
  PA: "Pennsylvania",
  RI: "Rhode Island",
  SC: "South Carolina",
  SD: "South Dakota",
  TN: "Tennessee",
  TX: "Texas",
  UT: "Utah",
  VT: "Vermont",
  VA: "Virginia",
  WA: "Washington",
  WV: "West Virginia",
  WI: "Wisconsin",
  WY: "Wyoming",
  DC: "District of Columbia",
  PR: "Puerto Rico",
  VI: "U.S. Virgin Islands",
  GU: "Guam",
  AS: "American Samoa",
  MP: "Northern Mariana Islands",
  AA: "Armed Forces Americas",
  AE: "Armed Forces Europe",
  AP: "Armed Forces Pacific",
};

const ENGAGEMENT_LABELS: Record<Engagement, string> = {
  never_texted: "Never texted",
  texted_no_reply: "Texted, never replied",
  replied: "Replied at least once",
  clicked_link: "Clicked a link",
};

const CUSTOM_FIELD_OP_LABELS: Record<CustomFieldOp, string> = {
  equals: "is",
  contains: "contains",
  in: "is one of (comma separated)",
  empty: "is empty",
  notEmpty: "is filled in",
};

const LAST_TEXTED_LABELS: Record<LastTextedMode, string> = {
  any: "Any time (no date condition)",
  after: "On or after the first date",
  before: "Before the second date",
  between: "Between the two dates",
};

/** Slack limits: option text 75 characters, option value 150. */
const OPTION_TEXT_MAX = 75;
export const OPTION_VALUE_MAX = 150;

const plain = (text: string) => ({ type: "plain_text" as const, text });
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
export const option = (text: string, value: string): PlainTextOption => ({
  text: plain(clip(text, OPTION_TEXT_MAX)),
  value,
});
/** Text for mrkdwn: Slack needs only &, < and > escaped. */
export const escapeMrkdwn = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const number = (n: number) => n.toLocaleString("en-US");
const section = (text: string, blockId?: string): KnownBlock => ({
  type: "section",
  ...(blockId ? { block_id: blockId } : {}),
  text: { type: "mrkdwn", text },
});
const context = (text: string, blockId?: string): KnownBlock => ({
  type: "context",
  ...(blockId ? { block_id: blockId } : {}),
  elements: [{ type: "mrkdwn", text }],
});

/** "12,345 reachable contacts (opted-out numbers excluded)" */
export function reachableText(reachable: number): string {
  return `${number(reachable)} reachable ${reachable === 1 ? "contact" : "contacts"} (opted-out numbers excluded)`;
}

// ---- the /segment new modal ------------------------------------------------------------------

const modalFrame = (metadata: SegmentModalMetadata) => ({
  type: "modal" as const,
  callback_id: SEGMENT_NEW_VIEW,
  private_metadata: JSON.stringify(metadata),
  title: plain("New segment"),
  close: plain("Cancel"),
});

/** Shown at once (trigger_id lasts 3 s) while tags, time zones and campaigns load. */
export function segmentLoadingModal(metadata: SegmentModalMetadata): ModalView {
  return {
    ...modalFrame(metadata),
    blocks: [section(":hourglass_flowing_sand: Loading your tags, time zones and campaigns…")],
  };
}

/** When the menus could not be loaded: say so and what to do. */
export function segmentUnavailableModal(metadata: SegmentModalMetadata): ModalView {
  return {
    ...modalFrame(metadata),
    blocks: [
      section(
        ":x: The segment form could not load its menus, so nothing can be saved from it. Close it and type `/segment new` again in a minute; if it keeps failing, tell your admin.",
      ),
    ],
  };
}

function input(block: SegmentBlock, element: InputBlock["element"], extra: Partial<InputBlock> = {}): InputBlock {
  return {
    type: "input",
    block_id: block,
    optional: true,
    dispatch_action: true,
    label: plain(FIELD_LABELS[block]),
    element,
    ...extra,
  };
}

/** Text inputs recount after each pause in typing, not only on Enter (organizers rarely press it). */
const onTyping = { trigger_actions_on: ["on_character_entered" as const] };

function tagInput(block: "tagsAny" | "tagsAll" | "tagsNone", choices: SegmentChoices, hint: string): InputBlock {
  const options = choices.tags.filter((t) => t.length <= OPTION_VALUE_MAX).map((t) => option(t, t));
  const element: InputBlock["element"] = choices.moreTags
    ? {
        type: "multi_external_select",
        action_id: fieldAction(block),
        min_query_length: 0,
        placeholder: plain("Type to search tags"),
      }
    : { type: "multi_static_select", action_id: fieldAction(block), options, placeholder: plain("Pick tags") };
  return input(block, element, { hint: plain(hint) });
}

/** Each campaign appears twice (in / not in) and a menu holds 100 options in all. */
export const CAMPAIGNS_LISTED = 49;

function campaignElement(choices: SegmentChoices): InputBlock["element"] {
  const none = option("Any campaign (no condition)", "none");
  const named = (prefix: string) =>
    choices.campaigns.slice(0, CAMPAIGNS_LISTED).map((c) => option(c.name, `${prefix}:${c.id}`));
  const option_groups = [{ label: plain("No condition"), options: [none] }];
  if (choices.campaigns.length) {
    option_groups.push(
      { label: plain("In campaign"), options: named("in") },
      { label: plain("Not in campaign"), options: named("out") },
    );
  }
  return { type: "static_select", action_id: fieldAction("campaign"), initial_option: none, option_groups };
}

/** One custom field test: which field, how to compare, and the value. */
function customFieldInputs(choices: SegmentChoices): KnownBlock[] {
  const fields = choices.customFields.filter((f) => f.length <= OPTION_VALUE_MAX);
  if (fields.length === 0) return [];
  const none = option("No custom field condition", "none");
  const equals = option(CUSTOM_FIELD_OP_LABELS.equals, "equals");
  return [
    input(
      "customField",
      {
        type: "static_select",
        action_id: fieldAction("customField"),
        initial_option: none,
        options: [none, ...fields.map((f) => option(f, f))],
      },
      {
        hint: plain("Columns from your imports beyond name, phone, ZIP and tags."),
      },
    ),
    input("customFieldOp", {
      type: "static_select",
      action_id: fieldAction("customFieldOp"),
      initial_option: equals,
      options: (Object.keys(CUSTOM_FIELD_OP_LABELS) as CustomFieldOp[]).map((op) =>
        option(CUSTOM_FIELD_OP_LABELS[op], op),
      ),
    }),
    input(
      "customFieldValue",
      {
        type: "plain_text_input",
        action_id: fieldAction("customFieldValue"),
        dispatch_action_config: onTyping,
        placeholder: plain("e.g. 4"),
      },
      { hint: plain("Letter case is ignored. Leave empty for “is empty” and “is filled in”.") },
    ),
  ];
}

export const ADVANCED_EXAMPLE =
  '{"any": [{"tags": {"any": ["volunteer"]}}, {"all": [{"state": ["NY"]}, {"engagement": "replied"}]}]}';

/** The form. Every element dispatches its changes, so the count at the top follows each edit. */
export function segmentModal(metadata: SegmentModalMetadata, choices: SegmentChoices): ModalView {
  const blocks: KnownBlock[] = [
    ...audienceStatusBlocks({ kind: "prompt" }),
    { type: "divider" },
    input(
      "name",
      {
        type: "plain_text_input",
        action_id: fieldAction("name"),
        max_length: MAX_SEGMENT_NAME,
        dispatch_action_config: onTyping,
        placeholder: plain("e.g. Volunteers NY"),
      },
      { optional: false },
    ),
    input("match", {
      type: "radio_buttons",
      action_id: fieldAction("match"),
      initial_option: option("All conditions (AND)", "all"),
      options: [option("All conditions (AND)", "all"), option("Any condition (OR)", "any")],
    }),
    context("Each field you fill in below is one condition. Opted-out numbers are never counted and never texted."),
  ];
  if (choices.tags.length) {
    const search = choices.moreTags ? " Type to search every tag." : "";
    blocks.push(
      tagInput("tagsAny", choices, `Contacts with at least one of these tags.${search}`),
      tagInput("tagsAll", choices, `Contacts with every one of these tags.${search}`),
      tagInput("tagsNone", choices, `Contacts with none of these tags.${search}`),
    );
  } else {
    blocks.push(
      context("No contact has a tag yet. Import a CSV with a Tags column (`/contacts import`) to filter by tag."),
    );
  }
  const states = [...US_STATE_CODES].sort((a, b) => (STATE_NAMES[a] ?? a).localeCompare(STATE_NAMES[b] ?? b));
  blocks.push(
    input("states", {
      type: "multi_static_select",
      action_id: fieldAction("states"),
      options: states.map((s) => option(`${STATE_NAMES[s] ?? s} (${s})`, s)),
      placeholder: plain("Pick states"),
    }),
    input(
      "zipPrefixes",
      {
        type: "plain_text_input",
        action_id: fieldAction("zipPrefixes"),
        dispatch_action_config: onTyping,
        placeholder: plain("e.g. 100, 112, 07030"),
      },
      { hint: plain("One or more ZIP beginnings, separated by commas: 100 matches 10001 through 10099.") },
    ),
  );
  if (choices.timeZones.length) {
    blocks.push(
      input("timeZones", {
        type: "multi_static_select",
        action_id: fieldAction("timeZones"),
        options: choices.timeZones.map((z) => option(z, z)),
        placeholder: plain("Pick time zones"),
      }),
    );
  }
  blocks.push(...customFieldInputs(choices));
  const anyEngagement = option("Any (no condition)", "any");
  blocks.push(
    input("engagement", {
      type: "static_select",
      action_id: fieldAction("engagement"),
      initial_option: anyEngagement,
      options: [anyEngagement, ...ENGAGEMENTS.map((e) => option(ENGAGEMENT_LABELS[e], e))],
    }),
    input(
      "outcomeTag",
      {
        type: "plain_text_input",
        action_id: fieldAction("outcomeTag"),
        dispatch_action_config: onTyping,
        placeholder: plain("e.g. pledged to vote"),
      },
      { hint: plain("A tag volunteers put on conversations; letter case is ignored.") },
    ),
    input("lastTextedMode", {
      type: "static_select",
      action_id: fieldAction("lastTextedMode"),
      initial_option: option(LAST_TEXTED_LABELS.any, "any"),
      options: (Object.keys(LAST_TEXTED_LABELS) as LastTextedMode[]).map((m) => option(LAST_TEXTED_LABELS[m], m)),
    }),
    input(
      "lastTextedAfter",
      { type: "datepicker", action_id: fieldAction("lastTextedAfter") },
      { hint: plain("First date: the last text was sent on this day or later.") },
    ),
    input(
      "lastTextedBefore",
      { type: "datepicker", action_id: fieldAction("lastTextedBefore") },
      { hint: plain("Second date: the last text was sent before this day.") },
    ),
    input(
      "campaign",
      campaignElement(choices),
      choices.campaigns.length > CAMPAIGNS_LISTED ? { hint: plain(`The ${CAMPAIGNS_LISTED} newest campaigns.`) } : {},
    ),
    { type: "divider" },
    input(
      "advanced",
      {
        type: "plain_text_input",
        action_id: fieldAction("advanced"),
        multiline: true,
        dispatch_action_config: onTyping,
        placeholder: plain("Leave empty to use the fields above"),
      },
      {
        hint: plain(
          `For nested AND/OR groups. When filled in, it replaces every field above. Example: ${ADVANCED_EXAMPLE}`,
        ),
      },
    ),
  );
  return { ...modalFrame(metadata), submit: plain("Save segment"), blocks };
}

function problemLines(problems: Partial<Record<SegmentBlock, string>>): string {
  return (Object.entries(problems) as [SegmentBlock, string][])
    .map(([block, text]) => `• ${FIELD_LABELS[block]}: ${escapeMrkdwn(text)}`)
    .join("\n");
}

/** The count line and the line under it. */
export function audienceStatusBlocks(status: AudienceStatus): KnownBlock[] {
  let head: string;
  let detail: string;
  switch (status.kind) {
    case "prompt":
      head = "Fill in at least one condition to see how many contacts it reaches.";
      detail = "The count updates as you edit.";
      break;
    case "count":
      head = reachableText(status.reachable);
      detail = status.fieldsIgnored
        ? `Using the advanced filter; the other fields are ignored. ${escapeMrkdwn(status.description)}`
        : escapeMrkdwn(status.description);
      break;
    case "problems":
      head = ":warning: Fix this to see the count:";
      detail = problemLines(status.problems);
      break;
    case "failed":
      head = ":x: Could not count contacts just now.";
      detail =
        "The count comes back with your next change, and saving still works. If it keeps failing, tell your admin.";
      break;
  }
  if (status.nameProblem) detail = `${detail}\n:warning: ${escapeMrkdwn(status.nameProblem)}`;
  return [section(head, COUNT_BLOCK), context(clip(detail, 2000), DETAIL_BLOCK)];
}

/** The view as Slack sent it, with a new count line. Input blocks keep their ids, so Slack keeps what was entered. */
export function withAudienceStatus(
  view: {
    callback_id: string;
    private_metadata: string;
    title: { text: string };
    submit?: { text: string } | null;
    close?: { text: string } | null;
    blocks: unknown[];
  },
  status: AudienceStatus,
): ModalView {
  const [head, detail] = audienceStatusBlocks(status);
  const blocks = (view.blocks as KnownBlock[]).map((block) =>
    block.block_id === COUNT_BLOCK ? head! : block.block_id === DETAIL_BLOCK ? detail! : block,
  );
  return {
    type: "modal",
    callback_id: view.callback_id,
    private_metadata: view.private_metadata,
    title: plain(view.title.text),
    ...(view.submit ? { submit: plain(view.submit.text) } : {}),
    ...(view.close ? { close: plain(view.close.text) } : {}),
    blocks,
  };
}

// ---- messages --------------------------------------------------------------------------------

export interface EphemeralAnswer {
  response_type: "ephemeral";
  text: string;
  blocks: KnownBlock[];
}

const ephemeral = (text: string, blocks: KnownBlock[] = [section(text)]): EphemeralAnswer => ({
  response_type: "ephemeral",
  text,
  blocks,
});

/** A problem the organizer can fix; `message` already says how. */
export const segmentProblemMessage = (message: string) => ephemeral(`:warning: ${escapeMrkdwn(message)}`);

export const segmentFormFailedMessage = (slackError: string) =>
  ephemeral(
    `:x: Slack would not open the segment form (${slackError}). Type \`${SEGMENT_COMMAND} new\` again; forms must open within 3 seconds of the command.`,
  );

export const segmentFailureMessage = (what: string) =>
  ephemeral(
    `:x: Something went wrong on our side and ${what}. Try again in a minute; if it keeps failing, tell your admin.`,
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
      ? ` · audience of ${s.campaigns.map((c) => `“${escapeMrkdwn(c)}”`).join(", ")}`
      : "";
    return clip(
      `• *${escapeMrkdwn(s.name)}*: ${escapeMrkdwn(s.description)}${used} · created ${day(s.createdAt)} by <@${s.createdBy}>`,
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
    `${segments.length} segments: ${segments.map((s) => s.name).join(", ")}`.slice(0, 3_000),
    sections.slice(0, 50).map((t) => section(t)),
  );
}

const BREAKDOWN_SHOWN = 10;

function breakdownLine(rows: readonly AudienceBreakdownRow[], none: string): string {
  if (rows.length === 0) return "none";
  const shown = rows.slice(0, BREAKDOWN_SHOWN).map((r) => `${escapeMrkdwn(r.value ?? none)} ${number(r.contacts)}`);
  const rest = rows.slice(BREAKDOWN_SHOWN).reduce((sum, r) => sum + r.contacts, 0);
  return rest > 0 ? `${shown.join(" · ")} · others ${number(rest)}` : shown.join(" · ");
}

/** `/segment show`: count, breakdowns, five samples with masked phones. */
export function segmentDetailsMessage(s: SegmentDetails): EphemeralAnswer {
  const sample = s.sample.length
    ? s.sample
        .map(
          (c) =>
            `• ${escapeMrkdwn(c.name ?? "(no name)")}, ${c.maskedPhone}, ${escapeMrkdwn(c.state ?? "no state")}, ${escapeMrkdwn(c.timeZone ?? "no time zone")}`,
        )
        .join("\n")
    : "No reachable contact matches this segment.";
  const used = s.campaigns.length ? `Audience of ${s.campaigns.map((c) => `“${escapeMrkdwn(c)}”`).join(", ")}. ` : "";
  const blocks = [
    section(`*${escapeMrkdwn(s.name)}*: ${escapeMrkdwn(s.description)}`),
    section(`*${reachableText(s.reachable)}*`),
    section(
      `*By state:* ${breakdownLine(s.byState, "no state")}\n*By time zone:* ${breakdownLine(s.byTimeZone, "no time zone")}`,
    ),
    section(`*Sample contacts:*\n${sample}`),
    context(`${used}Created ${day(s.createdAt)} by <@${s.createdBy}>.`),
  ];
  return ephemeral(`${s.name}: ${reachableText(s.reachable)}`, blocks);
}

/** `/segment delete`: what will go, and a button to confirm. */
export function segmentDeleteConfirmMessage(segment: {
  id: string;
  name: string;
  description: string;
}): EphemeralAnswer {
  const text = `Delete segment *${escapeMrkdwn(segment.name)}* (${escapeMrkdwn(segment.description)})? Only the saved filter goes; no contact is changed.`;
  return ephemeral(`Delete segment ${segment.name}?`, [
    section(text),
    {
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: SEGMENT_DELETE_CONFIRM,
          style: "danger",
          text: plain("Delete segment"),
          value: segment.id,
        },
        { type: "button", action_id: SEGMENT_DELETE_CANCEL, text: plain("Keep it"), value: segment.id },
      ],
    },
  ]);
}

export const segmentDeletedMessage = (name: string) => ({
  replace_original: true,
  ...ephemeral(`:wastebasket: Deleted segment *${escapeMrkdwn(name)}*.`),
});
export const segmentKeptMessage = () => ({ replace_original: true, ...ephemeral("Nothing was deleted.") });

/** After the modal closes: what was saved and how many it reaches. */
export function segmentSavedMessage(
  name: string,
  reachable: number,
  description: string,
): { text: string; blocks: KnownBlock[] } {
  const text = `:white_check_mark: Saved segment *${escapeMrkdwn(name)}*: ${reachableText(reachable)}. ${escapeMrkdwn(description)}.`;
  return {
    text,
    blocks: [
      section(text),
      context(`\`${SEGMENT_COMMAND} show ${escapeMrkdwn(name)}\` shows where they are and a few of them.`),
    ],
  };
}
