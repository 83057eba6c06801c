import { z } from "zod";

/**
 * Audience filters: the JSON a segment stores, its validation and its one-line description for
 * Slack; its one-query SQL form is audience-sql.ts.
 *
 * A filter is a condition or an AND/OR group (`{ all: [...] }` / `{ any: [...] }`) of filters.
 * Matching rules, decided once here:
 * - tags are matched exactly after trimming and lowercasing, as the importer stores them, so the
 *   GIN index on "Contact".tags serves `&&` and `@>`;
 * - custom field names are the import column names, matched exactly; values are trimmed in the
 *   filter and compared case-insensitively (PostgreSQL `lower`); "empty" means missing, null or blank;
 * - state codes are compared upper-case, time zones by their IANA spelling (letter case fixed);
 * - outcome tags are compared case-insensitively on any conversation of the contact;
 * - "texted" means any outbound message row for the contact, whatever its delivery status;
 * - lastTexted is the contact's latest outbound text: `after` inclusive, `before` exclusive, and a
 *   contact never texted matches neither; a date without a time means 00:00 UTC that day;
 * - response is where a contact stands in one campaign (RESPONSE_STATES), whatever they did
 *   elsewhere: texted means the campaign's first text went out to them (its entry is sent, or on a
 *   follow-up step); replied means a text from them since that first text (the follow-up texts'
 *   rule); the tag is looked for, case-insensitively, on the campaign's conversation with them;
 *   clicked means a click of theirs on one of the campaign's short links. Replied and no_reply
 *   both need texted; clicked does not.
 */

export const MAX_GROUP_DEPTH = 3;
export const MAX_CONDITIONS = 50;
const MAX_LIST = 500;

/** Two-letter codes a state condition accepts: the states, DC, territories and military "states". */
export const US_STATE_CODES: ReadonlySet<string> = new Set(
  (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND " +
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP AA AE AP"
  ).split(" "),
);

export const ENGAGEMENTS = ["never_texted", "texted_no_reply", "replied", "clicked_link"] as const;
export const FIELD_OPS = ["equals", "contains", "in", "empty", "notEmpty"] as const;
/** Where a contact stands in one campaign: replied and tagged (with `tag`), replied without a tag, texted without replying, clicked a link. */
export const RESPONSE_STATES = ["replied_tagged", "replied_untagged", "no_reply", "clicked_link"] as const;

function strict<T extends z.core.$ZodLooseShape>(shape: T, what: string) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `${what} has an unknown setting: ${issue.keys.map((k) => `"${k}"`).join(", ")}.`
        : issue.code === "invalid_type"
          ? `${what} must be an object.`
          : undefined,
  });
}

function listOf<T extends z.ZodType>(item: T, what: string) {
  return z
    .array(item, { error: `${what} must be a list.` })
    .min(1, `Pick at least one ${what}.`)
    .max(MAX_LIST, `At most ${MAX_LIST} values per ${what} list.`)
    .transform((values) => [...new Set(values)]);
}

function text(what: string, max = 100) {
  return z
    .string({ error: `${what} must be text.` })
    .trim()
    .min(1, `${what} can't be blank.`)
    .max(max, `${what} can be at most ${max} characters.`);
}

const tagList = listOf(text("A tag").toLowerCase(), "tag");

const tagsCondition = strict(
  {
    tags: strict(
      { any: tagList.optional(), all: tagList.optional(), none: tagList.optional() },
      "A tags condition",
    ).refine(
      (t) => t.any !== undefined || t.all !== undefined || t.none !== undefined,
      "A tags condition needs any, all or none with at least one tag.",
    ),
  },
  "A tags condition",
);

const fieldValue = z.string({ error: "A custom field value must be text." }).trim();

