import {
  FIELD_OPS,
  parseAudienceFilter,
  type AudienceCondition,
  type AudienceFilter,
  type Engagement,
} from "./audience-filter";

/**
 * The simple segment form (what the `/segment new` modal asks) turned into one audience filter.
 * Each filled-in field is one condition; "match all" needs every condition, "match any" at least
 * one. A filled-in advanced filter (JSON) replaces the fields, for nested AND/OR groups.
 * Problems are reported per field, so the modal can show each one under the field that caused it.
 */

export type LastTextedMode = "any" | "after" | "before" | "between";
export type CustomFieldOp = (typeof FIELD_OPS)[number];

export interface SegmentForm {
  match: "all" | "any";
  tagsAny: string[];
  tagsAll: string[];
  tagsNone: string[];
  states: string[];
  /** As typed: prefixes separated by commas or spaces. */
  zipPrefixes: string;
  timeZones: string[];
  /** One custom field test: the import column's name, how to compare, and the value ("in": comma separated). */
  customField: string | null;
  customFieldOp: CustomFieldOp;
  customFieldValue: string;
  engagement: Engagement | null;
  outcomeTag: string;
  lastTextedMode: LastTextedMode;
  /** YYYY-MM-DD, or null when not picked. */
  lastTextedAfter: string | null;
  lastTextedBefore: string | null;
  campaign: { id: string; member: boolean } | null;
  /** Advanced filter JSON as typed; blank means "use the fields". */
  advanced: string;
}

export type SegmentFormField = Exclude<keyof SegmentForm, "lastTextedMode" | "customFieldOp">;

export const EMPTY_SEGMENT_FORM: SegmentForm = {
  match: "all",
  tagsAny: [],
  tagsAll: [],
  tagsNone: [],
  states: [],
  zipPrefixes: "",
  timeZones: [],
  customField: null,
  customFieldOp: "equals",
  customFieldValue: "",
  engagement: null,
  outcomeTag: "",
  lastTextedMode: "any",
  lastTextedAfter: null,
  lastTextedBefore: null,
  campaign: null,
  advanced: "",
};

export type SegmentFormResult =
  | {
      ok: true;
      filter: AudienceFilter;
      /** True when the advanced filter was used while some fields were filled in too. */
      fieldsIgnored: boolean;
      usedAdvanced: boolean;
    }
  | {
      ok: false;
      /** One problem per field, worded for an organizer. */
      problems: Partial<Record<SegmentFormField, string>>;
      /** Nothing was filled in at all (not an error while the form is being built). */
      empty: boolean;
    };

export const NO_CONDITION_PROBLEM =
  "Fill in at least one condition below (a tag, state, ZIP, …) or write an advanced filter.";

/** Conditions from the fields, each tagged with the field a problem should be shown under. */
function fieldConditions(form: SegmentForm): { field: SegmentFormField; input: unknown }[] {
  const conditions: { field: SegmentFormField; input: unknown }[] = [];
  if (form.tagsAny.length) conditions.push({ field: "tagsAny", input: { tags: { any: form.tagsAny } } });
  if (form.tagsAll.length) conditions.push({ field: "tagsAll", input: { tags: { all: form.tagsAll } } });
  if (form.tagsNone.length) conditions.push({ field: "tagsNone", input: { tags: { none: form.tagsNone } } });
  if (form.states.length) conditions.push({ field: "states", input: { state: form.states } });
  const zips = form.zipPrefixes.split(/[\s,;]+/).filter((z) => z !== "");
  if (zips.length) conditions.push({ field: "zipPrefixes", input: { zipPrefix: zips } });
  if (form.timeZones.length) conditions.push({ field: "timeZones", input: { timeZone: form.timeZones } });
  const custom = customFieldCondition(form);
  if (custom) conditions.push({ field: "customFieldValue", input: custom });
  if (form.engagement) conditions.push({ field: "engagement", input: { engagement: form.engagement } });
  if (form.outcomeTag.trim()) conditions.push({ field: "outcomeTag", input: { hasOutcomeTag: form.outcomeTag } });
  if (form.campaign)
    conditions.push({ field: "campaign", input: { inCampaign: form.campaign.id, is: form.campaign.member } });
  return conditions;
}

