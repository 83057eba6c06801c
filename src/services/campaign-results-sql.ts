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
 * they first replied (a text in their conversation), whether they opted out after the campaign's
 * first text, whether their conversation carries the goal's outcome tag, whether they clicked a
 * tracked link. The report and the App Home tab count rates from these rows only.
 */
export const TEXTED_CONTACTS_CTE = `
first_reply AS (
  SELECT m."conversationId", min(m."createdAt") AS at
  FROM "Message" m JOIN "Conversation" cv ON cv.id = m."conversationId"
  WHERE cv."campaignId" = ANY($1::uuid[]) AND m.direction = 'inbound'
  GROUP BY m."conversationId"
), texted AS (
  SELECT cc."campaignId", cc."variantId", cc."firstTextAt", r.at AS "repliedAt",
    (o."createdAt" IS NOT NULL AND o."createdAt" >= cc."firstTextAt") AS "optedOut",
    coalesce(${goalOutcomeSql("cv", "camp")}, false) AS outcome,
    EXISTS (
      SELECT 1 FROM "ShortLink" sl JOIN "LinkClick" lc ON lc."shortLinkId" = sl.id
      WHERE sl."campaignId" = cc."campaignId" AND sl."contactId" = cc."contactId"
    ) AS clicked
  FROM "CampaignContact" cc
  JOIN "Campaign" camp ON camp.id = cc."campaignId"
  JOIN "Contact" c ON c.id = cc."contactId"
  LEFT JOIN "Conversation" cv ON cv."campaignId" = cc."campaignId" AND cv."contactId" = cc."contactId"
  LEFT JOIN first_reply r ON r."conversationId" = cv.id
  LEFT JOIN "OptOut" o ON o.phone = c.phone
  WHERE cc."campaignId" = ANY($1::uuid[]) AND cc."firstTextAt" IS NOT NULL
)`;

// $1 the campaign (as a one-element array), $2 the organization's time zone. The texted contacts
// by variant and by the local day of their first text; the grand total (grouping 3) carries the
// median time from first text to first reply.
export const CONTACTS_SQL = `
WITH ${TEXTED_CONTACTS_CTE}
SELECT GROUPING(t."variantId", day)::int AS "grouping", t."variantId", day,
  count(*)::int AS texted,
  count(t."repliedAt")::int AS replied,
  count(*) FILTER (WHERE t."optedOut")::int AS "optedOut",
  count(*) FILTER (WHERE t.outcome)::int AS outcomes,
  count(*) FILTER (WHERE t.clicked)::int AS clicked,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t."repliedAt" - t."firstTextAt"))
    FILTER (WHERE t."repliedAt" >= t."firstTextAt") AS "medianReplySeconds"
FROM (SELECT *, to_char(texted."firstTextAt" AT TIME ZONE $2, 'YYYY-MM-DD') AS day FROM texted) t
GROUP BY GROUPING SETS ((t."variantId", day), ())`;

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

// $1 campaign. Each time a voter waited (their texts since the last outbound text that left) and a
// volunteer's reply ended the wait: who answered and how long it took. A turn is the number of
// outbound texts that left before a message, so a turn's inbound texts are answered by the first
// outbound text of the same turn. A first text or follow-up is no answer; a text Twilio refused is none either.
export const ANSWERS_SQL = `
WITH turns AS (
  SELECT m."conversationId", m.direction, m.initiated, m."sentBy", m."createdAt",
    (m.direction = 'outbound' AND m.status NOT IN (${failed})) AS "left",
    m.id
  FROM "Message" m JOIN "Conversation" cv ON cv.id = m."conversationId"
  WHERE cv."campaignId" = $1::uuid
), numbered AS (
  SELECT t.*, count(*) FILTER (WHERE t."left")
      OVER (PARTITION BY t."conversationId" ORDER BY t."createdAt", t.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS turn
  FROM turns t
), answered AS (
  SELECT min(n."createdAt") FILTER (WHERE n.direction = 'inbound') AS "waitedFrom",
    min(n."createdAt") FILTER (WHERE n."left") AS "answeredAt",
    (array_agg(n."sentBy") FILTER (WHERE n."left"))[1] AS volunteer,
    bool_or(n."left" AND n.initiated) AS initiated
  FROM numbered n
  GROUP BY n."conversationId", n.turn
)
SELECT a.volunteer, count(*)::int AS answered,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a."answeredAt" - a."waitedFrom")) AS "medianSeconds"
FROM answered a
WHERE a."waitedFrom" IS NOT NULL AND a."answeredAt" IS NOT NULL AND a.volunteer IS NOT NULL AND NOT a.initiated
GROUP BY a.volunteer`;

// $1 campaign: whether its texts carry tracked links at all (clicks are "not tracked" otherwise).
export const LINKS_TRACKED_SQL = `SELECT EXISTS (SELECT 1 FROM "ShortLink" WHERE "campaignId" = $1::uuid) AS tracked`;
