import { isUuid } from "../db/ids";
import { parseAudienceFilter, type AudienceFilter } from "../domain/audience-filter";
import type { Database, Tx } from "../db/database";
import type { Prisma } from "../db/generated/client";
import { VARIANT_LABELS, type CampaignDraft, type CampaignForm, type GoalType } from "../domain/campaign-form";
import { presetOf, SEND_WINDOW_PRESETS } from "../domain/send-window-presets";
import {
  CAMPAIGN_TRANSITIONS,
  campaignAllows,
  campaignRefusal,
  type CampaignAction,
  type CampaignStatus,
} from "../domain/campaign-status";
import { normalizeName } from "../domain/display-name";
import { DEFAULT_DIGEST_MINUTE } from "../domain/daily-digest";
import { DEFAULT_FOLLOW_UP_DELAYS } from "../domain/follow-up";
import { UserError } from "../domain/user-error";
import { customFieldNames } from "./segments";
import { auditActor, requirePermission, type Actor } from "./actors";
import { attachedMediaOf, mediaLinksChanged, type AttachedMedia } from "./campaign-media";
import { recordAudit } from "./audit";
import { claimName, lookupName, nameTaken } from "./unique-names";

/**
 * Campaigns: a goal, scripts, an audience and the rules they send under. A campaign is created as
 * a draft, launched once every check passes (campaign-launch.ts), and paused, resumed or archived
 * after; what each state allows is src/domain/campaign-status.ts. Its report is campaign-report.ts.
 */

export type { CampaignStatus } from "../domain/campaign-status";
export type CampaignErrorReason =
  "name_taken" | "not_found" | "wrong_status" | "segment_missing" | "media_missing" | "fix_gone";

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