const fieldCondition = strict(
  {
    field: text("A custom field name", 200),
    op: z.enum(FIELD_OPS, { error: `A custom field test must be one of: ${FIELD_OPS.join(", ")}.` }),
    value: z
      .union([fieldValue, z.array(fieldValue).max(MAX_LIST)], {
        error: "A custom field value must be text or a list of texts.",
      })
      .optional(),
  },
  "A custom field condition",
).superRefine((condition, ctx) => {
  const { field, op, value } = condition;
  const problem = (message: string) => ctx.addIssue({ code: "custom", path: ["value"], message });
  if ((op === "equals" || op === "contains") && (typeof value !== "string" || value === "")) {
    problem(`"${field}" ${op} needs one value to compare with.`);
  } else if (op === "in" && (!Array.isArray(value) || value.length === 0 || value.some((v) => v === ""))) {
    problem(`"${field}" in needs a list of non-blank values.`);
  } else if ((op === "empty" || op === "notEmpty") && value !== undefined) {
    problem(`"${field}" ${op} takes no value.`);
  }
});

const stateCode = z
  .string({ error: "A state must be a two-letter code." })
  .trim()
  .toUpperCase()
  .refine((code) => US_STATE_CODES.has(code), {
    error: (issue) => `"${String(issue.input)}" is not a US state code (like NY or CA).`,
  });

const zipPrefix = z
  .string({ error: "A ZIP prefix must be text." })
  .trim()
  .regex(/^\d{1,5}$/, {
    error: (issue) => `"${String(issue.input)}" is not a ZIP prefix (1 to 5 digits, like 100 or 94110).`,
  });

const campaignId = z.uuid({ error: (issue) => `"${String(issue.input)}" is not a campaign id.` });

const responseCondition = strict(
  {
    response: strict(
      {
        campaign: campaignId,
        state: z.enum(RESPONSE_STATES, { error: `A response state must be one of: ${RESPONSE_STATES.join(", ")}.` }),
        tag: text("A tag").toLowerCase().optional(),
      },
      "A response condition",
    ).superRefine((response, ctx) => {
      if (response.state === "replied_tagged" && response.tag === undefined)
        ctx.addIssue({ code: "custom", path: ["tag"], message: 'replied_tagged needs the tag, e.g. "pledged".' });
      if (response.state !== "replied_tagged" && response.tag !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["tag"],
          message: `Only replied_tagged takes a tag, not ${response.state}.`,
        });
    }),
  },
  "A response condition",
);

const SUPPORTED_ZONES = new Map(Intl.supportedValuesOf("timeZone").map((zone) => [zone.toLowerCase(), zone]));

/** The zone as contacts store it (letter case fixed), or null when Intl does not know it. */
function ianaZone(name: string): string | null {
  const known = SUPPORTED_ZONES.get(name.toLowerCase());
  if (known) return known;
  // Aliases such as America/Indiana/Indianapolis (what ZIP lookups produce) are valid but unlisted.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return null;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return name;
  } catch {
    return null;
  }
}

const timeZone = z
  .string({ error: "A time zone must be text." })
  .trim()
  .transform((name, ctx) => {
    const zone = ianaZone(name);
    if (zone) return zone;
    ctx.addIssue({ code: "custom", message: `"${name}" is not a time zone name (like America/New_York).` });
    return z.NEVER;
  });

/** The instant an ISO date means: a bare date is 00:00 UTC that day. */
export function isoInstant(value: string): Date {
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
}

const isoDate = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: (issue) =>
      `"${String(issue.input)}" is not a date (use YYYY-MM-DD, or a full ISO time like 2026-03-01T09:00:00-05:00).`,
  })
  .refine((value) => {
    const year = isoInstant(value).getUTCFullYear();
    return year >= 1970 && year <= 9999;
  }, "Dates must be between 1970 and 9999.");

const lastTexted = strict({ before: isoDate.optional(), after: isoDate.optional() }, "A last-texted condition")
  .refine(
    (range) => range.before !== undefined || range.after !== undefined,
    "A last-texted condition needs a before or after date.",
  )
  .refine(
    (range) =>
      range.before === undefined || range.after === undefined || isoInstant(range.after) < isoInstant(range.before),
    "The after date must come before the before date.",
  );

