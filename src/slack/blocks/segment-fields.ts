import type { SegmentForm } from "../../domain/segment-form";

/* The /segment new form's vocabulary: its ids and labels, shared by the form, its count line and its reader. */

export const SEGMENT_NEW_VIEW = "segment_new";
/** Every form element's action_id starts with this; one listener recounts on any change. */
export const SEGMENT_FIELD_ACTION_PREFIX = "segment_field.";
export const SEGMENT_FIELD_ACTIONS = /^segment_field\./;
/** The tag menus, which search tags when there are too many to list. */
export const SEGMENT_TAG_ACTIONS = /^segment_field\.tags/;

/** Block ids of the form: the form's own field names, plus the name. */
export type SegmentBlock = "name" | keyof SegmentForm;

export const fieldAction = (block: SegmentBlock) => `${SEGMENT_FIELD_ACTION_PREFIX}${block}`;

export interface SegmentModalMetadata {
  /** Where the confirmation goes: the channel `/segment new` was typed in. */
  channelId: string;
}

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