export const CAMPAIGN_FIELDS = {
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
  mediaIds: true,
  mediaFileIds: true,
  digestMinute: true,
  createdBy: true,
  createdAt: true,
  segment: { select: { id: true, name: true, filter: true } },
  scripts: {
    select: { id: true, kind: true, label: true, body: true, position: true, delayDays: true, textOnly: true },
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
  /** Stored media (Media ids) of `mediaUrls`, in order; fewer while being prepared, or when one was refused. */
  mediaIds: string[];
  /** Files attached in the form (Media ids, stored already), sent after the links' media. */
  mediaFileIds: string[];
  /** When the daily digest is posted: minutes after midnight in ORG_TIME_ZONE (null: the default, 09:30). */
  digestMinute: number | null;
  createdBy: string;
  createdAt: Date;
  segment: { id: string; name: string; filter: unknown } | null;
  scripts: {
    id: string;
    kind: "initial" | "follow_up";
    label: string;
    body: string;
    position: number;
    /** Follow-ups: days after the previous text. */
    delayDays: number | null;
    /** Initial variants: its texts leave the campaign's media out. */
    textOnly: boolean;
  }[];
}

export function audienceFilterOf(c: CampaignRecord): AudienceFilter | null {
  if (!c.segment) return null;
  const parsed = parseAudienceFilter(c.segment.filter);
  return parsed.ok ? parsed.filter : null;
}

// ---- names -------------------------------------------------------------------------------------

/** The campaign with this name (letter case ignored), or the names the organizer may have meant. */
export async function findCampaign(
  db: Database,
  name: string,
): Promise<{ found: true; campaign: CampaignRecord } | { found: false; suggestions: string[] }> {
  const lookup = await lookupName(db.prisma, "campaign", name);
  if (!lookup.found) return lookup;
  const campaign = await campaignById(db, lookup.id);
  return campaign ? { found: true, campaign } : { found: false, suggestions: [] };
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

/** The campaign, when its state allows `action`; else a CampaignError saying why and what to do. */
export function requireAllowed(campaign: { name: string; status: CampaignStatus }, action: CampaignAction): void {
  if (!campaignAllows(campaign.status, action))
    throw new CampaignError("wrong_status", campaignRefusal(action, campaign));
}

/** The named campaign, for `/campaign edit`: refused unless it is a draft or paused. */
export async function requireEditableCampaign(db: Database, name: string): Promise<CampaignRecord> {
  const campaign = await requireCampaign(db, name);
  requireAllowed(campaign, "edit");
  return campaign;
}

export async function campaignById(db: Database, id: string): Promise<CampaignRecord | null> {
  if (!isUuid(id)) return null;
  return db.prisma.campaign.findUnique({ where: { id }, select: CAMPAIGN_FIELDS });
}

/** Whether another campaign already has this name, ignoring letter case. */
export function campaignNameTaken(db: Database, name: string, exceptId?: string): Promise<boolean> {
  return nameTaken(db.prisma, "campaign", name, exceptId);
}

const nameTakenError = (name: string) =>
  new CampaignError(
    "name_taken",
    `A campaign named “${name}” already exists. Pick another name (campaign names are unique, ignoring capitals).`,
  );

/** The segments the campaign form's audience menu offers: the newest 100 (Slack's menu limit). */
export function newestSegments(db: Database): Promise<{ id: string; name: string }[]> {
  return db.prisma.segment.findMany({ select: { id: true, name: true }, orderBy: { createdAt: "desc" }, take: 100 });
}

/**
 * What the campaign form offers: the newest segments and the contacts' custom fields; with `keep`,
 * also the form's own segment when it is not among the newest, and its attached files to list.
 */
export async function campaignFormChoices(
  db: Database,
  keep: { segmentId?: string | null; mediaFileIds?: readonly string[] } = {},
): Promise<{ segments: { id: string; name: string }[]; customFields: string[]; attachedMedia: AttachedMedia[] }> {
  const [segments, customFields, attachedMedia] = await Promise.all([
    newestSegments(db),
    customFieldNames(db, 200),
    attachedMediaOf(db, keep.mediaFileIds ?? []),
  ]);
  const segmentId = keep.segmentId;
  if (segmentId && isUuid(segmentId) && !segments.some((s) => s.id === segmentId)) {
    const own = await db.prisma.segment.findUnique({ where: { id: segmentId }, select: { id: true, name: true } });
    if (own) segments.unshift(own);
  }
  return { segments, customFields, attachedMedia };
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
    mediaFileIds: draft.mediaFileIds,
    digestMinute: draft.digestMinute,
  };
}

const scriptRows = (draft: CampaignDraft) => [
  ...draft.scripts.map((s, position) => ({
    kind: "initial" as const,
    label: s.label,
    body: s.body,
    position,
    delayDays: null,
    textOnly: s.textOnly ?? false,
  })),
  ...draft.followUps.map((s, position) => ({
    kind: "follow_up" as const,
    label: s.label,
    body: s.body,
    position,
    delayDays: s.delayDays ?? DEFAULT_FOLLOW_UP_DELAYS[position] ?? null,
    textOnly: false,
  })),
];

async function lockNames(tx: Tx, name: string, exceptId?: string): Promise<void> {
  if (!(await claimName(tx, "campaign", name, exceptId))) throw nameTakenError(name);
}

/** Attached files are stored before the campaign is saved; one that is gone (never stored, or removed) is refused. */
async function requireMediaFiles(tx: Tx, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await tx.media.count({ where: { id: { in: [...ids] } } });
  if (found !== new Set(ids).size)
    throw new CampaignError("media_missing", "An attached file is no longer stored. Attach it again, then save.");
}

async function requireSegmentRow(tx: Tx, segmentId: string): Promise<void> {
  const segment = isUuid(segmentId)
    ? await tx.segment.findUnique({ where: { id: segmentId }, select: { id: true } })
    : null;
  if (!segment)
    throw new CampaignError(
      "segment_missing",
      "That segment was deleted meanwhile. Pick another one, or create it again with /segment new.",
    );
}

/** Saves a new draft campaign with its scripts (organizers). Throws CampaignError (name_taken, segment_missing). */
export async function createCampaign(
  db: Database,
  draft: CampaignDraft,
  actor: Actor,
): Promise<{ id: string; name: string }> {
  await requirePermission(db, actor, "campaigns.manage", "creating a campaign", { subject: draft.name });
  try {
    return await db.prisma.$transaction(async (tx) => {
      await lockNames(tx, draft.name);
      await requireSegmentRow(tx, draft.segmentId);
      await requireMediaFiles(tx, draft.mediaFileIds);
      const created = await tx.campaign.create({
        data: { ...campaignData(draft), createdBy: actor.userId, scripts: { create: scriptRows(draft) } },
        select: { id: true, name: true },
      });
      await recordAudit(
        tx,
        {
          ...auditActor(actor),
          action: "campaign.create",
          campaignId: created.id,
          subject: created.name,
          after: draftJson(draft),
        },
        actor.at,
      );
      return created;
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw nameTakenError(draft.name);
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
  actor: Actor,
): Promise<{ id: string; name: string }> {
  await requirePermission(db, actor, "campaigns.manage", "editing a campaign", { campaignId: isUuid(id) ? id : null });
  const before = await campaignById(db, id);
  try {
    return await db.prisma.$transaction(async (tx) => {
      const current = await tx.campaign.findUnique({ where: { id }, select: { status: true, name: true } });
      if (!current)
        throw new CampaignError(
          "not_found",
          "That campaign no longer exists. Type /campaign list to see the ones there are.",
        );
      requireAllowed(current, "edit");
      await lockNames(tx, draft.name, id);
      await requireSegmentRow(tx, draft.segmentId);
      await requireMediaFiles(tx, draft.mediaFileIds);
      const rows = scriptRows(draft);
      await tx.scriptVariant.deleteMany({
        where: { campaignId: id, NOT: rows.map((r) => ({ kind: r.kind, label: r.label })) },
      });
      for (const row of rows) {
        await tx.scriptVariant.upsert({
          where: { campaignId_kind_label: { campaignId: id, kind: row.kind, label: row.label } },
          create: { ...row, campaignId: id },
          update: { body: row.body, position: row.position, delayDays: row.delayDays, textOnly: row.textOnly },
        });
      }
      const saved = await tx.campaign.update({
        where: { id },
        // Changed media links are checked again (campaign-media.ts); until then none is sent.
        data: {
          ...campaignData(draft),
          ...(mediaLinksChanged(before?.mediaUrls, draft.mediaUrls) ? { mediaIds: [] } : {}),
        },
        select: { id: true, name: true },
      });
      await recordAudit(
        tx,
        {
          ...auditActor(actor),
          action: "campaign.edit",
          campaignId: id,
          subject: saved.name,
          ...(before ? { before: formJson(formOfCampaign(before)) } : {}),
          after: draftJson(draft),
        },
        actor.at,
      );
      return saved;
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw nameTakenError(draft.name);
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
    followUpDelays: [0, 1].map((i) => String(followUps[i]?.delayDays ?? DEFAULT_FOLLOW_UP_DELAYS[i])),
    channelId: c.conversationChannelId,
    sendWindow: presetOf(c.quietHoursPolicy),
    capCount: String(c.frequencyCapCount),
    capDays: String(c.frequencyCapDays),
    segmentId: c.segment?.id ?? null,
    helpText: c.helpText ?? "",
    mediaUrls: c.mediaUrls.join("\n"),
    mediaFiles: [],
    attachedMediaIds: c.mediaFileIds,
    textOnly: initial.filter((s) => s.textOnly).map((s) => s.label),
    addMissing: false,
    digestTime: String(c.digestMinute ?? DEFAULT_DIGEST_MINUTE),
  };
}

// ---- status --------------------------------------------------------------------------------------

export type StatusChange = Extract<CampaignAction, "pause" | "resume" | "archive">;

/** Pauses, resumes or archives (organizers); a pause takes effect at the next click (every send checks the status). */
export async function changeCampaignStatus(
  db: Database,
  name: string,
  change: StatusChange,
  actor: Actor,
): Promise<CampaignRecord> {
  const campaign = await requireCampaign(db, name);
  const verb = { pause: "pausing", resume: "resuming", archive: "archiving" }[change];
  await requirePermission(db, actor, "campaigns.manage", `${verb} a campaign`, {
    campaignId: campaign.id,
    subject: campaign.name,
  });
  requireAllowed(campaign, change);
  const { from, to } = CAMPAIGN_TRANSITIONS[change];
  const changed = await db.prisma.$transaction(async (tx) => {
    const { count } = await tx.campaign.updateMany({
      where: { id: campaign.id, status: { in: [...from] } },
      data: { status: to! },
    });
    if (count === 1) {
      const entry = { action: `campaign.${change}`, campaignId: campaign.id, subject: campaign.name };
      await recordAudit(
        tx,
        { ...auditActor(actor), ...entry, before: { status: campaign.status }, after: { status: to! } },
        actor.at,
      );
    }
    return count === 1;
  });
  if (!changed) requireAllowed((await campaignById(db, campaign.id)) ?? campaign, change);
  return { ...campaign, status: to! };
}

/** A form or draft as audit JSON (plain data, no undefined). */
const draftJson = (draft: CampaignDraft): Prisma.InputJsonValue =>
  JSON.parse(JSON.stringify(draft)) as Prisma.InputJsonValue;
const formJson = (form: CampaignForm): Prisma.InputJsonValue =>
  JSON.parse(JSON.stringify(form)) as Prisma.InputJsonValue;
