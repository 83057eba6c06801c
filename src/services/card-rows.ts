import type { SqlRunner } from "../db/database";
import { prepared } from "../db/prepared";
import type { CampaignStatus } from "../domain/campaign-status";
import { repliedSinceFirstTextSql } from "../domain/follow-up";
import { textsTowardCapSql, type FrequencyCap } from "../domain/frequency-cap";
import { storedPolicyOrDefault, type SendWindowPolicy } from "../domain/quiet-hours";
import type { GateFacts } from "../domain/send-gates";
import { optedOutSql } from "../domain/suppression";
import { MERGE_CONTACT_COLUMNS, type MergeContactRow } from "./merge-contacts";

/*
 * The send path's reads: one queue entry (a contact of a campaign) with everything its gates
 * need, in one prepared statement. Each statement here is a fixed text, so PostgreSQL plans it
 * once per connection. Parameters: $1 is now, $2 the send intent being claimed (or null), then
 * each statement's own.
 */

/** What a campaign's sends obey, read with each entry. */
export interface CampaignRules {
  id: string;
  name: string;
  status: CampaignStatus;
  cap: FrequencyCap;
  window: SendWindowPolicy;
  /** Media items a text carries: links and attached files; on a card, 0 when its first-message variant goes text only. */
  mediaCount: number;
  createdBy: string;
}

/**
 * One queue entry with the contact's merge values, the campaign's rules, its variant (or the first
 * one left, when an edit removed it), whether the number opted out, and how many texts to it count
 * toward the campaign's cap now.
 */
export interface CardRow extends MergeContactRow {
  entryId: string;
  entryStatus: string;
  assignedTo: string | null;
  campaignId: string;
  contactId: string;
  campaignName: string;
  campaignStatus: CampaignStatus;
  frequencyCapCount: number;
  frequencyCapDays: number;
  quietHoursPolicy: unknown;
  mediaCount: number;
  createdBy: string;
  /** Which of the campaign's texts this entry is on: 0 the first text, 1 and 2 the follow-ups. */
  step: number;
  variantId: string | null;
  variantLabel: string | null;
  variantBody: string | null;
  /** Whether the contact texted us since the campaign's first text to them (a follow-up then waits for a person). */
  repliedSinceFirstText: boolean;
  optedOut: boolean;
  textsInCapWindow: number;
  /** Entries left in the volunteer's batch, this one included (0 when read by id, for a claim). */
  leftInBatch: number;
  /** Whether a text already claimed the card's send intent (only when one is given). */
  intentUsed: boolean;
}

/** The card's columns; `leftInBatch` is how the statement counts the volunteer's batch (a claim has no use for it). */
const cardRowSelect = (leftInBatch: string) => `
  SELECT cc.id AS "entryId", cc.status::text AS "entryStatus", cc."assignedTo", cc."campaignId", cc."contactId", cc.step,
    camp.name AS "campaignName", camp.status::text AS "campaignStatus", camp."frequencyCapCount", camp."frequencyCapDays",
    camp."quietHoursPolicy", camp."createdBy",
    -- Which texts carry the media: all but the first texts of a variant ticked "text only" (follow-ups carry them as before).
    CASE WHEN cc.step = 0 AND v."textOnly" THEN 0
      ELSE cardinality(camp."mediaUrls") + cardinality(camp."mediaFileIds") END AS "mediaCount",
    ${MERGE_CONTACT_COLUMNS},
    v.id AS "variantId", v.label AS "variantLabel", v.body AS "variantBody",
    (cc.step > 0 AND ${repliedSinceFirstTextSql("cc")}) AS "repliedSinceFirstText",
    ${optedOutSql("c.phone")} AS "optedOut",
    ${textsTowardCapSql({ phone: "c.phone", now: "$1::timestamptz", days: 'camp."frequencyCapDays"' })} AS "textsInCapWindow",
    ${leftInBatch} AS "leftInBatch",
    EXISTS (SELECT 1 FROM "Message" m WHERE m."sendIntentId" = $2::uuid) AS "intentUsed"
  FROM "CampaignContact" cc
  JOIN "Campaign" camp ON camp.id = cc."campaignId"
  JOIN "Contact" c ON c.id = cc."contactId"
  -- The entry's script: its A/B variant (or the first one left, when an edit removed it), or the follow-up of its step.
  LEFT JOIN LATERAL (
    SELECT sv.id, sv.label, sv.body, sv."textOnly" FROM "ScriptVariant" sv
    WHERE sv."campaignId" = cc."campaignId"
      AND CASE WHEN cc.step = 0 THEN sv.kind = 'initial' ELSE sv.kind = 'follow_up' AND sv.position = cc.step - 1 END
    ORDER BY (sv.id IS NOT DISTINCT FROM cc."variantId") DESC, sv.position LIMIT 1) v ON true`;

/** Activity older than this is refreshed on the next card, so an active batch never looks idle. */
export const TOUCH_AFTER_MS = 5 * 60_000;