/** Each condition kind, keyed by the property that names it. */
const CONDITIONS = {
  tags: tagsCondition,
  field: fieldCondition,
  state: strict({ state: listOf(stateCode, "state") }, "A state condition"),
  zipPrefix: strict({ zipPrefix: listOf(zipPrefix, "ZIP prefix") }, "A ZIP condition"),
  timeZone: strict({ timeZone: listOf(timeZone, "time zone") }, "A time zone condition"),
  engagement: strict(
    { engagement: z.enum(ENGAGEMENTS, { error: `Engagement must be one of: ${ENGAGEMENTS.join(", ")}.` }) },
    "An engagement condition",
  ),
  hasOutcomeTag: strict({ hasOutcomeTag: text("An outcome tag") }, "An outcome condition"),
  lastTexted: strict({ lastTexted }, "A last-texted condition"),
  inCampaign: strict(
    {
      inCampaign: campaignId,
      is: z.boolean({ error: "is must be true or false." }).optional(),
    },
    "A campaign condition",
  ),
  response: responseCondition,
} as const;
type ConditionKey = keyof typeof CONDITIONS;
const CONDITION_KEYS = Object.keys(CONDITIONS) as ConditionKey[];

export type TagsCondition = z.output<typeof CONDITIONS.tags>;
export type FieldCondition = z.output<typeof CONDITIONS.field>;
export type StateCondition = z.output<typeof CONDITIONS.state>;
export type ZipPrefixCondition = z.output<typeof CONDITIONS.zipPrefix>;
export type TimeZoneCondition = z.output<typeof CONDITIONS.timeZone>;
export type EngagementCondition = z.output<typeof CONDITIONS.engagement>;
export type OutcomeTagCondition = z.output<typeof CONDITIONS.hasOutcomeTag>;
export type LastTextedCondition = z.output<typeof CONDITIONS.lastTexted>;
export type CampaignCondition = z.output<typeof CONDITIONS.inCampaign>;
export type ResponseCondition = z.output<typeof CONDITIONS.response>;
export type Engagement = (typeof ENGAGEMENTS)[number];
export type ResponseState = (typeof RESPONSE_STATES)[number];

export type AudienceCondition =
  | TagsCondition
  | FieldCondition
  | StateCondition
  | ZipPrefixCondition
  | TimeZoneCondition
  | EngagementCondition
  | OutcomeTagCondition
  | LastTextedCondition
  | CampaignCondition
  | ResponseCondition;
export type AudienceGroup = { all: AudienceFilter[] } | { any: AudienceFilter[] };
export type AudienceFilter = AudienceGroup | AudienceCondition;

type Path = (string | number)[];
type Ctx = z.core.$RefinementCtx<unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function countConditions(filter: AudienceFilter): number {
  if ("all" in filter) return filter.all.reduce((n, f) => n + countConditions(f), 0);
  if ("any" in filter) return filter.any.reduce((n, f) => n + countConditions(f), 0);
  return 1;
}