const VALUE_FREE_OPS: readonly CustomFieldOp[] = ["empty", "notEmpty"];

/** The custom field condition as the audience filter reads it (its own validation words any problem). */
function customFieldCondition(form: SegmentForm): unknown {
  if (!form.customField) return undefined;
  const { customField: field, customFieldOp: op, customFieldValue: raw } = form;
  if (VALUE_FREE_OPS.includes(op)) return { field, op };
  if (op === "in")
    return {
      field,
      op,
      value: raw
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== ""),
    };
  return { field, op, value: raw };
}

/** The last-texted condition, or the problem with its dates. */
function lastTextedCondition(form: SegmentForm): {
  input?: unknown;
  problems: Partial<Record<SegmentFormField, string>>;
} {
  const { lastTextedMode: mode, lastTextedAfter: after, lastTextedBefore: before } = form;
  if (mode === "any") return { problems: {} };
  const problems: Partial<Record<SegmentFormField, string>> = {};
  if ((mode === "after" || mode === "between") && !after)
    problems.lastTextedAfter = "Pick the date the last text must be on or after.";
  if ((mode === "before" || mode === "between") && !before)
    problems.lastTextedBefore = "Pick the date the last text must come before.";
  if (Object.keys(problems).length) return { problems };
  const range = mode === "after" ? { after } : mode === "before" ? { before } : { after, before };
  return { input: { lastTexted: range }, problems };
}

function parseAdvanced(form: SegmentForm, anyFieldFilled: boolean): SegmentFormResult {
  let json: unknown;
  try {
    json = JSON.parse(form.advanced);
  } catch (error) {
    const detail = (error as Error).message.replace(/^JSON\.parse: /, "");
    return {
      ok: false,
      empty: false,
      problems: {
        advanced: `This is not valid JSON (${detail}). Check brackets, quotes and commas, or clear the box to use the fields above.`,
      },
    };
  }
  const parsed = parseAudienceFilter(json);
  if (!parsed.ok) return { ok: false, empty: false, problems: { advanced: parsed.problems.join(" ") } };
  return { ok: true, filter: parsed.filter, fieldsIgnored: anyFieldFilled, usedAdvanced: true };
}

/** The filter the form describes, validated and normalized, or the problems per field. */
export function filterFromForm(form: SegmentForm): SegmentFormResult {
  const conditions = fieldConditions(form);
  const lastTexted = lastTextedCondition(form);
  const anyFieldFilled = conditions.length > 0 || form.lastTextedMode !== "any";
  if (!form.customField && form.customFieldValue.trim() && form.advanced.trim() === "") {
    return {
      ok: false,
      empty: false,
      problems: { customField: "Pick the custom field this value is for, or clear the value." },
    };
  }
  if (form.advanced.trim() !== "") return parseAdvanced(form, anyFieldFilled);

  const problems: Partial<Record<SegmentFormField, string>> = { ...lastTexted.problems };
  const valid: AudienceCondition[] = [];
  const all = lastTexted.input
    ? [...conditions, { field: "lastTextedBefore" as const, input: lastTexted.input }]
    : conditions;
  for (const { field, input } of all) {
    const parsed = parseAudienceFilter(input);
    if (parsed.ok) valid.push(parsed.filter as AudienceCondition);
    else problems[field] = parsed.problems.join(" ");
  }
  if (Object.keys(problems).length) return { ok: false, empty: false, problems };
  if (valid.length === 0) return { ok: false, empty: true, problems: { match: NO_CONDITION_PROBLEM } };
  const combined = valid.length === 1 ? valid[0] : form.match === "any" ? { any: valid } : { all: valid };
  const parsed = parseAudienceFilter(combined);
  if (!parsed.ok) return { ok: false, empty: false, problems: { match: parsed.problems.join(" ") } };
  return { ok: true, filter: parsed.filter, fieldsIgnored: false, usedAdvanced: false };
}
