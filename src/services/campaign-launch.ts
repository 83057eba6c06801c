import type { Database } from "../db/database";
import { compileReachableAudience } from "../domain/audience-sql";
import { applyFinding } from "../domain/campaign-readiness";
import { CAMPAIGN_TRANSITIONS } from "../domain/campaign-status";
import {
  campaignReport,
  customColumns,
  fieldCoverage,
  lintContextFor,
  type CampaignReport,
  type ReportOptions,
} from "./campaign-report";
import { auditActor, requirePermission, type Actor } from "./actors";
import { recordAudit } from "./audit";
import { launchNeedsConfirmation } from "./frequency-warnings";
import { audienceFilterOf, CampaignError, campaignById, requireAllowed, type CampaignRecord } from "./campaigns";
import { isUuid } from "../db/ids";

/*
 * Launching a campaign (its audience fixed and split across the A/B variants), and the one-click
 * fixes its report offers before that.
 */

const LAUNCH_TIMEOUT_MS = 10 * 60_000;

// A UUIDv7 made in SQL (millisecond time, then random bits), like the ids Prisma makes (uuid(7)).
const UUID_V7_SQL = `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid`;

export type LaunchResult =
  /** Something blocks it (the report's errors), or most of the audience is at the cap and the organizer must confirm. */
  | { launched: false; report: CampaignReport; needsConfirmation: boolean }
  | { launched: true; campaign: CampaignRecord; queued: number; report: CampaignReport };

/**
 * Launches a draft when nothing blocks it: its audience is fixed (reachable contacts of the
 * segment now, opted-out numbers excluded) and split evenly across the A/B variants, in the same
 * transaction that marks it running. Nothing is sent: volunteers send each text with `/campaign send`.
 */
export async function launchCampaign(
  db: Database,
  found: CampaignRecord,
  options: ReportOptions & { confirmCapped?: boolean; actor: Actor },
): Promise<LaunchResult> {
  const { actor } = options;
  await requirePermission(db, actor, "campaigns.manage", "launching a campaign", {
    campaignId: found.id,
    subject: found.name,
  });
  // Read again: a button pressed on an old summary must see the campaign as it is now.
  const campaign = await campaignById(db, found.id);
  if (!campaign)
    throw new CampaignError(
      "not_found",
      `“${found.name}” no longer exists. Type /campaign list to see the campaigns there are.`,
    );
  requireAllowed(campaign, "launch");
  const report = await campaignReport(db, campaign, options);
  if (report.findings.some((f) => f.severity === "error")) return { launched: false, report, needsConfirmation: false };
  // Most of the audience would be skipped today for the cap: launch only once the organizer says so.
  if (launchNeedsConfirmation(report.capExposure) && !options.confirmCapped)
    return { launched: false, report, needsConfirmation: true };
  const filter = audienceFilterOf(campaign)!;
  const variantIds = campaign.scripts.filter((s) => s.kind === "initial").map((s) => s.id);
  const { where, params } = compileReachableAudience(filter, { paramOffset: 3 });
  const queued = await db.prisma.$transaction(
    async (tx) => {
      const marked = await tx.campaign.updateMany({
        where: { id: campaign.id, status: { in: [...CAMPAIGN_TRANSITIONS.launch.from] } },
        data: { status: CAMPAIGN_TRANSITIONS.launch.to! },
      });
      if (marked.count === 0) {
        const now = await tx.campaign.findUnique({ where: { id: campaign.id }, select: { status: true } });
        requireAllowed({ name: campaign.name, status: now?.status ?? campaign.status }, "launch");
      }
      const queued = await tx.$executeRawUnsafe(
        `INSERT INTO "CampaignContact" (id, "campaignId", "contactId", "variantId", status, "updatedAt")
         SELECT ${UUID_V7_SQL}, $1::uuid, a.id, (string_to_array($2::text, ',')::uuid[])[1 + ((a.n - 1) % $3::int)], 'pending', now()
         FROM (SELECT c.id, row_number() OVER (ORDER BY md5(c.id::text || $1::text)) AS n FROM "Contact" c WHERE ${where}) a
         ON CONFLICT ("campaignId", "contactId") DO NOTHING`,
        campaign.id,
        variantIds.join(","),
        variantIds.length,
        ...params,
      );
      const exposure = report.capExposure;
      await recordAudit(
        tx,
        {
          ...auditActor(actor),
          action: "campaign.launch",
          campaignId: campaign.id,
          subject: campaign.name,
          before: { status: campaign.status },
          after: { status: "running", queued, ...(exposure ? { atCapWhenLaunched: exposure.atCap } : {}) },
        },
        actor.at,
      );
      return queued;
    },
    { timeout: LAUNCH_TIMEOUT_MS, maxWait: 10_000 },
  );
  return { launched: true, campaign: { ...campaign, status: CAMPAIGN_TRANSITIONS.launch.to! }, queued, report };
}

/** Applies one offered fix (`ReadinessFinding.fix`) to a script of a draft or paused campaign (organizers). */
export async function applyScriptFix(
  db: Database,
  ref: { scriptId: string; code: string },
  actor: Actor,
): Promise<CampaignRecord> {
  await requirePermission(db, actor, "campaigns.manage", "changing a campaign's script");
  const script = isUuid(ref.scriptId)
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
  requireAllowed(campaign, "edit");
  const filter = audienceFilterOf(campaign);
  const columns = await customColumns(db);
  const coverage = filter ? await fieldCoverage(db, filter, [script.body], columns) : undefined;
  const fixed = applyFinding(script, ref.code, lintContextFor(campaign, columns, coverage));
  if (fixed === undefined)
    throw new CampaignError(
      "fix_gone",
      "That problem is already fixed. Type /campaign show to see the script as it is now.",
    );
  // Only if nobody changed the script since the fix was offered.
  const count = await db.prisma.$transaction(async (tx) => {
    const { count } = await tx.scriptVariant.updateMany({
      where: { id: script.id, body: script.body },
      data: { body: fixed },
    });
    if (count === 1) {
      const entry = {
        action: "campaign.fix-script",
        campaignId: campaign.id,
        subject: `${campaign.name}: ${ref.code}`,
      };
      await recordAudit(
        tx,
        { ...auditActor(actor), ...entry, before: { body: script.body }, after: { body: fixed } },
        actor.at,
      );
    }
    return count;
  });
  if (count === 0)
    throw new CampaignError(
      "fix_gone",
      "That script was changed meanwhile. Type /campaign show to see it as it is now.",
    );
  return (await campaignById(db, campaign.id))!;
}
