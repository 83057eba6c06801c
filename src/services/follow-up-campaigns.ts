import type { Database } from "../db/database";
import { parseAudienceFilter, RESPONSE_STATES, type ResponseState } from "../domain/audience-filter";
import { responseCountsSql, responseTagCountsSql, type ResponseTagRow } from "../domain/audience-sql";
import { EMPTY_CAMPAIGN_FORM, type CampaignForm } from "../domain/campaign-form";
import {
  checkFollowUpChoice,
  followUpCampaignNames,
  followUpSegmentNames,
  responseCondition,
  type FollowUpChoice,
} from "../domain/follow-up-campaign";
import { UserError } from "../domain/user-error";
import {
  campaignById,
  CampaignError,
  formOfCampaign,
  newestSegments,
  requireAllowed,
  requireCampaign,
  type CampaignRecord,
} from "./campaigns";
import { createSegmentWithFreeName } from "./segments";
import { firstFreeName } from "./unique-names";
import { requirePermission, type Actor } from "./actors";

/**
 * `/campaign followup`: a launched campaign's contacts, by where they stand in it (replied and
 * were tagged, replied without a tag, never replied, clicked a link), become the audience of a new
 * campaign. The group is saved as a segment of one response condition; the new campaign starts
 * from the first one's settings with empty scripts, and is saved as a draft by the campaign form.
 * Only a launched campaign (not a draft) texted anyone: drafts are refused (campaign-status.ts).
 */

type Source = Pick<CampaignRecord, "id" | "name" | "status">;

export interface FollowUpState {
  state: ResponseState;
  /** Contacts in that state whose number is not opted out; replied_tagged counts any tag. */
  reachable: number;
}

export interface FollowUpTag {
  /** Lower-case, as conversations store tags. */
  tag: string;
  /** What a follow-up to people who replied with this tag would reach. */
  reachable: number;
}

/** The campaign named `name`, when it can be followed up; else a CampaignError saying why. */
export async function requireFollowUpSource(db: Database, name: string): Promise<CampaignRecord> {
  const campaign = await requireCampaign(db, name);
  requireAllowed(campaign, "followUp");
  return campaign;
}

/** Each state with its reachable contacts, in RESPONSE_STATES order: one query. */
export async function followUpStates(db: Database, campaign: Source): Promise<FollowUpState[]> {
  requireAllowed(campaign, "followUp");
  const { sql, params } = responseCountsSql(campaign.id);
  const [row] = await db.prisma.$queryRawUnsafe<Record<ResponseState, number>[]>(sql, ...params);
  return RESPONSE_STATES.map((state) => ({ state, reachable: row?.[state] ?? 0 }));
}

/** The tags on the campaign's conversations (at most `limit`), the largest reach first, for the tag menu. */
export async function followUpTags(db: Database, campaign: Source, limit = 100): Promise<FollowUpTag[]> {
  requireAllowed(campaign, "followUp");
  const { sql, params } = responseTagCountsSql(campaign.id, limit);
  const rows = await db.prisma.$queryRawUnsafe<ResponseTagRow[]>(sql, ...params);
  return rows.map((r) => ({ tag: r.tag, reachable: r.contacts }));
}

export interface FollowUpStart {
  /** The audience just saved, e.g. “Spring GOTV - replied: pledged”. */
  segment: { id: string; name: string };
  /** The campaign form to review: the first campaign's settings, a free name, empty scripts. */
  form: CampaignForm;
  /** What the form's audience menu offers, the new segment first. */
  segments: { id: string; name: string }[];
}

/**
 * Saves the group as a segment (a free name: “… (2)” when taken) and returns the campaign form to
 * fill in: goal, call to action, sender, reply channel, sending hours, cap and HELP answer of the
 * first campaign, named “<campaign> follow-up”, its scripts, follow-ups and media left empty.
 */
export async function startFollowUpCampaign(
  db: Database,
  input: { campaignId: string; state: string | null; tag?: string | null; actor: Actor },
): Promise<FollowUpStart> {
  await requirePermission(db, input.actor, "campaigns.manage", "starting a follow-up campaign");
  const source = await campaignById(db, input.campaignId);
  if (!source)
    throw new CampaignError(
      "not_found",
      "That campaign no longer exists. Type /campaign list to see the ones there are.",
    );
  requireAllowed(source, "followUp");
  const checked = checkFollowUpChoice({ state: input.state, tag: input.tag ?? null });
  if (!checked.ok) throw new UserError(Object.values(checked.problems).join(" "));
  const choice: FollowUpChoice = { state: checked.state, tag: checked.tag };
  const parsed = parseAudienceFilter(responseCondition(source.id, choice));
  if (!parsed.ok) throw new UserError(parsed.problems.join(" "));
  const segment = await createSegmentWithFreeName(db, {
    names: followUpSegmentNames(source.name, choice),
    filter: parsed.filter,
    actor: input.actor,
  });
  const names = followUpCampaignNames(source.name);
  const [name, segments] = await Promise.all([firstFreeName(db.prisma, "campaign", names), newestSegments(db)]);
  return {
    segment,
    form: {
      ...formOfCampaign(source),
      // All taken: the first name, which the form refuses on save with a message saying so.
      name: name ?? names[0]!,
      scripts: EMPTY_CAMPAIGN_FORM.scripts,
      followUps: EMPTY_CAMPAIGN_FORM.followUps,
      followUpDelays: EMPTY_CAMPAIGN_FORM.followUpDelays,
      mediaUrls: "",
      attachedMediaIds: [],
      textOnly: [],
      segmentId: segment.id,
      addMissing: false,
    },
    segments: [segment, ...segments.filter((s) => s.id !== segment.id)],
  };
}
