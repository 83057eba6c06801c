import type { Database } from "../db/database";
import { describeAudienceFilter, type AudienceFilter } from "../domain/audience-filter";
import { compileReachableAudience } from "../domain/audience-sql";
import { readinessFindings, replaceableCharacters, type ReadinessFinding } from "../domain/campaign-readiness";
import { usableValueSql } from "../domain/merge-values";
import type { GoalProgress } from "../domain/goal-progress";
import { maskPhone } from "../domain/phone";
import { contactMergeValues, mergeFieldKey, mergeFieldsFor, parseScript, renderScript } from "../domain/script";
import { previewShortLinks } from "../domain/short-links";
import { estimateCost, measureSms, type SmsMeasure } from "../domain/sms-length";

/** Twilio's US list price for one MMS, when no MMS_PRICE_USD is given. */
export const DEFAULT_MMS_PRICE_USD = 0.02;
import { audienceFilterOf, type CampaignRecord } from "./campaigns";
import { capExposure, type CapExposure } from "./frequency-warnings";
import { loadMergeContacts, STANDARD_FIELD_PRESENCE, type MergeContactRow } from "./merge-contacts";
import { goalProgressFor } from "./goal-progress";
import { heavyRead } from "./heavy-reads";
import { customFieldNames } from "./segments";

/*
 * A campaign's report: the audience, each variant rendered for three real contacts, segments and
 * cost, what blocks a launch (src/domain/campaign-readiness.ts), and progress toward the goal.
 */

export type { ReadinessFinding } from "../domain/campaign-readiness";

const PREVIEW_CONTACTS = 3;
const ESTIMATE_SAMPLE = 100;

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
  /** The texts carry media: priced per message (MMS), not per segment. */
  mms: boolean;
}

export interface CampaignProgress {
  queued: number;
  sent: number;
  skipped: number;
  deferred: number;
  replies: number;
  /** Conversations tagged with the goal's outcome, against the target (src/services/goal-progress.ts). */
  goal: GoalProgress;
}

export interface CampaignReport {
  campaign: CampaignRecord;
  audience: { reachable: number; description: string } | null;
  variants: VariantReport[];
  findings: ReadinessFinding[];
  progress: CampaignProgress;
  /** The audience against the frequency cap (null when the audience cannot be read). */
  capExposure: CapExposure | null;
  pricePerSegmentUsd: number;
  pricePerMmsUsd: number;
  /** The organization's time zone, for the times the report shows. */
  timeZone: string;
}

/** What a report is priced and timed with: the app's segment price, its one clock, the organization's time zone. */
export interface ReportOptions {
  pricePerSegmentUsd: number;
  /** Per picture message; a campaign with media is priced per text, not per segment (default 0.02). */
  pricePerMmsUsd?: number;
  now: Date;
  timeZone: string;
  /** PUBLIC_URL: previews show links in the short form voters get, and count segments with it. */
  publicUrl?: string;
}

/** Custom columns of every contact: a field some other contacts have is "missing here", not unknown. */
export const customColumns = (db: Database): Promise<string[]> => customFieldNames(db, 200);

