import {
  isoInstant,
  type AudienceFilter,
  type Engagement,
  type FieldCondition,
  type AudienceCondition,
  RESPONSE_STATES,
  type ResponseState,
} from "./audience-filter";
import { repliedSinceFirstTextSql } from "./follow-up";
import { optedOutSql } from "./suppression";

/*
 * Audience filters (audience-filter.ts) as one SQL expression over `FROM "Contact" c`. Only fixed identifiers and literals are written into the text; every value is a typed
 * placeholder, so PostgreSQL and PGlite infer the same types and nothing a user typed is SQL.
 */

type ParamType = "text" | "text[]" | "uuid" | "timestamptz" | "int";

class Params {
  readonly values: unknown[] = [];
  constructor(private readonly offset: number) {}
  add(value: unknown, type: ParamType): string {
    this.values.push(value);
    return `$${this.offset + this.values.length}::${type}`;
  }
}

const and = (parts: string[]) => (parts.length === 1 ? (parts[0] as string) : `(${parts.join(" AND ")})`);
const or = (parts: string[]) => (parts.length === 1 ? (parts[0] as string) : `(${parts.join(" OR ")})`);

const messages = (direction: "inbound" | "outbound", extra = "") =>
  `EXISTS (SELECT 1 FROM "Message" m WHERE m."contactId" = c.id AND m.direction = '${direction}'${extra})`;
const TEXTED = messages("outbound");
const REPLIED = messages("inbound");
const CLICKED = `EXISTS (SELECT 1 FROM "LinkClick" l WHERE l."contactId" = c.id)`;
const NOT_OPTED_OUT = `NOT ${optedOutSql("c.phone")}`;

const ENGAGEMENT_SQL: Record<Engagement, string> = {
  never_texted: `NOT ${TEXTED}`,
  texted_no_reply: `(${TEXTED} AND NOT ${REPLIED})`,
  replied: REPLIED,
  clicked_link: CLICKED,
};

/*
 * Responses to one campaign. `campaign` and `tag` are SQL expressions (a typed placeholder, or a
 * column in the per-tag count), so the counts below evaluate exactly what a segment's filter does.
 * Texted: the entry is sent, or on a follow-up step (only a sent entry moves to one; a failed first
 * text leaves it skipped on step 0). Replied: follow-up.ts's rule, a text since the first one.
 */
const TEXTED_ENTRY = `(cc.status = 'sent' OR cc.step > 0)`;
const conversationOf = (where: string) =>
  `EXISTS (SELECT 1 FROM "Conversation" v WHERE v."campaignId" = cc."campaignId" AND v."contactId" = c.id AND ${where})`;
const ANY_TAG = conversationOf(`cardinality(v."tags") > 0`);
const taggedWith = (tag: string) =>
  conversationOf(`EXISTS (SELECT 1 FROM unnest(v."tags") AS vt WHERE lower(vt) = lower(${tag}))`);

/** `tag` null: replied with any tag (only the modal's count asks that; a segment names its tag). */
function responseSql(campaign: string, state: ResponseState, tag: string | null): string {
  if (state === "clicked_link")
    return `EXISTS (SELECT 1 FROM "LinkClick" l JOIN "ShortLink" s ON s.id = l."shortLinkId" WHERE l."contactId" = c.id AND s."campaignId" = ${campaign})`;
  const replied = repliedSinceFirstTextSql("cc");
  const then: Record<Exclude<ResponseState, "clicked_link">, string> = {
    replied_tagged: `${replied} AND ${tag === null ? ANY_TAG : taggedWith(tag)}`,
    replied_untagged: `${replied} AND NOT ${ANY_TAG}`,
    no_reply: `NOT ${replied}`,
  };
  return `EXISTS (SELECT 1 FROM "CampaignContact" cc WHERE cc."contactId" = c.id AND cc."campaignId" = ${campaign} AND ${TEXTED_ENTRY} AND ${then[state]})`;
}

function fieldSql({ field, op, value }: FieldCondition, p: Params): string {
  const column = `(c."customFields" ->> ${p.add(field, "text")})`;
  switch (op) {
    case "equals":
      return `lower(${column}) = lower(${p.add(value, "text")})`;
    case "contains":
      // strpos, not LIKE: % and _ in the organizer's text stay literal.
      return `strpos(lower(${column}), lower(${p.add(value, "text")})) > 0`;
    case "in":
      return `lower(${column}) = ANY (SELECT lower(v) FROM unnest(${p.add(value, "text[]")}) AS v)`;
    case "empty":
      return `coalesce(btrim(${column}), '') = ''`;
    case "notEmpty":
      return `coalesce(btrim(${column}), '') <> ''`;
  }
}

