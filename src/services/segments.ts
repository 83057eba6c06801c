import { isUuid } from "../db/ids";
import { HEAVY_READ_TIMEOUT_MS, type Database, type Tx } from "../db/database";
import { heavyRead } from "./heavy-reads";
import { describeAudienceFilter, parseAudienceFilter, type AudienceFilter } from "../domain/audience-filter";
import {
  audienceBreakdownsSql,
  audienceSampleSql,
  reachableAudienceSql,
  type AudienceBreakdown,
  type AudienceBreakdownRow,
  type AudienceQuery,
  type AudienceSampleRow,
} from "../domain/audience-sql";
import { maskPhone } from "../domain/phone";
import { normalizeSegmentName, segmentNameKey, segmentNameProblem } from "../domain/segment-name";
import { auditActor, requirePermission, type Actor } from "./actors";
import { recordAudit } from "./audit";
import { claimFreeName, claimName, lookupName, nameTaken } from "./unique-names";
import { UserError } from "../domain/user-error";

/**
 * Segments: saved audience filters. Counting is on demand: `showSegment` and `countAudience`
 * count, `listSegments` does not (one count over a million contacts takes a good part of a
 * second, so a list of fifty segments would blow Slack's 3-second budget).
 */

export type SegmentErrorReason = "invalid_name" | "name_taken" | "not_found" | "in_use" | "broken_filter";

