import type { ViewStateValue } from "@slack/bolt";
import { ENGAGEMENTS, FIELD_OPS, type Engagement } from "../domain/audience-filter";
import { EMPTY_SEGMENT_FORM, type CustomFieldOp, type LastTextedMode, type SegmentForm } from "../domain/segment-form";
import { fieldAction, type SegmentBlock } from "./blocks/segment-fields";

export type ViewStateValues = Record<string, Record<string, ViewStateValue>>;

/** What a block_actions payload carries for the element that changed. */
export interface ChangedElement {
  type: string;
  block_id: string;
  action_id: string;
  value?: string | null;
  selected_date?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: { value: string }[];
}

/**
 * The modal's values with the element that just changed written in. Slack's `view.state` already
 * has it; the action is the authority if the two ever disagree.
 */
export function withChange(values: ViewStateValues, changed: ChangedElement | undefined): ViewStateValues {
  if (!changed?.block_id || !changed.action_id) return values;
  const { block_id, action_id, ...state } = changed;
  return { ...values, [block_id]: { ...values[block_id], [action_id]: state as ViewStateValue } };
}

const LAST_TEXTED_MODES: readonly LastTextedMode[] = ["any", "after", "before", "between"];

/** The segment form as typed into the modal: the name apart, everything else as the domain's SegmentForm. */
export function readSegmentForm(values: ViewStateValues): { name: string; form: SegmentForm } {
  const state = (block: SegmentBlock): ViewStateValue | undefined => values[block]?.[fieldAction(block)];
  const text = (block: SegmentBlock) => state(block)?.value ?? "";
  const picked = (block: SegmentBlock) => (state(block)?.selected_options ?? []).map((o) => o.value);
  const one = (block: SegmentBlock) => state(block)?.selected_option?.value ?? null;
  const date = (block: SegmentBlock) => state(block)?.selected_date ?? null;

  const engagement = one("engagement");
  const customField = one("customField");
  const customFieldOp = one("customFieldOp");
  const mode = one("lastTextedMode");
  const campaign = /^(in|out):(.+)$/.exec(one("campaign") ?? "");
  return {
    name: text("name"),
    form: {
      ...EMPTY_SEGMENT_FORM,
      match: one("match") === "any" ? "any" : "all",
      tagsAny: picked("tagsAny"),
      tagsAll: picked("tagsAll"),
      tagsNone: picked("tagsNone"),
      states: picked("states"),
      zipPrefixes: text("zipPrefixes"),
      timeZones: picked("timeZones"),
      customField: customField && customField !== "none" ? customField : null,
      customFieldOp: FIELD_OPS.includes(customFieldOp as CustomFieldOp) ? (customFieldOp as CustomFieldOp) : "equals",
      customFieldValue: text("customFieldValue"),
      engagement: ENGAGEMENTS.includes(engagement as Engagement) ? (engagement as Engagement) : null,
      outcomeTag: text("outcomeTag"),
      lastTextedMode: LAST_TEXTED_MODES.includes(mode as LastTextedMode) ? (mode as LastTextedMode) : "any",
      lastTextedAfter: date("lastTextedAfter"),
      lastTextedBefore: date("lastTextedBefore"),
      campaign: campaign ? { id: campaign[2]!, member: campaign[1] === "in" } : null,
      advanced: text("advanced"),
    },
  };
}