function conditionSql(condition: AudienceCondition, p: Params): string {
  if ("tags" in condition) {
    const { any, all, none } = condition.tags;
    const parts: string[] = [];
    if (any) parts.push(`c."tags" && ${p.add(any, "text[]")}`);
    if (all) parts.push(`c."tags" @> ${p.add(all, "text[]")}`);
    if (none) parts.push(`NOT (c."tags" && ${p.add(none, "text[]")})`);
    return and(parts);
  }
  if ("field" in condition) return fieldSql(condition, p);
  if ("state" in condition) return `c."state" = ANY (${p.add(condition.state, "text[]")})`;
  if ("zipPrefix" in condition)
    return `c."zip" LIKE ANY (${p.add(
      condition.zipPrefix.map((prefix) => `${prefix}%`),
      "text[]",
    )})`;
  if ("timeZone" in condition) return `c."timeZone" = ANY (${p.add(condition.timeZone, "text[]")})`;
  if ("engagement" in condition) return ENGAGEMENT_SQL[condition.engagement];
  if ("hasOutcomeTag" in condition) {
    const tag = p.add(condition.hasOutcomeTag, "text");
    return `EXISTS (SELECT 1 FROM "Conversation" v, unnest(v."tags") AS t WHERE v."contactId" = c.id AND lower(t) = lower(${tag}))`;
  }
  if ("lastTexted" in condition) {
    const { after, before } = condition.lastTexted;
    const parts: string[] = [];
    const since = (date: string) => ` AND m."createdAt" >= ${p.add(isoInstant(date).toISOString(), "timestamptz")}`;
    parts.push(after ? messages("outbound", since(after)) : TEXTED);
    if (before) parts.push(`NOT ${messages("outbound", since(before))}`);
    return and(parts);
  }
  if ("response" in condition) {
    const { campaign, state, tag } = condition.response;
    return responseSql(p.add(campaign, "uuid"), state, tag === undefined ? null : p.add(tag, "text"));
  }
  const member = `EXISTS (SELECT 1 FROM "CampaignContact" cc WHERE cc."contactId" = c.id AND cc."campaignId" = ${p.add(condition.inCampaign, "uuid")})`;
  return condition.is === false ? `NOT ${member}` : member;
}

function filterSql(filter: AudienceFilter, p: Params): string {
  if ("all" in filter) return and(filter.all.map((f) => filterSql(f, p)));
  if ("any" in filter) return or(filter.any.map((f) => filterSql(f, p)));
  return conditionSql(filter, p);
}

export interface CompileOptions {
  /** Placeholders start at `$paramOffset + 1`, to follow parameters the caller already has. */
  paramOffset?: number;
}

/** One boolean SQL expression over `FROM "Contact" c`, with its positional parameters. */
export function compileAudienceFilter(
  filter: AudienceFilter,
  options: CompileOptions = {},
): { where: string; params: unknown[] } {
  const p = new Params(options.paramOffset ?? 0);
  const where = filterSql(filter, p);
  return { where: `(${where})`, params: p.values };
}

/** Like compileAudienceFilter, also excluding opted-out numbers: the contacts a campaign may text. */
export function compileReachableAudience(
  filter: AudienceFilter,
  options: CompileOptions = {},
): { where: string; params: unknown[] } {
  const { where, params } = compileAudienceFilter(filter, options);
  return { where: `${where} AND ${NOT_OPTED_OUT}`, params };
}

export interface AudienceQuery {
  sql: string;
  params: unknown[];
}

/** One row `{ reachable: number }`. Opted-out contacts never count as reachable. */
export function reachableAudienceSql(filter: AudienceFilter): AudienceQuery {
  const { where, params } = compileReachableAudience(filter);
  return { sql: `SELECT count(*)::int AS "reachable" FROM "Contact" c WHERE ${where}`, params };
}

export type AudienceBreakdown = "state" | "timeZone";
export interface AudienceBreakdownRow {
  /** The state code or time zone; null for contacts without one. */
  value: string | null;
  contacts: number;
}
const BREAKDOWN_COLUMNS: Record<AudienceBreakdown, string> = { state: `c."state"`, timeZone: `c."timeZone"` };