/** A problem an organizer can act on; `message` says what to do. */
export class SegmentError extends UserError {
  override name = "SegmentError";
  constructor(
    readonly reason: SegmentErrorReason,
    message: string,
    /** Names the organizer may have meant (for not_found). */
    readonly suggestions: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface SegmentSummary {
  id: string;
  name: string;
  /** One line, e.g. "Tagged volunteer, in NY or NJ, never texted". */
  description: string;
  createdBy: string;
  createdAt: Date;
  /** Names of the campaigns whose audience this is. */
  campaigns: string[];
}

export interface SampleContact {
  name: string | null;
  /** Only the last four digits: samples are shown in Slack channels. */
  maskedPhone: string;
  state: string | null;
  timeZone: string | null;
}

export interface SegmentDetails extends SegmentSummary {
  filter: AudienceFilter;
  /** Contacts matching the filter whose number is not opted out. */
  reachable: number;
  byState: AudienceBreakdownRow[];
  byTimeZone: AudienceBreakdownRow[];
  sample: SampleContact[];
}

export type SegmentLookup =
  | {
      found: true;
      segment: {
        id: string;
        name: string;
        filter: unknown;
        createdBy: string;
        createdAt: Date;
        campaigns: { name: string }[];
      };
    }
  | { found: false; suggestions: string[] };

const SEGMENT_FIELDS = {
  id: true,
  name: true,
  filter: true,
  createdBy: true,
  createdAt: true,
  campaigns: { select: { name: true }, orderBy: { name: "asc" } },
} as const;

/**
 * Audience queries run what the organizer typed: on the heavy-read connections, under their time
 * limit, and in one backend each. Parallel workers took the cores sends and webhooks need, and on
 * two shared cores they made a count slower, not faster: EXPLAIN ANALYZE of /segment show's
 * breakdowns at a million contacts took 580-700 ms with two workers and 300-330 ms without.
 */
async function run<R>(db: Database, query: AudienceQuery): Promise<R[]> {
  return heavyRead(
    "Counting this audience",
    "Try a simpler filter (fewer custom-field or advanced conditions), or try again in a few minutes.",
    () =>
      // PGlite is one backend already, and a transaction there would wait for any other to end.
      db.target.kind === "pglite"
        ? db.heavyReads.$queryRawUnsafe<R[]>(query.sql, ...query.params)
        : db.heavyReads.$transaction(
            async (tx) => {
              await tx.$executeRawUnsafe("SET LOCAL max_parallel_workers_per_gather = 0");
              return tx.$queryRawUnsafe<R[]>(query.sql, ...query.params);
            },
            // The statement's own limit ends a slow count first, so it is reported as one (heavyRead).
            { maxWait: HEAVY_READ_TIMEOUT_MS, timeout: 2 * HEAVY_READ_TIMEOUT_MS },
          ),
  );
}

/** Contacts the filter matches whose numbers are not opted out. */
export async function countAudience(db: Database, filter: AudienceFilter): Promise<number> {
  const [row] = await run<{ reachable: number }>(db, reachableAudienceSql(filter));
  return row?.reachable ?? 0;
}

/** The count and one-line description the segment form shows while it is edited. */
export async function previewAudience(
  db: Database,
  filter: AudienceFilter,
): Promise<{ reachable: number; description: string }> {
  const [reachable, names] = await Promise.all([countAudience(db, filter), campaignNames(db, [filter])]);
  return { reachable, description: describeAudienceFilter(filter, { campaignName: (id) => names.get(id) }) };
}

/** Whether a segment already has this name, ignoring letter case (for live feedback in the modal). */
export function segmentNameTaken(db: Database, name: string): Promise<boolean> {
  return nameTaken(db.prisma, "segment", name);
}

/** Saves a segment (organizers). Throws SegmentError (invalid_name, name_taken) with a message for the organizer. */
export async function createSegment(
  db: Database,
  input: { name: string; filter: AudienceFilter; actor: Actor },
): Promise<{ id: string; name: string }> {
  const name = normalizeSegmentName(input.name);
  await requirePermission(db, input.actor, "segments.manage", "creating a segment", { subject: name });
  const problem = segmentNameProblem(name);
  if (problem) throw new SegmentError("invalid_name", problem);
  const taken = () =>
    new SegmentError(
      "name_taken",
      `A segment named “${name}” already exists. Pick another name, or delete the old one first with /segment delete ${name}.`,
    );
  try {
    return await db.prisma.$transaction(async (tx) => {
      if (!(await claimName(tx, "segment", name))) throw taken();
      return savedSegment(tx, name, input.filter, input.actor);
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw taken();
    throw error;
  }
}

/**
 * Saves a segment the app names itself under the first of `names` no segment has (letter case
 * ignored), e.g. "Spring GOTV - no reply", else "Spring GOTV - no reply (2)". Throws SegmentError
 * (invalid_name, name_taken when every one is taken).
 */
export async function createSegmentWithFreeName(
  db: Database,
  input: { names: readonly string[]; filter: AudienceFilter; actor: Actor },
): Promise<{ id: string; name: string }> {
  const names = input.names.map(normalizeSegmentName);
  await requirePermission(db, input.actor, "segments.manage", "creating a segment", { subject: names[0] ?? null });
  const problem = names.map(segmentNameProblem).find((p) => p !== null);
  if (problem || names.length === 0) throw new SegmentError("invalid_name", problem ?? "Give the segment a name.");
  const allTaken = () =>
    new SegmentError(
      "name_taken",
      `Segments named “${names[0]}” to “${names[names.length - 1]}” all exist already. Delete the ones you no longer need with /segment delete, then try again.`,
    );
  try {
    return await db.prisma.$transaction(async (tx) => {
      const name = await claimFreeName(tx, "segment", names);
      if (name === null) throw allTaken();
      return savedSegment(tx, name, input.filter, input.actor);
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw allTaken();
    throw error;
  }
}

async function savedSegment(tx: Tx, name: string, filter: AudienceFilter, actor: Actor) {
  const segment = await tx.segment.create({
    data: { name, filter: filter as object, createdBy: actor.userId },
    select: { id: true, name: true },
  });
  const entry = { action: "segment.create", segmentId: segment.id, subject: name, after: filter as object };
  await recordAudit(tx, { ...auditActor(actor), ...entry }, actor.at);
  return segment;
}

/** The segment with this name (letter case ignored), or the names the organizer may have meant. */
export async function findSegment(db: Database, name: string): Promise<SegmentLookup> {
  const lookup = await lookupName(db.prisma, "segment", name);
  if (!lookup.found) return lookup;
  const segment = await db.prisma.segment.findUnique({ where: { id: lookup.id }, select: SEGMENT_FIELDS });
  return segment ? { found: true, segment } : { found: false, suggestions: [] };
}

function notFound(name: string, suggestions: readonly string[]): SegmentError {
  const typed = normalizeSegmentName(name);
  const guess = suggestions.length ? ` Did you mean ${suggestions.map((s) => `“${s}”`).join(" or ")}?` : "";
  return new SegmentError(
    "not_found",
    `There is no segment named “${typed}”.${guess} Type /segment list to see them all.`,
    suggestions,
  );
}

async function requireSegment(db: Database, name: string) {
  const lookup = await findSegment(db, name);
  if (!lookup.found) throw notFound(name, lookup.suggestions);
  return lookup.segment;
}

/** Campaign ids named by inCampaign and response conditions anywhere in the filter. */
function campaignIdsIn(filter: AudienceFilter): string[] {
  if ("all" in filter) return filter.all.flatMap(campaignIdsIn);
  if ("any" in filter) return filter.any.flatMap(campaignIdsIn);
  if ("inCampaign" in filter) return [filter.inCampaign];
  return "response" in filter ? [filter.response.campaign] : [];
}

async function campaignNames(db: Database, filters: readonly AudienceFilter[]): Promise<Map<string, string>> {
  const ids = [...new Set(filters.flatMap(campaignIdsIn))];
  if (ids.length === 0) return new Map();
  const rows = await db.prisma.campaign.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
  return new Map(rows.map((c) => [c.id, c.name]));
}

function brokenFilter(name: string, problems: readonly string[]): SegmentError {
  return new SegmentError(
    "broken_filter",
    `The saved filter of “${name}” is no longer valid (${problems.join(" ")}). Delete it with /segment delete ${name} and create it again with /segment new.`,
  );
}

/** Every segment, by name, with its description and campaigns. No counts: see the note at the top. */
export async function listSegments(db: Database): Promise<SegmentSummary[]> {
  const rows = await db.prisma.segment.findMany({ select: SEGMENT_FIELDS });
  const parsed = rows.map((row) => ({ row, result: parseAudienceFilter(row.filter) }));
  const names = await campaignNames(
    db,
    parsed.flatMap(({ result }) => (result.ok ? [result.filter] : [])),
  );
  return parsed
    .map(({ row, result }) => ({
      id: row.id,
      name: row.name,
      description: result.ok
        ? describeAudienceFilter(result.filter, { campaignName: (id) => names.get(id) })
        : `(saved filter no longer valid: ${result.problems.join(" ")})`,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
      campaigns: row.campaigns.map((c) => c.name),
    }))
    .sort((a, b) => segmentNameKey(a.name).localeCompare(segmentNameKey(b.name)));
}

/** One segment with its reachable count, breakdowns by state and time zone, and five sample contacts. */
export async function showSegment(db: Database, name: string): Promise<SegmentDetails> {
  const row = await requireSegment(db, name);
  const parsed = parseAudienceFilter(row.filter);
  if (!parsed.ok) throw brokenFilter(row.name, parsed.problems);
  const filter = parsed.filter;
  // The state breakdown covers every reachable contact (null state is a group), so its sum is the count.
  const [breakdowns, sample, names] = await Promise.all([
    run<AudienceBreakdownRow & { by: AudienceBreakdown }>(db, audienceBreakdownsSql(filter)),
    run<AudienceSampleRow>(db, audienceSampleSql(filter, 5)),
    campaignNames(db, [filter]),
  ]);
  const breakdown = (by: AudienceBreakdown) =>
    breakdowns.filter((r) => r.by === by).map(({ value, contacts }) => ({ value, contacts }));
  const byState = breakdown("state");
  const byTimeZone = breakdown("timeZone");
  return {
    id: row.id,
    name: row.name,
    description: describeAudienceFilter(filter, { campaignName: (id) => names.get(id) }),
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    campaigns: row.campaigns.map((c) => c.name),
    filter,
    reachable: byState.reduce((sum, r) => sum + r.contacts, 0),
    byState,
    byTimeZone,
    sample: sample.map((c) => ({
      name: [c.firstName, c.lastName].filter(Boolean).join(" ") || null,
      maskedPhone: maskPhone(c.phone),
      state: c.state,
      timeZone: c.timeZone,
    })),
  };
}

/**
 * Deletes a segment, by name (letter case ignored) or by id. Refuses while a campaign uses it: the
 * campaign would silently lose its audience.
 */
export async function deleteSegment(
  db: Database,
  ref: string | { id: string },
  actor: Actor,
): Promise<{ id: string; name: string }> {
  await requirePermission(db, actor, "segments.manage", "deleting a segment");
  const segment =
    typeof ref === "string"
      ? await requireSegment(db, ref)
      : isUuid(ref.id)
        ? await db.prisma.segment.findUnique({ where: { id: ref.id }, select: { id: true, name: true } })
        : null;
  if (!segment)
    throw new SegmentError("not_found", "That segment was already deleted. Type /segment list to see the ones left.");
  // One statement, so a campaign that picks this segment meanwhile either blocks the delete or waits for it.
  const count = await db.prisma.$transaction(async (tx) => {
    const { count } = await tx.segment.deleteMany({ where: { id: segment.id, campaigns: { none: {} } } });
    if (count === 1) {
      await recordAudit(
        tx,
        { ...auditActor(actor), action: "segment.delete", segmentId: segment.id, subject: segment.name },
        actor.at,
      );
    }
    return count;
  });
  if (count === 1) return { id: segment.id, name: segment.name };
  const campaigns = await db.prisma.campaign.findMany({
    where: { segmentId: segment.id },
    select: { name: true },
    orderBy: { name: "asc" },
  });
  if (campaigns.length === 0)
    throw new SegmentError(
      "not_found",
      `“${segment.name}” was already deleted. Type /segment list to see the ones left.`,
    );
  throw inUse(
    segment.name,
    campaigns.map((c) => c.name),
  );
}

function inUse(name: string, campaigns: readonly string[]): SegmentError {
  const list = campaigns.map((c) => `“${c}”`).join(", ");
  const one = campaigns.length === 1;
  return new SegmentError(
    "in_use",
    `“${name}” is the audience of ${one ? "campaign" : "campaigns"} ${list}. Give ${one ? "that campaign" : "those campaigns"} another audience first, then delete the segment.`,
  );
}

/** The segment `/segment delete` asks about, or why it cannot be deleted (unknown name, used by a campaign). */
export async function prepareDeletion(
  db: Database,
  name: string,
): Promise<{ id: string; name: string; description: string }> {
  const segment = await requireSegment(db, name);
  if (segment.campaigns.length)
    throw inUse(
      segment.name,
      segment.campaigns.map((c) => c.name),
    );
  const parsed = parseAudienceFilter(segment.filter);
  const names = parsed.ok ? await campaignNames(db, [parsed.filter]) : new Map<string, string>();
  const description = parsed.ok
    ? describeAudienceFilter(parsed.filter, { campaignName: (id) => names.get(id) })
    : "saved filter no longer valid";
  return { id: segment.id, name: segment.name, description };
}

export interface SegmentChoices {
  /** The most used tags, most contacts first (at most `limit`). */
  tags: string[];
  /** More tags exist than `tags` holds: the modal searches them instead of listing them. */
  moreTags: boolean;
  /** Time zones contacts have, most contacts first (at most `limit`). */
  timeZones: string[];
  /** Custom field names (import columns) contacts have, most contacts first (at most `limit`). */
  customFields: string[];
  /** The newest campaigns (at most `limit`). */
  campaigns: { id: string; name: string }[];
}

/**
 * What the segment form offers in its menus: existing tags, time zones and custom fields present,
 * campaigns. Tags, zones and fields come from ContactChoice, which triggers on Contact keep
 * counted (migration contact_choices), so opening the form reads a small table, not every contact.
 */
export async function segmentChoices(db: Database, limit = 100): Promise<SegmentChoices> {
  const [tags, zones, fields, campaigns] = await Promise.all([
    db.prisma.$queryRawUnsafe<{ tag: string }[]>(
      `SELECT value AS tag FROM "ContactChoice" WHERE kind = 'tag' AND contacts > 0 ORDER BY contacts DESC, value LIMIT $1::int`,
      limit + 1,
    ),
    db.prisma.$queryRawUnsafe<{ zone: string }[]>(
      `SELECT value AS zone FROM "ContactChoice" WHERE kind = 'zone' AND contacts > 0 ORDER BY contacts DESC, value LIMIT $1::int`,
      limit,
    ),
    customFieldNames(db, limit),
    db.prisma.campaign.findMany({ select: { id: true, name: true }, orderBy: { createdAt: "desc" }, take: limit }),
  ]);
  return {
    tags: tags.slice(0, limit).map((r) => r.tag),
    moreTags: tags.length > limit,
    timeZones: zones.map((r) => r.zone),
    customFields: fields,
    campaigns,
  };
}

/** Custom field names (import columns) contacts have, most contacts first. */
export async function customFieldNames(db: Database, limit = 100): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ field: string }[]>(
    `SELECT value AS field FROM "ContactChoice" WHERE kind = 'field' AND contacts > 0 ORDER BY contacts DESC, value LIMIT $1::int`,
    limit,
  );
  return rows.map((r) => r.field);
}

/** Tags containing `query` (letter case ignored), most used first, for a searchable tag menu. */
export async function searchTags(db: Database, query: string, limit = 100): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ tag: string }[]>(
    `SELECT value AS tag FROM "ContactChoice" WHERE kind = 'tag' AND contacts > 0 AND strpos(value, lower($1::text)) > 0 ORDER BY contacts DESC, value LIMIT $2::int`,
    query.trim(),
    limit,
  );
  return rows.map((r) => r.tag);
}
