import { goalOutcomeSql } from "../domain/goal-progress";
import { FAILED_STATUSES, NOT_SENT } from "../domain/message-status";

/*
 * The statements behind `/campaign report` (src/services/campaign-results.ts). Each reads one
 * campaign's rows once; the report runs them side by side.
 */

const failed = FAILED_STATUSES.map((s) => `'${s}'`).join(", ");

// $1 campaign. Its outbound texts by status, error code, volunteer and kind (few groups, one index range).
export const OUTBOUND_SQL = `
SELECT m.status, m."errorCode", m."sentBy", m.initiated, count(*)::int AS n
FROM "Message" m
WHERE m."campaignId" = $1::uuid AND m.direction = 'outbound'
GROUP BY 1, 2, 3, 4`;

/**
 * The contacts campaigns `$1` (a uuid[]) texted, one row each, with what the rates count: when
 * they first replied (their conversation's earliest inbound text, kept in `Conversation.firstReplyAt`
 * by triggers on Message: migration `conversation_first_reply`, so no message is read here), whether they opted out after the campaign's
 * first text, whether their conversation carries the goal's outcome tag, whether they clicked a
 * tracked link. The report and the App Home tab count rates from these rows only.
 */
export const TEXTED_CONTACTS_CTE = `
opted_out AS (
  SELECT c.id AS "contactId", o."createdAt" FROM "OptOut" o JOIN "Contact" c ON c.phone = o.phone
), texted AS (
  SELECT cc."campaignId", cc."variantId", cc."firstTextAt", cv."firstReplyAt" AS "repliedAt",
    coalesce(o."createdAt" >= cc."firstTextAt", false) AS "optedOut",
    coalesce(${goalOutcomeSql("cv", "camp")}, false) AS outcome,
    EXISTS (
      SELECT 1 FROM "ShortLink" sl JOIN "LinkClick" lc ON lc."shortLinkId" = sl.id
      WHERE sl."campaignId" = cc."campaignId" AND sl."contactId" = cc."contactId"
    ) AS clicked
  FROM "CampaignContact" cc
  JOIN "Campaign" camp ON camp.id = cc."campaignId"
  LEFT JOIN "Conversation" cv ON cv."campaignId" = cc."campaignId" AND cv."contactId" = cc."contactId"
  LEFT JOIN opted_out o ON o."contactId" = cc."contactId"
  WHERE cc."campaignId" = ANY($1::uuid[]) AND cc."firstTextAt" IS NOT NULL
)`;

// $1 the campaign (as a one-element array), $2 the organization's time zone. The texted contacts
// by variant and by the local day of their first text (hashed, no sort); one more row (total)
// carries the median time from first text to first reply.
export const CONTACTS_SQL = `
WITH ${TEXTED_CONTACTS_CTE}
SELECT false AS total, t."variantId", to_char((t."firstTextAt" AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS day,
  count(*)::int AS texted,
  count(t."repliedAt")::int AS replied,
  count(*) FILTER (WHERE t."optedOut")::int AS "optedOut",
  count(*) FILTER (WHERE t.outcome)::int AS outcomes,
  count(*) FILTER (WHERE t.clicked)::int AS clicked,
  NULL::float8 AS "medianReplySeconds"
FROM texted t
GROUP BY t."variantId", (t."firstTextAt" AT TIME ZONE $2)::date
UNION ALL
SELECT true, NULL, NULL, 0, 0, 0, 0, 0,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t."repliedAt" - t."firstTextAt"))
FROM texted t WHERE t."repliedAt" >= t."firstTextAt"`;

// $1 campaigns (uuid[]): each one's texted contacts, replies and opt-outs (the App Home tab).
export const CAMPAIGN_RATES_SQL = `
WITH ${TEXTED_CONTACTS_CTE}
SELECT t."campaignId", count(*)::int AS texted, count(t."repliedAt")::int AS replied,
  count(*) FILTER (WHERE t."optedOut")::int AS "optedOut"
FROM texted t
GROUP BY t."campaignId"`;

// $1 campaigns (uuid[]): outbound texts that left, per campaign.
export const TEXTS_SENT_SQL = `
SELECT m."campaignId", count(*)::int AS n
FROM "Message" m
WHERE m."campaignId" = ANY($1::uuid[]) AND m.direction = 'outbound' AND m.status <> '${NOT_SENT}'
GROUP BY m."campaignId"`;

// $1 campaign. Each time a voter waited and a volunteer's reply ended the wait: who answered and
// how long after the first of the voter's texts since the last reply. Only the voters' texts and
// the volunteers' replies that left are read (first texts and follow-ups never come between a
// voter's text and its answer: a follow-up goes only to those who never replied), in one ordering
// per conversation shared by both window functions, and only in conversations where the voter
// ever texted (a wait needs a voter's text).
export const ANSWERS_SQL = `
WITH relevant AS (
  SELECT m."conversationId", m.direction, m."sentBy", m."createdAt", m.id
  FROM "Message" m JOIN "Conversation" cv ON cv.id = m."conversationId"
  WHERE cv."campaignId" = $1::uuid AND cv."firstReplyAt" IS NOT NULL
    AND (m.direction = 'inbound' OR (NOT m.initiated AND m.status NOT IN (${failed})))
), ordered AS (
  SELECT r.*, lag(r.direction) OVER w AS previous
  FROM relevant r
  WINDOW w AS (PARTITION BY r."conversationId" ORDER BY r."createdAt", r.id)
), marked AS (
  SELECT o.*, max(CASE WHEN o.direction = 'inbound' AND o.previous IS DISTINCT FROM 'inbound' THEN o."createdAt" END)
    OVER (PARTITION BY o."conversationId" ORDER BY o."createdAt", o.id ROWS UNBOUNDED PRECEDING) AS "waitedFrom"
  FROM ordered o
)
SELECT k."sentBy" AS volunteer, count(*)::int AS answered,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM k."createdAt" - k."waitedFrom")) AS "medianSeconds"
FROM marked k
WHERE k.direction = 'outbound' AND k.previous = 'inbound' AND k."sentBy" IS NOT NULL
GROUP BY k."sentBy"`;

/**
 * Set for each report statement's own transaction: sorts and hashes over a million texts stay in
 * memory (PostgreSQL's default 4 MB spills them to disk), and no time goes to compiling them.
 */
export const REPORT_SETTINGS = ["SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off"];

// $1 campaign: whether its texts carry tracked links at all (clicks are "not tracked" otherwise).
export const LINKS_TRACKED_SQL = `SELECT EXISTS (SELECT 1 FROM "ShortLink" WHERE "campaignId" = $1::uuid) AS tracked`;
