import type { types } from "@slack/bolt";
import { ENGAGEMENTS, US_STATE_CODES, type Engagement } from "../../domain/audience-filter";
import { MAX_SEGMENT_NAME } from "../../domain/segment-name";
import type { CustomFieldOp, LastTextedMode } from "../../domain/segment-form";
import type { SegmentChoices } from "../../services/segments";
import {
  context,
  divider,
  input as field,
  modal,
  multiStaticSelect,
  option,
  optionGroup,
  placeholder,
  section,
  SLACK_LIMITS,
  staticSelect,
} from "./kit";
import { audienceStatusBlocks } from "./segment-count";
import {
  FIELD_LABELS,
  fieldAction,
  SEGMENT_NEW_VIEW,
  type SegmentBlock,
  type SegmentModalMetadata,
} from "./segment-fields";

/* The /segment new form: every element dispatches its changes, so the count line follows each edit. */

type KnownBlock = types.KnownBlock;
type ModalView = types.ModalView;
type InputBlock = types.InputBlock;

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

function segmentView(metadata: SegmentModalMetadata, blocks: KnownBlock[], submit?: string): ModalView {
  return modal({
    callbackId: SEGMENT_NEW_VIEW,
    privateMetadata: JSON.stringify(metadata),
    title: "New segment",
    close: "Cancel",
    ...(submit ? { submit } : {}),
    blocks,
  });
}

/** Shown at once (trigger_id lasts 3 s) while tags, time zones and campaigns load. */
export function segmentLoadingModal(metadata: SegmentModalMetadata): ModalView {
  return segmentView(metadata, [section(":hourglass_flowing_sand: Loading your tags, time zones and campaigns…")]);
}

/** When the menus could not be loaded: say so and what to do. */
export function segmentUnavailableModal(metadata: SegmentModalMetadata): ModalView {
  return segmentView(metadata, [
    section(
      ":x: The segment form could not load its menus, so nothing can be saved from it. Close it and type `/segment new` again in a minute; if it keeps failing, tell your admin.",
    ),
  ]);
}

/** A field of the form: optional (one condition is enough) and reporting each change, so the count follows. */
function input(
  block: SegmentBlock,
  element: InputBlock["element"],
  extra: { optional?: boolean; hint?: string } = {},
): InputBlock {
  return field({
    blockId: block,
    optional: extra.optional ?? true,
    dispatchAction: true,
    label: FIELD_LABELS[block],
    element,
    ...(extra.hint ? { hint: extra.hint } : {}),
  });
}

/** Text inputs recount after each pause in typing, not only on Enter (organizers rarely press it). */
const onTyping = { trigger_actions_on: ["on_character_entered" as const] };

/** Menus list only values Slack takes whole; longer tags and field names are left out rather than cut. */
const listable = (values: readonly string[]) => values.filter((v) => v.length <= SLACK_LIMITS.optionValue);

function tagInput(block: "tagsAny" | "tagsAll" | "tagsNone", choices: SegmentChoices, hint: string): InputBlock {
  const element: InputBlock["element"] = choices.moreTags
    ? {
        type: "multi_external_select",
        action_id: fieldAction(block),
        min_query_length: 0,
        placeholder: placeholder("Type to search tags"),
      }
    : multiStaticSelect({
        actionId: fieldAction(block),
        options: listable(choices.tags).map((t) => option(t, t)),
        placeholder: "Pick tags",
      });
  return input(block, element, { hint });
}

/** Each campaign appears twice (in / not in) and a menu holds 100 options in all. */
export const CAMPAIGNS_LISTED = 49;

function campaignElement(choices: SegmentChoices): InputBlock["element"] {
  const none = option("Any campaign (no condition)", "none");
  const named = (prefix: string) =>
    choices.campaigns.slice(0, CAMPAIGNS_LISTED).map((c) => option(c.name, `${prefix}:${c.id}`));
  const option_groups = [optionGroup("No condition", [none])];
  if (choices.campaigns.length) {
    option_groups.push(optionGroup("In campaign", named("in")), optionGroup("Not in campaign", named("out")));
  }
  return { type: "static_select", action_id: fieldAction("campaign"), initial_option: none, option_groups };
}

/** A free-text field that recounts as the organizer types. */
const typed = (block: SegmentBlock, hint: string, opts: { multiline?: boolean } = {}): InputBlock["element"] => ({
  type: "plain_text_input",
  action_id: fieldAction(block),
  ...(opts.multiline ? { multiline: true } : {}),
  dispatch_action_config: onTyping,
  placeholder: placeholder(hint),
});