/** Validates one node; reports problems on `ctx` and returns undefined when the node is invalid. */
function parseNode(input: unknown, path: Path, depth: number, ctx: Ctx): AudienceFilter | undefined {
  const report = (message: string, at: Path = path) => ctx.addIssue({ code: "custom", path: at, message });
  if (!isRecord(input)) return (report("Each condition or group must be an object."), undefined);
  const keys = Object.keys(input);
  const groupKey = keys.find((k) => k === "all" || k === "any");
  if (groupKey) {
    if (keys.length > 1)
      return (
        report(`A group has exactly one of "all" or "any"; found ${keys.map((k) => `"${k}"`).join(", ")}.`),
        undefined
      );
    if (depth >= MAX_GROUP_DEPTH) return (report(`Groups can be nested at most ${MAX_GROUP_DEPTH} deep.`), undefined);
    const children = input[groupKey];
    if (!Array.isArray(children)) return (report(`"${groupKey}" must be a list of conditions.`), undefined);
    if (children.length === 0) return (report(`An "${groupKey}" group needs at least one condition.`), undefined);
    const parsed = children.map((child, i) => parseNode(child, [...path, groupKey, i], depth + 1, ctx));
    if (!parsed.every((f): f is AudienceFilter => f !== undefined)) return undefined;
    return groupKey === "all" ? { all: parsed } : { any: parsed };
  }
  const kinds = CONDITION_KEYS.filter((k) => k in input);
  if (kinds.length === 0) {
    return (
      report(
        `Unknown condition ${keys.length ? `(${keys.join(", ")})` : "{}"}; expected one of: all, any, ${CONDITION_KEYS.join(", ")}.`,
      ),
      undefined
    );
  }
  if (kinds.length > 1) {
    return (
      report(`Put one condition per item (found ${kinds.join(" and ")} together); combine them with { "all": [...] }.`),
      undefined
    );
  }
  const result = CONDITIONS[kinds[0] as ConditionKey].safeParse(input);
  if (result.success) return result.data as AudienceCondition;
  for (const issue of result.error.issues) report(issue.message, [...path, ...(issue.path as Path)]);
  return undefined;
}

/** The stored filter JSON, validated and normalized (tags lower-cased, states upper-cased, lists deduplicated). */
export const audienceFilterSchema = z.unknown().transform((input, ctx): AudienceFilter => {
  const filter = parseNode(input, [], 0, ctx);
  if (!filter) return z.NEVER;
  const conditions = countConditions(filter);
  if (conditions > MAX_CONDITIONS) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `This audience has ${conditions} conditions; the limit is ${MAX_CONDITIONS}.`,
    });
    return z.NEVER;
  }
  return filter;
});

/** "Condition 2.1" for the first item of the second item's group; empty for the whole filter. */
function conditionLabel(path: readonly PropertyKey[]): string {
  const positions: number[] = [];
  // Group steps come first ("all", 1, "any", 0, …); what follows is inside one condition.
  for (let i = 0; (path[i] === "all" || path[i] === "any") && typeof path[i + 1] === "number"; i += 2) {
    positions.push((path[i + 1] as number) + 1);
  }
  return positions.length ? `Condition ${positions.join(".")}` : "";
}

/** Organizer-readable problems, one per line, e.g. `Condition 2: "XX" is not a US state code (like NY or CA).` */
export function audienceFilterProblems(error: z.ZodError): string[] {
  const lines = error.issues.map((issue) => {
    const label = conditionLabel(issue.path);
    return label ? `${label}: ${issue.message}` : issue.message;
  });
  return [...new Set(lines)];
}

export type AudienceFilterResult = { ok: true; filter: AudienceFilter } | { ok: false; problems: string[] };

export function parseAudienceFilter(input: unknown): AudienceFilterResult {
  const result = audienceFilterSchema.safeParse(input);
  return result.success
    ? { ok: true, filter: result.data }
    : { ok: false, problems: audienceFilterProblems(result.error) };
}

export interface DescribeOptions {
  /** The campaign's name for an id, when the caller knows it. */
  campaignName?: (id: string) => string | undefined;
}

const LIST_SHOWN = 5;

function list(values: readonly string[], joiner: "or" | "and"): string {
  const shown = values.length > LIST_SHOWN ? values.slice(0, LIST_SHOWN - 1) : [...values];
  const rest = values.length - shown.length;
  if (rest > 0) return `${shown.join(", ")} ${joiner} ${rest} more`;
  return shown.length <= 1 ? shown.join("") : `${shown.slice(0, -1).join(", ")} ${joiner} ${shown[shown.length - 1]}`;
}

