import { prepared } from "../db/prepared";
import { followUpDueSql } from "../domain/follow-up";
import { phoneLockSql } from "./opt-outs";

/*
 * The statements of the texting path (src/services/texting.ts), each a fixed text planned once per
 * connection.
 */

/** The click's first statement: the per-phone lock of the entry's number (no row when the entry is gone). */
export const LOCK_ENTRY_PHONE_SQL = prepared(`SELECT ${phoneLockSql("c.phone")} IS NOT NULL AS locked
  FROM "CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId" WHERE cc.id = $1::uuid`);

// The pool, in the order volunteers get it: deferred contacts whose window has opened, then
// never-texted ones, then batches other volunteers left idle (each keeps the step it is on), then
// follow-ups that came due. One statement per source, each served by an index on
// (campaignId, status, …), so a claim stays quick however much of a big campaign is sent.
// $1 campaign, $2 volunteer, $3 how many, $4 now (and $5 the idle cut-off, for idle batches).
const claimFrom = (where: string, from = `"CampaignContact" cc`, advance = "") =>
  prepared(`WITH picked AS (
    SELECT cc.id FROM ${from} WHERE cc."campaignId" = $1::uuid AND ${where}
    LIMIT $3::int FOR UPDATE OF cc SKIP LOCKED)
  UPDATE "CampaignContact" cc SET status = 'assigned', "assignedTo" = $2, "assignedAt" = $4, "deferredUntil" = NULL,
    "updatedAt" = $4${advance}
  FROM picked WHERE cc.id = picked.id`);

export const CLAIM_DEFERRED = claimFrom(`cc.status = 'deferred' AND cc."deferredUntil" <= $4`);
export const CLAIM_PENDING = claimFrom(`cc.status = 'pending'`);
export const CLAIM_IDLE = claimFrom(`cc.status = 'assigned' AND cc."assignedAt" < $5 AND cc."assignedTo" <> $2`);
export const CLAIM_FOLLOW_UPS = claimFrom(
  followUpDueSql({ entry: "cc", contact: "c", now: "$4::timestamptz" }),
  `"CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId"`,
  ", step = cc.step + 1",
);

/**
 * Marks an assigned contact skipped or deferred, only while it is still the volunteer's. $1 entry,
 * $2 volunteer, $3 outcome, $4 reason, $5 now, $6 deferred until, $7 skip code.
 */
export const SET_ASIDE_SQL =
  prepared(`UPDATE "CampaignContact" SET status = $3::text::"CampaignContactStatus", "skipReason" = $4, "updatedAt" = $5,
  "skipCode" = CASE WHEN $3 = 'skipped' THEN $7 ELSE NULL END,
  "deferredUntil" = CASE WHEN $3 = 'deferred' THEN $6::timestamptz ELSE "deferredUntil" END,
  "assignedTo" = CASE WHEN $3 = 'deferred' THEN NULL ELSE "assignedTo" END,
  "assignedAt" = CASE WHEN $3 = 'deferred' THEN NULL ELSE "assignedAt" END
  WHERE id = $1::uuid AND status = 'assigned' AND "assignedTo" = $2 RETURNING 1`);

/** The volunteer's Skip: $1 entry, $2 volunteer, $3 reason, $4 now. */
export const SKIP_SQL =
  prepared(`UPDATE "CampaignContact" cc SET status = 'skipped', "skipReason" = $3, "skipCode" = 'volunteer', "updatedAt" = $4
  FROM "Contact" c WHERE cc.id = $1::uuid AND cc.status = 'assigned' AND cc."assignedTo" = $2 AND c.id = cc."contactId"
  RETURNING c."firstName", c."lastName", c.phone`);

/**
 * The claim's write, sent with its COMMIT: the conversation, the message (status claimed, its unique
 * send intent) and the entry marked sent, in one statement. $1 conversation id (if new), $2 campaign,
 * $3 contact, $4 now, $5 message id, $6 sender, $7 recipient, $8 body, $9 status, $10 volunteer,
 * $11 send intent, $12 segments, $13 variant, $14 entry, $15 whether the text carries the campaign's media.
 */
export const CLAIM_SEND_SQL = prepared(`WITH conv AS (
    INSERT INTO "Conversation" (id, "campaignId", "contactId", "createdAt", "updatedAt") VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $4)
    ON CONFLICT ("campaignId", "contactId") DO UPDATE SET "updatedAt" = EXCLUDED."updatedAt"
    RETURNING id),
  msg AS (
    INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, "mediaUrls", "mediaIds", status, "sentBy", initiated, "sendIntentId", segments, step, "createdAt", "updatedAt")
    SELECT $5::uuid, 'outbound', conv.id, $3::uuid, $2::uuid, $6, $7, $8,
      CASE WHEN $15::boolean THEN camp."mediaUrls" ELSE '{}' END, CASE WHEN $15::boolean THEN camp."mediaIds" || camp."mediaFileIds" ELSE '{}' END,
      $9, $10, true, $11::uuid, $12::int, cc.step, $4, $4
    FROM conv, "Campaign" camp, "CampaignContact" cc WHERE camp.id = $2::uuid AND cc.id = $14::uuid)
  -- A follow-up keeps the entry's A/B variant, so the report credits what the first text started.
  UPDATE "CampaignContact" SET status = 'sent', "skipReason" = NULL, "skipCode" = NULL,
    "variantId" = CASE WHEN step = 0 THEN $13::uuid ELSE "variantId" END,
    "firstTextAt" = COALESCE("firstTextAt", $4), "lastTextAt" = $4, "updatedAt" = $4
  WHERE id = $14::uuid`);