/** One custom field test: which field, how to compare, and the value. */
function customFieldInputs(choices: SegmentChoices): KnownBlock[] {
  const fields = listable(choices.customFields);
  if (fields.length === 0) return [];
  return [
    input(
      "customField",
      staticSelect({
        actionId: fieldAction("customField"),
        options: [option("No custom field condition", "none"), ...fields.map((f) => option(f, f))],
        initial: "none",
      }),
      { hint: "Columns from your imports beyond name, phone, ZIP and tags." },
    ),
    input(
      "customFieldOp",
      staticSelect({
        actionId: fieldAction("customFieldOp"),
        options: (Object.keys(CUSTOM_FIELD_OP_LABELS) as CustomFieldOp[]).map((op) =>
          option(CUSTOM_FIELD_OP_LABELS[op], op),
        ),
        initial: "equals",
      }),
    ),
    input("customFieldValue", typed("customFieldValue", "e.g. 4"), {
      hint: "Letter case is ignored. Leave empty for “is empty” and “is filled in”.",
    }),
  ];
}

export const ADVANCED_EXAMPLE =
  '{"any": [{"tags": {"any": ["volunteer"]}}, {"all": [{"state": ["NY"]}, {"engagement": "replied"}]}]}';

/** The form. Every element dispatches its changes, so the count at the top follows each edit. */
export function segmentModal(metadata: SegmentModalMetadata, choices: SegmentChoices): ModalView {
  const all = option("All conditions (AND)", "all");
  const blocks: KnownBlock[] = [
    ...audienceStatusBlocks({ kind: "prompt" }),
    divider(),
    input(
      "name",
      {
        type: "plain_text_input",
        action_id: fieldAction("name"),
        max_length: MAX_SEGMENT_NAME,
        dispatch_action_config: onTyping,
        placeholder: placeholder("e.g. Volunteers NY"),
      },
      { optional: false },
    ),
    input("match", {
      type: "radio_buttons",
      action_id: fieldAction("match"),
      initial_option: all,
      options: [all, option("Any condition (OR)", "any")],
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
    input(
      "states",
      multiStaticSelect({
        actionId: fieldAction("states"),
        options: states.map((s) => option(`${STATE_NAMES[s] ?? s} (${s})`, s)),
        placeholder: "Pick states",
      }),
    ),
    input("zipPrefixes", typed("zipPrefixes", "e.g. 100, 112, 07030"), {
      hint: "One or more ZIP beginnings, separated by commas: 100 matches 10001 through 10099.",
    }),
  );
  if (choices.timeZones.length) {
    blocks.push(
      input(
        "timeZones",
        multiStaticSelect({
          actionId: fieldAction("timeZones"),
          options: choices.timeZones.map((z) => option(z, z)),
          placeholder: "Pick time zones",
        }),
      ),
    );
  }
  blocks.push(...customFieldInputs(choices));
  blocks.push(
    input(
      "engagement",
      staticSelect({
        actionId: fieldAction("engagement"),
        options: [option("Any (no condition)", "any"), ...ENGAGEMENTS.map((e) => option(ENGAGEMENT_LABELS[e], e))],
        initial: "any",
      }),
    ),
    input("outcomeTag", typed("outcomeTag", "e.g. pledged to vote"), {
      hint: "A tag volunteers put on conversations; letter case is ignored.",
    }),
    input(
      "lastTextedMode",
      staticSelect({
        actionId: fieldAction("lastTextedMode"),
        options: (Object.keys(LAST_TEXTED_LABELS) as LastTextedMode[]).map((m) => option(LAST_TEXTED_LABELS[m], m)),
        initial: "any",
      }),
    ),
    input(
      "lastTextedAfter",
      { type: "datepicker", action_id: fieldAction("lastTextedAfter") },
      { hint: "First date: the last text was sent on this day or later." },
    ),
    input(
      "lastTextedBefore",
      { type: "datepicker", action_id: fieldAction("lastTextedBefore") },
      { hint: "Second date: the last text was sent before this day." },
    ),
    input(
      "campaign",
      campaignElement(choices),
      choices.campaigns.length > CAMPAIGNS_LISTED ? { hint: `The ${CAMPAIGNS_LISTED} newest campaigns.` } : {},
    ),
    divider(),
    input("advanced", typed("advanced", "Leave empty to use the fields above", { multiline: true }), {
      hint: `For nested AND/OR groups. When filled in, it replaces every field above. Example: ${ADVANCED_EXAMPLE}`,
    }),
  );
  return segmentView(metadata, blocks, "Save segment");
}