/** How many reachable contacts have each field the scripts use without a fallback. */
export async function fieldCoverage(
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

function previewOf(body: string, contact: MergeContactRow, publicUrl?: string): ScriptPreview {
  const rendered = renderScript(body, contactMergeValues(contact, { timeZone: contact.timeZone ?? undefined }));
  if (publicUrl) rendered.text = previewShortLinks(rendered.text, publicUrl);
  const ok = rendered.missing.length === 0;
  return {
    contactName: [contact.firstName, contact.lastName].filter(Boolean).join(" ") || "(no name)",
    maskedPhone: maskPhone(contact.phone),
    text: ok ? rendered.text : null,
    missing: rendered.missing,
    sms: ok ? measureSms(rendered.text) : null,
  };
}

export function lintContextFor(
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
  pricing: ReportOptions,
): Promise<CampaignReport> {
  return heavyRead(
    "Preparing this campaign's report",
    "Try again in a few minutes; if it keeps happening, give the campaign a simpler segment.",
    // Every read of the report (all of them read-only) runs on the heavy-read connections.
    () => buildReport({ ...db, prisma: db.heavyReads }, campaign, pricing),
  );
}

async function buildReport(db: Database, campaign: CampaignRecord, pricing: ReportOptions): Promise<CampaignReport> {
  const filter = audienceFilterOf(campaign);
  const [columns, progress, exposure] = await Promise.all([
    customColumns(db),
    campaignProgress(db, campaign),
    capExposure(db, campaign, pricing.now),
  ]);
  const bodies = campaign.scripts.map((s) => s.body);
  const coverage = filter ? await fieldCoverage(db, filter, bodies, columns) : undefined;
  const sample = filter ? await sampleContacts(db, filter, ESTIMATE_SAMPLE) : [];
  const initial = campaign.scripts.filter((s) => s.kind === "initial");
  const reachable = coverage?.reachable ?? 0;

  const hasMedia = campaign.mediaUrls.length + campaign.mediaFileIds.length > 0;
  const variants = campaign.scripts.map((script): VariantReport => {
    // Priced as the send path sends it (card-rows.ts): a "text only" first message goes as SMS.
    const mms = hasMedia && !(script.kind === "initial" && script.textOnly);
    const rendered = sample.map((contact) => previewOf(script.body, contact, pricing.publicUrl));
    const measured = rendered.flatMap((p) => (p.sms ? [p.sms.segments] : []));
    const averageSegments = measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : null;
    const index = initial.findIndex((s) => s.id === script.id);
    // Variants split the audience evenly at launch; the first ones take the remainder.
    const share =
      script.kind === "initial"
        ? Math.floor(reachable / initial.length) + (index < reachable % initial.length ? 1 : 0)
        : 0;
    const sms = measureSms(pricing.publicUrl ? previewShortLinks(script.body, pricing.publicUrl) : script.body);
    const estimatedSegments = Math.round((averageSegments ?? sms.segments) * share);
    return {
      id: script.id,
      label: script.label,
      kind: script.kind,
      body: script.body,
      previews: rendered.slice(0, PREVIEW_CONTACTS),
      sms,
      replaceable: replaceableCharacters(script.body),
      averageSegments,
      contacts: share,
      estimatedSegments,
      estimatedCostUsd: mms
        ? estimateCost(share, pricing.pricePerMmsUsd ?? DEFAULT_MMS_PRICE_USD)
        : estimateCost(estimatedSegments, pricing.pricePerSegmentUsd),
      mms,
    };
  });

  const findings = readinessFindings({
    segment: campaign.segment,
    filterValid: filter !== null,
    reachable,
    conversationChannelId: campaign.conversationChannelId,
    scripts: campaign.scripts,
    lint: lintContextFor(campaign, columns, coverage),
    media: { links: campaign.mediaUrls.length, ready: campaign.mediaIds.length },
  });
  return {
    campaign,
    audience: filter ? { reachable, description: describeAudienceFilter(filter) } : null,
    variants,
    findings,
    progress,
    capExposure: exposure,
    pricePerSegmentUsd: pricing.pricePerSegmentUsd,
    pricePerMmsUsd: pricing.pricePerMmsUsd ?? DEFAULT_MMS_PRICE_USD,
    timeZone: pricing.timeZone,
  };
}

async function campaignProgress(db: Database, c: CampaignRecord): Promise<CampaignProgress> {
  const [byStatus, replies, goals] = await Promise.all([
    db.prisma.campaignContact.groupBy({ by: ["status"], _count: { _all: true }, where: { campaignId: c.id } }),
    db.prisma.conversation.count({ where: { campaignId: c.id, messages: { some: { direction: "inbound" } } } }),
    goalProgressFor(db, [c]),
  ]);
  const count = (status: string) => byStatus.find((s) => s.status === status)?._count._all ?? 0;
  return {
    queued: count("pending") + count("assigned"),
    sent: count("sent"),
    skipped: count("skipped"),
    deferred: count("deferred"),
    replies,
    goal: goals.get(c.id)!,
  };
}