// The volunteer's batch is read once per statement (materialized): its next entry (a stable order: by
// phone), so the card's subqueries run for one contact, and how many are left. Reading it once instead
// of once for the pick, once for the count and once for the activity refresh matters while the planner
// still knows nothing of the campaign's batches (right after launch). Then it also takes the index on
// (campaignId, status) as good as the one on (campaignId, assignedTo, status) and scans every
// volunteer's batch for this one's (2 ms with 500 volunteers, 12 times the card's own read): the
// status is compared as text so that only the volunteer's index can serve the statement.
// $3 campaign, $4 volunteer.
const BATCH = `batch AS MATERIALIZED (
    SELECT b.id, b."assignedAt", bc.phone FROM "CampaignContact" b JOIN "Contact" bc ON bc.id = b."contactId"
    WHERE b."campaignId" = $3::uuid AND b."assignedTo" = $4 AND b.status::text = 'assigned')`;
const NEXT_IN_BATCH = `${cardRowSelect(`(SELECT count(*)::int FROM batch)`)}
  WHERE cc.id = (SELECT id FROM batch ORDER BY phone LIMIT 1)`;

const CARD_BY_ENTRY_SQL = prepared(`${cardRowSelect("0")} WHERE cc.id = $3::uuid`);
const NEXT_CARD_SQL = prepared(`WITH ${BATCH} ${NEXT_IN_BATCH}`);
// The same, refreshing the batch's activity in the same statement: 30 idle minutes return it to the pool.
const NEXT_CARD_TOUCHING_SQL = prepared(`WITH ${BATCH},
  touched AS (
    UPDATE "CampaignContact" t SET "assignedAt" = $1 FROM batch
    WHERE t.id = batch.id AND batch."assignedAt" < $1::timestamptz - interval '${TOUCH_AFTER_MS / 1000} seconds'
      AND t.status = 'assigned' AND t."assignedTo" = $4 RETURNING 1)
  ${NEXT_IN_BATCH}`);

const CAMPAIGN_RULES_SQL =
  prepared(`SELECT id AS "campaignId", name AS "campaignName", status::text AS "campaignStatus",
    "frequencyCapCount", "frequencyCapDays", "quietHoursPolicy", cardinality("mediaUrls") + cardinality("mediaFileIds") AS "mediaCount", "createdBy"
  FROM "Campaign" WHERE id = $1::uuid`);

function typed(rows: CardRow[]): CardRow[] {
  return rows.map((r) => ({
    ...r,
    lastReplyAt: r.lastReplyAt ? new Date(r.lastReplyAt) : null,
    leftInBatch: Number(r.leftInBatch ?? 0),
  }));
}

/** One entry by id; with `intentId`, also whether a text already claimed that intent. */
export async function cardByEntry(db: SqlRunner, entryId: string, now: Date, intentId: string | null = null) {
  const [row] = typed(await db.query<CardRow>(CARD_BY_ENTRY_SQL, [now, intentId, entryId]));
  return row ?? null;
}

/** The first entry of the volunteer's batch; `touch` also refreshes the batch's activity. */
export async function nextInBatch(db: SqlRunner, campaignId: string, volunteer: string, now: Date, touch: boolean) {
  const sql = touch ? NEXT_CARD_TOUCHING_SQL : NEXT_CARD_SQL;
  const [row] = typed(await db.query<CardRow>(sql, [now, null, campaignId, volunteer]));
  return row ?? null;
}

type RulesRow = Pick<
  CardRow,
  | "campaignId"
  | "campaignName"
  | "campaignStatus"
  | "frequencyCapCount"
  | "frequencyCapDays"
  | "quietHoursPolicy"
  | "mediaCount"
  | "createdBy"
>;

export function rulesOf(row: RulesRow): CampaignRules {
  return {
    id: row.campaignId,
    name: row.campaignName,
    status: row.campaignStatus,
    cap: { count: row.frequencyCapCount, days: row.frequencyCapDays },
    window: storedPolicyOrDefault(row.quietHoursPolicy),
    mediaCount: Number(row.mediaCount),
    createdBy: row.createdBy,
  };
}

export async function campaignRules(db: SqlRunner, campaignId: string): Promise<CampaignRules | null> {
  const [row] = await db.query<RulesRow>(CAMPAIGN_RULES_SQL, [campaignId]);
  return row ? rulesOf(row) : null;
}

/** What the send gates need to know about an entry (src/domain/send-gates.ts). */
export function gateFactsOf(row: CardRow, campaign: CampaignRules): GateFacts {
  return {
    optedOut: row.optedOut,
    recipient: row,
    textsInCapWindow: row.textsInCapWindow,
    cap: campaign.cap,
    window: campaign.window,
    script: row.variantBody,
    step: row.step,
    repliedSinceFirstText: row.repliedSinceFirstText,
  };
}