/** Reachable contacts per state or per time zone, largest first (`AudienceBreakdownRow`s). */
export function audienceBreakdownSql(filter: AudienceFilter, by: AudienceBreakdown): AudienceQuery {
  const column = BREAKDOWN_COLUMNS[by];
  if (!column) throw new RangeError(`Unknown breakdown: ${String(by)}`);
  const { where, params } = compileReachableAudience(filter);
  return {
    sql: `SELECT ${column} AS "value", count(*)::int AS "contacts" FROM "Contact" c WHERE ${where} GROUP BY ${column} ORDER BY 2 DESC, 1 NULLS LAST`,
    params,
  };
}

/**
 * Both breakdowns from one pass over the reachable contacts (GROUPING SETS): rows of
 * `{ by, value, contacts }`, largest first within each `by`. /segment show needs both, and at a
 * million contacts one pass is half the wait of two.
 */
export function audienceBreakdownsSql(filter: AudienceFilter): AudienceQuery {
  const { state, timeZone } = BREAKDOWN_COLUMNS;
  const { where, params } = compileReachableAudience(filter);
  return {
    sql: `SELECT CASE WHEN GROUPING(${state}) = 0 THEN 'state' ELSE 'timeZone' END AS "by",
        CASE WHEN GROUPING(${state}) = 0 THEN ${state} ELSE ${timeZone} END AS "value", count(*)::int AS "contacts"
      FROM "Contact" c WHERE ${where} GROUP BY GROUPING SETS ((${state}), (${timeZone})) ORDER BY 1, 3 DESC, 2 NULLS LAST`,
    params,
  };
}

/** Each response state's reachable contacts in one campaign (`replied_tagged` counts any tag): one row keyed by state. */
export function responseCountsSql(campaignId: string): AudienceQuery {
  const campaign = "$1::uuid";
  const counts = RESPONSE_STATES.map(
    (state) => `count(*) FILTER (WHERE ${responseSql(campaign, state, null)})::int AS "${state}"`,
  );
  // Every state needs an entry in the campaign or a click on its links: only those contacts are read.
  return {
    sql: `SELECT ${counts.join(", ")} FROM "Contact" c WHERE c.id IN (
      SELECT e."contactId" FROM "CampaignContact" e WHERE e."campaignId" = ${campaign}
      UNION SELECT k."contactId" FROM "LinkClick" k JOIN "ShortLink" ks ON ks.id = k."shortLinkId" WHERE ks."campaignId" = ${campaign}
    ) AND ${NOT_OPTED_OUT}`,
    params: [campaignId],
  };
}

export interface ResponseTagRow {
  tag: string;
  /** Reachable contacts who replied and whose conversation has the tag (0 when all of them opted out). */
  contacts: number;
}

/** The tags on a campaign's conversations with their replied_tagged reach (`ResponseTagRow`s), largest first. */
export function responseTagCountsSql(campaignId: string, limit = 100): AudienceQuery {
  const reachable = `${responseSql("$1::uuid", "replied_tagged", "x.tag")} AND ${NOT_OPTED_OUT}`;
  return {
    sql: `SELECT x.tag, count(*) FILTER (WHERE ${reachable})::int AS "contacts"
      FROM (SELECT DISTINCT v."contactId", lower(t) AS tag FROM "Conversation" v, unnest(v."tags") AS t WHERE v."campaignId" = $1::uuid) x
      JOIN "Contact" c ON c.id = x."contactId"
      GROUP BY x.tag ORDER BY 2 DESC, 1 LIMIT $2::int`,
    params: [campaignId, limit],
  };
}

export interface AudienceSampleRow {
  id: string;
  phone: string;
  firstName: string | null;
  lastName: string | null;
  state: string | null;
  timeZone: string | null;
}

/** A few reachable contacts (`AudienceSampleRow`s). Unordered on purpose: LIMIT stops at the first matches. */
export function audienceSampleSql(filter: AudienceFilter, size = 5): AudienceQuery {
  if (!Number.isInteger(size) || size < 1 || size > 100)
    throw new RangeError(`Sample size must be 1 to 100, got ${size}`);
  const { where, params } = compileReachableAudience(filter);
  const limit = `$${params.length + 1}::int`;
  return {
    sql: `SELECT c.id, c.phone, c."firstName", c."lastName", c."state", c."timeZone" FROM "Contact" c WHERE ${where} LIMIT ${limit}`,
    params: [...params, size],
  };
}

// ---------------------------------------------------------------------------------------------
// Description for Slack, e.g. "Tagged volunteer or donor, in NY or NJ, never texted".