const quoted = (value: string) => `“${value}”`;
const dateText = (value: string) => value.replace(/T00:00:00(\.0+)?Z$/, "");

const ENGAGEMENT_TEXT: Record<Engagement, string> = {
  never_texted: "never texted",
  texted_no_reply: "texted without a reply",
  replied: "replied",
  clicked_link: "clicked a link",
};

/** “campaign “Spring GOTV”” when the caller knows the name, else the start of its id. */
function campaignText(id: string, options: DescribeOptions): string {
  const name = options.campaignName?.(id);
  return name ? `campaign ${quoted(name)}` : `campaign ${id.slice(0, 8)}`;
}

const RESPONSE_TEXT: Record<ResponseState, (campaign: string, tag: string) => string> = {
  replied_tagged: (campaign, tag) => `replied to ${campaign}, tagged ${quoted(tag)}`,
  replied_untagged: (campaign) => `replied to ${campaign}, no tag`,
  no_reply: (campaign) => `texted by ${campaign}, no reply`,
  clicked_link: (campaign) => `clicked a link from ${campaign}`,
};

function describeCondition(condition: AudienceCondition, options: DescribeOptions): string {
  if ("tags" in condition) {
    const { any, all, none } = condition.tags;
    const parts: string[] = [];
    if (any) parts.push(`tagged ${list(any, "or")}`);
    if (all) parts.push(`tagged ${list(all, "and")}`);
    if (none) parts.push(`not tagged ${list(none, "or")}`);
    return parts.join(", ");
  }
  if ("field" in condition) {
    const name = quoted(condition.field);
    const value = condition.value;
    switch (condition.op) {
      case "equals":
        return `${name} is ${quoted(String(value))}`;
      case "contains":
        return `${name} contains ${quoted(String(value))}`;
      case "in":
        return `${name} is ${list((Array.isArray(value) ? value : [String(value)]).map(quoted), "or")}`;
      case "empty":
        return `${name} is empty`;
      case "notEmpty":
        return `${name} is filled in`;
    }
  }
  if ("state" in condition) return `in ${list(condition.state, "or")}`;
  if ("zipPrefix" in condition) return `ZIP starting ${list(condition.zipPrefix, "or")}`;
  if ("timeZone" in condition) return `in time zone ${list(condition.timeZone, "or")}`;
  if ("engagement" in condition) return ENGAGEMENT_TEXT[condition.engagement];
  if ("hasOutcomeTag" in condition) return `with outcome ${quoted(condition.hasOutcomeTag)}`;
  if ("lastTexted" in condition) {
    const { after, before } = condition.lastTexted;
    if (after && before) return `last texted between ${dateText(after)} and ${dateText(before)}`;
    return after ? `last texted on or after ${dateText(after)}` : `last texted before ${dateText(before ?? "")}`;
  }
  if ("response" in condition) {
    const { campaign: id, state, tag } = condition.response;
    return RESPONSE_TEXT[state](campaignText(id, options), tag ?? "");
  }
  const campaign = campaignText(condition.inCampaign, options);
  return condition.is === false ? `not in ${campaign}` : `in ${campaign}`;
}

function describeNode(filter: AudienceFilter, options: DescribeOptions, nested: boolean): string {
  if (!("all" in filter) && !("any" in filter)) return describeCondition(filter, options);
  const [parts, joiner] = "all" in filter ? [filter.all, ", "] : [filter.any, " or "];
  const text = parts.map((f) => describeNode(f, options, true)).join(joiner);
  return nested && parts.length > 1 ? `(${text})` : text;
}

/** A short sentence for Slack. Plain text: Slack builders escape &, < and > as usual. */
export function describeAudienceFilter(filter: AudienceFilter, options: DescribeOptions = {}): string {
  const text = describeNode(filter, options, false);
  return text.charAt(0).toUpperCase() + text.slice(1);
}
