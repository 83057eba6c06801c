import type { Database } from "../db/database";
import type { Prisma } from "../db/generated/client";
import {
  compileReachableAudience,
  describeAudienceFilter,
  parseAudienceFilter,
  type AudienceFilter,
} from "../domain/audience-filter";
import {
  presetOf,
  SEND_WINDOW_PRESETS,
  VARIANT_LABELS,
  type CampaignDraft,
  type CampaignForm,
  type GoalType,
} from "../domain/campaign-form";
import { nameKey, normalizeName } from "../domain/display-name";
import { maskPhone } from "../domain/phone";
import { contactMergeValues, mergeFieldKey, mergeFieldsFor, parseScript, renderScript } from "../domain/script";
import { lintScript, type LintFinding } from "../domain/script-lint";
import {
  applyGsmReplacements,
  estimateCost,
  measureSms,
  suggestGsmReplacements,
  type SmsMeasure,
} from "../domain/sms-length";
import { suggestNames } from "../domain/suggest";
import { customFieldNames } from "./segments";
import { loadMergeContacts, STANDARD_FIELD_PRESENCE, type MergeContactRow } from "./merge-contacts";
import { usableValueSql } from "../domain/merge-values";
import { UserError } from "../domain/user-error";

/**
 * Campaigns: a goal, scripts, an audience and the rules they send under. A campaign is created as
 * a draft, launched once every check passes (its audience is then fixed: the segment's reachable
 * contacts at that moment, each given an A/B variant), and paused, resumed or archived after.
 */

export type CampaignStatus = "draft" | "running" | "paused" | "archived";
export type CampaignErrorReason = "name_taken" | "not_found" | "wrong_status" | "segment_missing" | "fix_gone";

/** A problem an organizer can act on; `message` says what to do. */
export class CampaignError extends UserError {
  override name = "CampaignError";
  constructor(
    readonly reason: CampaignErrorReason,
    message: string,
    readonly suggestions: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Serializes campaign creation and renames, so two names differing only in letter case cannot both get in. */
const CAMPAIGN_NAME_LOCK = 0x70327063616d7000n; // "p2pcamp"
const LAUNCH_TIMEOUT_MS = 10 * 60_000;
const PREVIEW_CONTACTS = 3;
const ESTIMATE_SAMPLE = 100;

const CAMPAIGN_FIELDS = {
  id: true,
  name: true,
  status: true,
  goalType: true,
  goalTarget: true,
  goalOutcomeTag: true,
  callToAction: true,
  senderIdentity: true,
  helpText: true,
  conversationChannelId: true,
  quietHoursPolicy: true,
  frequencyCapCount: true,
  frequencyCapDays: true,
  mediaUrls: true,
  createdBy: true,
  createdAt: true,
  segment: { select: { id: true, name: true, filter: true } },
  scripts: {
    select: { id: true, kind: true, label: true, body: true, position: true },
    orderBy: [{ kind: "asc" as const }, { position: "asc" as const }],
  },
} satisfies Prisma.CampaignSelect;

export interface CampaignRecord {
  id: string;
  name: string;
  status: CampaignStatus;
  goalType: GoalType;
  goalTarget: number | null;
  goalOutcomeTag: string | null;
  callToAction: string | null;
  senderIdentity: string | null;
  helpText: string | null;
  conversationChannelId: string | null;
  quietHoursPolicy: unknown;
  frequencyCapCount: number;
  frequencyCapDays: number;
  mediaUrls: string[];
  createdBy: string;
  createdAt: Date;
  segment: { id: string; name: string; filter: unknown } | null;
  scripts: { id: string; kind: "initial" | "follow_up"; label: string; body: string; position: number }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---- names -------------------------------------------------------------------------------------

/** The campaign with this name (letter case ignored), or the names the organizer may have meant. */
export async function findCampaign(
  db: Database,
  name: string,
): Promise<{ found: true; campaign: CampaignRecord } | { found: false; suggestions: string[] }> {
  const typed = normalizeName(name);
  const matches = typed
    ? await db.prisma.campaign.findMany({
        where: { name: { equals: typed, mode: "insensitive" } },
        select: CAMPAIGN_FIELDS,
      })
    : [];
  const exact = matches.length === 1 ? matches[0] : matches.find((c) => c.name === typed);
  if (exact) return { found: true, campaign: exact };
  const names = (
    await db.prisma.campaign.findMany({ select: { name: true }, where: { status: { not: "archived" } } })
  ).map((c) => c.name);
  // "gotv" is ambiguous between "GOTV Nov 3" and "GOTV early vote": offer every name containing it first.
  const containing = names.filter((n) => typed && nameKey(n).includes(nameKey(typed)));
  const suggestions = [...new Set([...containing, ...suggestNames(typed, names)])].slice(0, 5);
  return { found: false, suggestions };
}

export async function requireCampaign(db: Database, name: string): Promise<CampaignRecord> {
  const lookup = await findCampaign(db, name);
  if (lookup.found) return lookup.campaign;
  const typed = normalizeName(name);
  const guess = lookup.suggestions.length
    ? ` Did you mean ${lookup.suggestions.map((s) => `“${s}”`).join(" or ")}?`
    : "";
  throw new CampaignError(
    "not_found",
    `There is no campaign named “${typed}”.${guess} Type /campaign list to see them all.`,
    lookup.suggestions,
  );
}

export async function campaignById(db: Database, id: string): Promise<CampaignRecord | null> {
  if (!UUID.test(id)) return null;
  return db.prisma.campaign.findUnique({ where: { id }, select: CAMPAIGN_FIELDS });
}

/** Whether another campaign already has this name, ignoring letter case. */
export async function campaignNameTaken(db: Database, name: string, exceptId?: string): Promise<boolean> {
  const normalized = normalizeName(name);
  if (!normalized) return false;
  const where = {
    name: { equals: normalized, mode: "insensitive" as const },
    ...(exceptId ? { id: { not: exceptId } } : {}),
  };
  return (await db.prisma.campaign.count({ where })) > 0;
}

const nameTaken = (name: string) =>
  new CampaignError(
    "name_taken",
    `A campaign named “${name}” already exists. Pick another name (campaign names are unique, ignoring capitals).`,
  );

/** What the campaign form offers: the newest segments and the contacts' custom fields. */
export async function campaignFormChoices(
  db: Database,
): Promise<{ segments: { id: string; name: string }[]; customFields: string[] }> {
  const [segments, customFields] = await Promise.all([
    db.prisma.segment.findMany({ select: { id: true, name: true }, orderBy: { createdAt: "desc" }, take: 100 }),
    customFieldNames(db, 200),
  ]);
  return { segments, customFields };
}

// ---- create and edit ---------------------------------------------------------------------------

function campaignData(draft: CampaignDraft) {
  return {
    name: draft.name,
    goalType: draft.goalType,
    goalTarget: draft.goalTarget,
    goalOutcomeTag: draft.goalOutcomeTag,
    callToAction: draft.callToAction,
    senderIdentity: draft.senderIdentity,
    helpText: draft.helpText,
    conversationChannelId: draft.conversationChannelId,
    quietHoursPolicy: SEND_WINDOW_PRESETS[draft.sendWindow].policy as object,
    frequencyCapCount: draft.frequencyCap.count,
    frequencyCapDays: draft.frequencyCap.days,
    segmentId: draft.segmentId,
    mediaUrls: draft.mediaUrls,
  };
}

const scriptRows = (draft: CampaignDraft) => [
  ...draft.scripts.map((s, position) => ({ kind: "initial" as const, label: s.label, body: s.body, position })),
  ...draft.followUps.map((s, position) => ({ kind: "follow_up" as const, label: s.label, body: s.body, position })),
];

type Tx = Parameters<Parameters<Database["prisma"]["$transaction"]>[0]>[0];

async function lockNames(tx: Tx, name: string, exceptId?: string): Promise<void> {
  await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock($1::bigint)", CAMPAIGN_NAME_LOCK.toString());
  const clash = await tx.campaign.findFirst({
    where: { name: { equals: name, mode: "insensitive" }, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { id: true },
  });
  if (clash) throw nameTaken(name);
}

async function requireSegmentRow(tx: Tx, segmentId: string): Promise<void> {
  const segment = UUID.test(segmentId)
    ? await tx.segment.findUnique({ where: { id: segmentId }, select: { id: true } })
    : null;
  if (!segment)
    throw new CampaignError(
      "segment_missing",
      "That segment was deleted meanwhile. Pick another one, or create it again with /segment new.",
    );
}

/** Saves a new draft campaign with its scripts. Throws CampaignError (name_taken, segment_missing). */
export async function createCampaign(
  db: Database,
  draft: CampaignDraft,
  createdBy: string,
): Promise<{ id: string; name: string }> {
  try {
    return await db.prisma.$transaction(async (tx) => {
      await lockNames(tx, draft.name);
      await requireSegmentRow(tx, draft.segmentId);
      return tx.campaign.create({
        data: { ...campaignData(draft), createdBy, scripts: { create: scriptRows(draft) } },
        select: { id: true, name: true },
      });
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw nameTaken(draft.name);
    throw error;
  }
}

/**
 * Saves an edited draft or paused campaign. Scripts are matched by label: an edited variant keeps
 * its contacts; a removed one lets its contacts be given another variant when they are sent to.
 * A running campaign must be paused first, so volunteers never send a text that changes under them.
 */
export async function updateCampaign(
  db: Database,
  id: string,
  draft: CampaignDraft,
): Promise<{ id: string; name: string }> {
  try {
    return await db.prisma.$transaction(async (tx) => {
      const current = await tx.campaign.findUnique({ where: { id }, select: { status: true, name: true } });
      if (!current)
        throw new CampaignError(
          "not_found",
          "That campaign no longer exists. Type /campaign list to see the ones there are.",
        );
      if (current.status === "running") {
        throw new CampaignError(
          "wrong_status",
          `“${current.name}” is running. Pause it first with /campaign pause ${current.name}, edit it, then resume it.`,
        );
      }
      if (current.status === "archived")
        throw new CampaignError("wrong_status", `“${current.name}” is archived and cannot be edited.`);
      await lockNames(tx, draft.name, id);
      await requireSegmentRow(tx, draft.segmentId);
      const rows = scriptRows(draft);
      await tx.scriptVariant.deleteMany({
        where: { campaignId: id, NOT: rows.map((r) => ({ kind: r.kind, label: r.label })) },
      });
      for (const row of rows) {
        await tx.scriptVariant.upsert({
          where: { campaignId_kind_label: { campaignId: id, kind: row.kind, label: row.label } },
          create: { ...row, campaignId: id },
          update: { body: row.body, position: row.position },
        });
      }
      return tx.campaign.update({ where: { id }, data: campaignData(draft), select: { id: true, name: true } });
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw nameTaken(draft.name);
    throw error;
  }
}

/** The form as the campaign was saved, for `/campaign edit`. */
export function formOfCampaign(c: CampaignRecord): CampaignForm {
  const initial = c.scripts.filter((s) => s.kind === "initial");
  const followUps = c.scripts.filter((s) => s.kind === "follow_up");
  return {
    name: c.name,
    goalType: c.goalType,
    goalTarget: c.goalTarget === null ? "" : String(c.goalTarget),
    goalOutcomeTag: c.goalOutcomeTag ?? "",
    callToAction: c.callToAction ?? "",
    senderIdentity: c.senderIdentity ?? "",
    scripts: VARIANT_LABELS.map((label) => initial.find((s) => s.label === label)?.body ?? ""),
    followUps: [0, 1].map((i) => followUps[i]?.body ?? ""),
    channelId: c.conversationChannelId,
    sendWindow: presetOf(c.quietHoursPolicy),
    capCount: String(c.frequencyCapCount),
    capDays: String(c.frequencyCapDays),
    segmentId: c.segment?.id ?? null,
    helpText: c.helpText ?? "",
    mediaUrls: c.mediaUrls.join("\n"),
    addMissing: false,
  };
}

// ---- list ---------------------------------------------------------------------------------------

export interface CampaignSummary extends Pick<
  CampaignRecord,
  "id" | "name" | "status" | "goalType" | "goalTarget" | "goalOutcomeTag" | "createdBy" | "createdAt"
> {
  segmentName: string | null;
  /** Contacts in the send queue, and how many were texted. Zero before launch. */
  audience: number;
  sent: number;
}

/** Every campaign not archived (archived ones with `includeArchived`), running ones first, then by name. */
export async function listCampaigns(
  db: Database,
  opts: { includeArchived?: boolean } = {},
): Promise<CampaignSummary[]> {
  const rows = await db.prisma.campaign.findMany({
    where: opts.includeArchived ? {} : { status: { not: "archived" } },
    select: {
      id: true,
      name: true,
      status: true,
      goalType: true,
      goalTarget: true,
      goalOutcomeTag: true,
      createdBy: true,
      createdAt: true,
      segment: { select: { name: true } },
    },
  });
  const counts = await db.prisma.campaignContact.groupBy({
    by: ["campaignId", "status"],
    _count: { _all: true },
    where: { campaignId: { in: rows.map((r) => r.id) } },
  });
  const order: Record<CampaignStatus, number> = { running: 0, paused: 1, draft: 2, archived: 3 };
  return rows
    .map((r) => {
      const mine = counts.filter((c) => c.campaignId === r.id);
      return {
        id: r.id,
        name: r.name,
        status: r.status,
        goalType: r.goalType,
        goalTarget: r.goalTarget,
        goalOutcomeTag: r.goalOutcomeTag,
        segmentName: r.segment?.name ?? null,
        createdBy: r.createdBy,
        createdAt: r.createdAt,
        audience: mine.reduce((sum, c) => sum + c._count._all, 0),
        sent: mine.filter((c) => c.status === "sent").reduce((sum, c) => sum + c._count._all, 0),
      };
    })
    .sort((a, b) => order[a.status] - order[b.status] || nameKey(a.name).localeCompare(nameKey(b.name)));
}

// ---- report: audience, previews, estimates, readiness -----------------------------------------

export interface ScriptPreview {
  contactName: string;
  maskedPhone: string;
  /** The text this contact would get; null when a field without fallback is missing (held back). */
  text: string | null;
  missing: string[];
  sms: SmsMeasure | null;
}

export interface VariantReport {
  id: string;
  label: string;
  kind: "initial" | "follow_up";
  body: string;
  previews: ScriptPreview[];
  /** The script itself measured (merge fields as written). */
  sms: SmsMeasure;
  /** Characters forcing UCS-2 that have GSM look-alikes (smart quotes, dashes, ellipses). */
  replaceable: string[];
  /** Mean segments over a sample of the audience, and the estimates for this variant's share. */
  averageSegments: number | null;
  contacts: number;
  estimatedSegments: number;
  estimatedCostUsd: number;
}

/** Something to fix or know before launch; `fix` is a one-click rewrite of one script. */
export interface ReadinessFinding {
  severity: "error" | "warning";
  about: string;
  message: string;
  fix?: { label: string; scriptId: string; code: string };
}

export interface CampaignProgress {
  queued: number;
  sent: number;
  skipped: number;
  deferred: number;
  replies: number;
  /** Conversations tagged with the goal's outcome. */
  outcomes: number;
}

export interface CampaignReport {
  campaign: CampaignRecord;
  audience: { reachable: number; description: string } | null;
  variants: VariantReport[];
  findings: ReadinessFinding[];
  progress: CampaignProgress;
  pricePerSegmentUsd: number;
}

function audienceFilterOf(c: CampaignRecord): AudienceFilter | null {
  if (!c.segment) return null;
  const parsed = parseAudienceFilter(c.segment.filter);
  return parsed.ok ? parsed.filter : null;
}

/** Custom columns of every contact: a field some other contacts have is "missing here", not unknown. */
const customColumns = (db: Database): Promise<string[]> => customFieldNames(db, 200);

/** How many reachable contacts have each field the scripts use without a fallback. */
async function fieldCoverage(
  db: Database,
  filter: AudienceFilter,
  scripts: readonly string[],
  columns: readonly string[],
): Promise<{ reachable: number; coverage: Record<string, number> }> {
  const { where, params } = compileReachableAudience(filter);
  const used = new Map<string, string>();
  for (const body of scripts) {
    for (const part of parseScript(body).parts)
      if (part.kind === "field" && part.fallback === null) used.set(part.key, part.name);
  }
  const args = [...params];
  const probes: { name: string; sql: string }[] = [];
  for (const [key, name] of used) {
    const standard = STANDARD_FIELD_PRESENCE[key];
    const matching = columns.filter((column) => mergeFieldKey(column) === key);
    const custom = matching.map((column) => {
      args.push(column);
      return usableValueSql(`c."customFields" ->> $${args.length}::text`);
    });
    const sql = standard ?? (custom.length ? custom.join(" OR ") : null);
    if (sql) probes.push({ name, sql });
  }
  const counts = probes.map((p, i) => `count(*) FILTER (WHERE ${p.sql})::int AS "f${i}"`);
  const [row] = await db.prisma.$queryRawUnsafe<Record<string, number>[]>(
    `SELECT count(*)::int AS "reachable"${counts.map((c) => `, ${c}`).join("")} FROM "Contact" c WHERE ${where}`,
    ...args,
  );
  return {
    reachable: row?.reachable ?? 0,
    coverage: Object.fromEntries(probes.map((p, i) => [p.name, row?.[`f${i}`] ?? 0])),
  };
}

async function sampleContacts(db: Database, filter: AudienceFilter, size: number): Promise<MergeContactRow[]> {
  const { where, params } = compileReachableAudience(filter);
  const ids = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
    `SELECT c.id FROM "Contact" c WHERE ${where} LIMIT $${params.length + 1}::int`,
    ...params,
    size,
  );
  return loadMergeContacts(
    db.prisma,
    ids.map((r) => r.id),
  );
}

function previewOf(body: string, contact: MergeContactRow): ScriptPreview {
  const rendered = renderScript(body, contactMergeValues(contact, { timeZone: contact.timeZone ?? undefined }));
  const ok = rendered.missing.length === 0;
  return {
    contactName: [contact.firstName, contact.lastName].filter(Boolean).join(" ") || "(no name)",
    maskedPhone: maskPhone(contact.phone),
    text: ok ? rendered.text : null,
    missing: rendered.missing,
    sms: ok ? measureSms(rendered.text) : null,
  };
}

function findingsOf(about: string, scriptId: string, findings: LintFinding[]): ReadinessFinding[] {
  return findings.map((f) => ({
    severity: f.severity,
    about,
    message: f.message,
    ...(f.fix ? { fix: { label: f.fix.label, scriptId, code: f.code } } : {}),
  }));
}

function lintContextFor(
  c: CampaignRecord,
  columns: readonly string[],
  coverage?: { reachable: number; coverage: Record<string, number> },
) {
  return {
    knownFields: mergeFieldsFor(columns),
    callToAction: c.callToAction,
    senderIdentity: c.senderIdentity,
    ...(coverage ? { fieldCoverage: coverage.coverage, audienceSize: coverage.reachable } : {}),
  };
}

/**
 * Everything an organizer needs to judge a campaign: the audience, each variant rendered for three
 * real contacts, segments and cost, what blocks a launch, and progress toward the goal.
 */
export async function campaignReport(
  db: Database,
  campaign: CampaignRecord,
  pricing: { pricePerSegmentUsd: number },
): Promise<CampaignReport> {
  const filter = audienceFilterOf(campaign);
  const [columns, progress] = await Promise.all([customColumns(db), campaignProgress(db, campaign)]);
  const coverage = filter
    ? await fieldCoverage(
        db,
        filter,
        campaign.scripts.map((s) => s.body),
        columns,
      )
    : undefined;
  const sample = filter ? await sampleContacts(db, filter, ESTIMATE_SAMPLE) : [];
  const ctx = lintContextFor(campaign, columns, coverage);
  const initial = campaign.scripts.filter((s) => s.kind === "initial");
  const reachable = coverage?.reachable ?? 0;

  const variants = campaign.scripts.map((script): VariantReport => {
    const rendered = sample.map((contact) => previewOf(script.body, contact));
    const measured = rendered.flatMap((p) => (p.sms ? [p.sms.segments] : []));
    const averageSegments = measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : null;
    const index = initial.findIndex((s) => s.id === script.id);
    // Variants split the audience evenly at launch; the first ones take the remainder.
    const share =
      script.kind === "initial"
        ? Math.floor(reachable / initial.length) + (index < reachable % initial.length ? 1 : 0)
        : 0;
    const estimatedSegments = Math.round((averageSegments ?? measureSms(script.body).segments) * share);
    const sms = measureSms(script.body);
    return {
      id: script.id,
      label: script.label,
      kind: script.kind,
      body: script.body,
      previews: rendered.slice(0, PREVIEW_CONTACTS),
      sms,
      replaceable: [...new Set(suggestGsmReplacements(script.body).map((r) => r.from))],
      averageSegments,
      contacts: share,
      estimatedSegments,
      estimatedCostUsd: estimateCost(estimatedSegments, pricing.pricePerSegmentUsd),
    };
  });

  const findings: ReadinessFinding[] = [];
  if (!campaign.segment)
    findings.push({
      severity: "error",
      about: "Audience",
      message: "Pick an audience: /campaign edit, then choose a segment.",
    });
  else if (!filter)
    findings.push({
      severity: "error",
      about: "Audience",
      message: `The filter of segment “${campaign.segment.name}” is no longer valid. Pick another segment with /campaign edit.`,
    });
  else if (reachable === 0)
    findings.push({
      severity: "error",
      about: "Audience",
      message: `Segment “${campaign.segment.name}” has no reachable contact. Import contacts or pick another segment.`,
    });
  if (!campaign.conversationChannelId)
    findings.push({
      severity: "error",
      about: "Replies",
      message: "Pick the channel where replies appear: /campaign edit.",
    });
  if (initial.length === 0)
    findings.push({ severity: "error", about: "Script", message: "Write at least one first message: /campaign edit." });
  for (const script of campaign.scripts) {
    const about = script.kind === "initial" ? `Script ${script.label}` : script.label;
    findings.push(...findingsOf(about, script.id, lintScript(script.body, { ...ctx, kind: script.kind })));
  }
  for (const v of variants) {
    if (v.sms.encoding !== "UCS-2") continue;
    const about = v.kind === "initial" ? `Script ${v.label}` : v.label;
    const fixable = v.replaceable.length > 0 && measureSms(applyGsmReplacements(v.body)).encoding === "GSM-7";
    findings.push({
      severity: "warning",
      about,
      message: `${v.sms.nonGsmCharacters.join(" ")} ${v.sms.nonGsmCharacters.length === 1 ? "makes" : "make"} this a UCS-2 text: 70 characters a segment instead of 160, so it costs more.`,
      ...(fixable ? { fix: { label: "Use plain quotes and dashes", scriptId: v.id, code: "gsm-replacements" } } : {}),
    });
  }
  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  return {
    campaign,
    audience: filter ? { reachable, description: describeAudienceFilter(filter) } : null,
    variants,
    findings,
    progress,
    pricePerSegmentUsd: pricing.pricePerSegmentUsd,
  };
}

async function campaignProgress(db: Database, c: CampaignRecord): Promise<CampaignProgress> {
  const [byStatus, replies, outcomes] = await Promise.all([
    db.prisma.campaignContact.groupBy({ by: ["status"], _count: { _all: true }, where: { campaignId: c.id } }),
    db.prisma.conversation.count({ where: { campaignId: c.id, messages: { some: { direction: "inbound" } } } }),
    c.goalOutcomeTag
      ? db.prisma.conversation.count({ where: { campaignId: c.id, tags: { has: c.goalOutcomeTag } } })
      : Promise.resolve(0),
  ]);
  const count = (status: string) => byStatus.find((s) => s.status === status)?._count._all ?? 0;
  return {
    queued: count("pending") + count("assigned"),
    sent: count("sent"),
    skipped: count("skipped"),
    deferred: count("deferred"),
    replies,
    outcomes,
  };
}

// ---- fixes --------------------------------------------------------------------------------------

/** Applies one offered fix (`ReadinessFinding.fix`) to a script of a draft or paused campaign. */
export async function applyScriptFix(db: Database, ref: { scriptId: string; code: string }): Promise<CampaignRecord> {
  const script = UUID.test(ref.scriptId)
    ? await db.prisma.scriptVariant.findUnique({
        where: { id: ref.scriptId },
        select: { id: true, campaignId: true, body: true, kind: true },
      })
    : null;
  const campaign = script ? await campaignById(db, script.campaignId) : null;
  if (!script || !campaign)
    throw new CampaignError(
      "fix_gone",
      "That script was changed or removed meanwhile. Type /campaign show to see it as it is now.",
    );
  if (campaign.status === "running" || campaign.status === "archived") {
    throw new CampaignError(
      "wrong_status",
      `“${campaign.name}” is ${campaign.status}; ${campaign.status === "running" ? `pause it first with /campaign pause ${campaign.name}` : "it cannot change"}.`,
    );
  }
  let fixed: string | undefined;
  if (ref.code === "gsm-replacements") {
    fixed = applyGsmReplacements(script.body);
  } else {
    const filter = audienceFilterOf(campaign);
    const columns = await customColumns(db);
    const coverage = filter ? await fieldCoverage(db, filter, [script.body], columns) : undefined;
    const finding = lintScript(script.body, { ...lintContextFor(campaign, columns, coverage), kind: script.kind }).find(
      (f) => f.code === ref.code && f.fix,
    );
    fixed = finding?.fix?.text;
  }
  if (fixed === undefined || fixed === script.body)
    throw new CampaignError(
      "fix_gone",
      "That problem is already fixed. Type /campaign show to see the script as it is now.",
    );
  // Only if nobody changed the script since the fix was offered.
  const { count } = await db.prisma.scriptVariant.updateMany({
    where: { id: script.id, body: script.body },
    data: { body: fixed },
  });
  if (count === 0)
    throw new CampaignError(
      "fix_gone",
      "That script was changed meanwhile. Type /campaign show to see it as it is now.",
    );
  return (await campaignById(db, campaign.id))!;
}

// ---- launch and status -------------------------------------------------------------------------

// A UUIDv7 made in SQL (millisecond time, then random bits), like the ids Prisma makes (uuid(7)).
const UUID_V7_SQL = `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`;

export type LaunchResult =
  | { launched: false; report: CampaignReport }
  | { launched: true; campaign: CampaignRecord; queued: number; report: CampaignReport };

/**
 * Launches a draft when nothing blocks it: its audience is fixed (reachable contacts of the
 * segment now, opted-out numbers excluded) and split evenly across the A/B variants, in the same
 * transaction that marks it running. Nothing is sent: volunteers send each text with `/campaign send`.
 */
export async function launchCampaign(
  db: Database,
  found: CampaignRecord,
  pricing: { pricePerSegmentUsd: number },
): Promise<LaunchResult> {
  // Read again: a button pressed on an old summary must see the campaign as it is now.
  const campaign = await campaignById(db, found.id);
  if (!campaign)
    throw new CampaignError(
      "not_found",
      `“${found.name}” no longer exists. Type /campaign list to see the campaigns there are.`,
    );
  if (campaign.status !== "draft") throw wrongStatusForLaunch(campaign);
  const report = await campaignReport(db, campaign, pricing);
  if (report.findings.some((f) => f.severity === "error")) return { launched: false, report };
  const filter = audienceFilterOf(campaign)!;
  const variantIds = campaign.scripts.filter((s) => s.kind === "initial").map((s) => s.id);
  const { where, params } = compileReachableAudience(filter, { paramOffset: 3 });
  const queued = await db.prisma.$transaction(
    async (tx) => {
      const marked = await tx.campaign.updateMany({
        where: { id: campaign.id, status: "draft" },
        data: { status: "running" },
      });
      if (marked.count === 0) {
        const now = await tx.campaign.findUnique({ where: { id: campaign.id }, select: { status: true } });
        throw wrongStatusForLaunch({ ...campaign, status: now?.status ?? campaign.status });
      }
      return tx.$executeRawUnsafe(
        `INSERT INTO "CampaignContact" (id, "campaignId", "contactId", "variantId", status, "updatedAt")
         SELECT ${UUID_V7_SQL}, $1::uuid, a.id, (string_to_array($2::text, ',')::uuid[])[1 + ((a.n - 1) % $3::int)], 'pending', now()
         FROM (SELECT c.id, row_number() OVER (ORDER BY md5(c.id::text || $1::text)) AS n FROM "Contact" c WHERE ${where}) a
         ON CONFLICT ("campaignId", "contactId") DO NOTHING`,
        campaign.id,
        variantIds.join(","),
        variantIds.length,
        ...params,
      );
    },
    { timeout: LAUNCH_TIMEOUT_MS, maxWait: 10_000 },
  );
  return { launched: true, campaign: { ...campaign, status: "running" }, queued, report };
}

function wrongStatusForLaunch(c: CampaignRecord): CampaignError {
  const hint: Record<CampaignStatus, string> = {
    draft: "",
    running: "It is already running: volunteers send with /campaign send.",
    paused: `It was launched and is paused: /campaign resume ${c.name} to send again.`,
    archived: "It is archived. Create a new campaign to text this audience again.",
  };
  return new CampaignError("wrong_status", `“${c.name}” cannot be launched. ${hint[c.status]}`);
}

export type StatusChange = "pause" | "resume" | "archive";

const TRANSITIONS: Record<StatusChange, { from: CampaignStatus[]; to: CampaignStatus }> = {
  pause: { from: ["running"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  archive: { from: ["draft", "running", "paused"], to: "archived" },
};

/** Pauses, resumes or archives; a pause takes effect at the next click (every send checks the status). */
export async function changeCampaignStatus(db: Database, name: string, change: StatusChange): Promise<CampaignRecord> {
  const campaign = await requireCampaign(db, name);
  const { from, to } = TRANSITIONS[change];
  if (!from.includes(campaign.status)) throw wrongStatusFor(change, campaign);
  const { count } = await db.prisma.campaign.updateMany({
    where: { id: campaign.id, status: { in: from } },
    data: { status: to },
  });
  if (count === 0) throw wrongStatusFor(change, (await campaignById(db, campaign.id)) ?? campaign);
  return { ...campaign, status: to };
}

function wrongStatusFor(change: StatusChange, c: CampaignRecord): CampaignError {
  const why: Record<CampaignStatus, string> = {
    draft: `It is a draft that was never launched: /campaign launch ${c.name} checks it and starts it.`,
    running: "It is already running.",
    paused: change === "pause" ? "It is already paused." : "",
    archived: "It is archived, which is final.",
  };
  return new CampaignError(
    "wrong_status",
    `“${c.name}” cannot be ${change === "pause" ? "paused" : change === "resume" ? "resumed" : "archived"}. ${why[c.status]}`.trim(),
  );
}
