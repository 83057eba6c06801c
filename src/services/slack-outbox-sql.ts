import { prepared } from "../db/prepared";
import type { SlackOutboxMethod } from "./slack-outbox";

/*
 * The Slack outbox drainer's statements (see slack-outbox-drainer.ts for how they are used). Each
 * runs as one prepared statement; times come from $1 (a test's virtual clock) or the database's.
 */

export interface Claim {
  id: string;
  channel: string;
  method: SlackOutboxMethod;
  payload: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  settleHook: string | null;
  settleRef: string | null;
  parentId: string | null;
  parentStatus: "queued" | "sent" | "failed" | null;
  parentTs: string | null;
  parentError: string | null;
  previousFullAt: Date | null;
  /** The channel's refusals in a row so far (it refuses every post until the bot is invited). */
  blockedRetries: number;
  leaseToken: string;
}

const NOW = "COALESCE($1::timestamptz, statement_timestamp())";
const MS = "* interval '1 millisecond'";

export const CLAIM_SQL = prepared(`
WITH clock AS (SELECT ${NOW} AS now),
picked AS (
  SELECT c.channel, c."bucketFullAt" AS "previousFullAt", c."blockedRetries"
  FROM "SlackOutboxChannel" c, clock
  WHERE (c."leaseUntil" IS NULL OR c."leaseUntil" <= clock.now)
    AND (c."pausedUntil" IS NULL OR c."pausedUntil" <= clock.now)
    AND (c."bucketFullAt" IS NULL OR c."bucketFullAt" <= clock.now + $3::float8 ${MS})
    AND (SELECT o."availableAt" FROM "SlackOutbox" o
         WHERE o.channel = c.channel AND o.status = 'queued' ORDER BY o.position LIMIT 1) <= clock.now
  ORDER BY c."bucketFullAt" NULLS FIRST
  LIMIT 1
  FOR UPDATE OF c SKIP LOCKED
),
leased AS (
  UPDATE "SlackOutboxChannel" c
  SET "leaseToken" = $5::uuid,
      "leaseUntil" = clock.now + $4::float8 ${MS},
      "bucketFullAt" = greatest(c."bucketFullAt", clock.now) + $2::float8 ${MS}
  FROM picked, clock
  WHERE c.channel = picked.channel
  RETURNING c.channel
),
-- Locked and re-checked: the statement's snapshot may predate another drainer's settle of the old
-- head, which must then be passed over, never claimed (and posted) again.
head AS (
  SELECT o.id FROM "SlackOutbox" o JOIN leased ON o.channel = leased.channel
  WHERE o.status = 'queued' ORDER BY o.position LIMIT 1
  FOR UPDATE OF o
),
claimed AS (
  UPDATE "SlackOutbox" o SET attempts = o.attempts + 1
  FROM head WHERE o.id = head.id AND o.status = 'queued'
  RETURNING o.id, o.channel, o.method, o.payload, o.attempts, o."lastError", o."settleHook", o."settleRef", o."parentId"
)
SELECT claimed.*, parent.status::text AS "parentStatus", parent."resultTs" AS "parentTs", parent."lastError" AS "parentError",
       picked."previousFullAt", picked."blockedRetries"
FROM claimed
CROSS JOIN picked
LEFT JOIN "SlackOutbox" parent ON parent.id = claimed."parentId"`);

export const NEXT_DUE_SQL = prepared(`
WITH clock AS (SELECT ${NOW} AS now)
SELECT (EXTRACT(EPOCH FROM min(greatest(c."bucketFullAt" - $2::float8 ${MS}, c."pausedUntil", c."leaseUntil", head."availableAt"))
        - min(clock.now)) * 1000)::float8 AS "waitMs"
FROM "SlackOutboxChannel" c
CROSS JOIN clock
CROSS JOIN LATERAL (SELECT o."availableAt" FROM "SlackOutbox" o
                    WHERE o.channel = c.channel AND o.status = 'queued' ORDER BY o.position LIMIT 1) head`);

/**
 * Records Slack's answer and gives the channel back, in one statement. The post changes only if it
 * is still queued (after a lease expiry another drainer may have settled it): `changed` says so.
 * The channel's bucket moves to at least now + interval, since Slack saw the call before answering;
 * `refund` restores it instead (nothing reached Slack); `pauseMs` (Retry-After) holds the channel.
 * The lease is cleared only if it is still ours.
 */
export const SETTLE_SQL = prepared(`
WITH clock AS (SELECT ${NOW} AS now),
post AS (
  UPDATE "SlackOutbox" o SET
    status = CASE $4::text WHEN 'sent' THEN 'sent'::"SlackOutboxStatus" WHEN 'failed' THEN 'failed'::"SlackOutboxStatus" ELSE o.status END,
    "resultTs" = CASE WHEN $4::text = 'sent' THEN $5::text ELSE o."resultTs" END,
    "lastError" = $6::text,
    "settledAt" = CASE WHEN $4::text IN ('sent', 'failed') THEN clock.now ELSE o."settledAt" END,
    "availableAt" = CASE WHEN $4::text = 'retry' THEN clock.now + $7::float8 ${MS} ELSE o."availableAt" END,
    -- A 429 is the channel's state, not the post's fault: the attempt is given back.
    attempts = CASE WHEN $4::text = 'rateLimited' THEN greatest(o.attempts - 1, 0) ELSE o.attempts END
  FROM clock
  WHERE o.id = $2::uuid AND o.status = 'queued'
  RETURNING o.id
),
released AS (
  UPDATE "SlackOutboxChannel" c SET
    "bucketFullAt" = CASE WHEN $9::boolean AND c."leaseToken" = $3::uuid THEN $10::timestamptz
                          ELSE greatest(c."bucketFullAt", clock.now + $8::float8 ${MS}) END,
    "pausedUntil" = CASE WHEN $11::float8 IS NULL THEN c."pausedUntil"
                         ELSE greatest(c."pausedUntil", clock.now + $11::float8 ${MS}) END,
    "leaseToken" = CASE WHEN c."leaseToken" = $3::uuid THEN NULL ELSE c."leaseToken" END,
    "leaseUntil" = CASE WHEN c."leaseToken" = $3::uuid THEN NULL ELSE c."leaseUntil" END,
    "blockedError" = CASE WHEN $4::text = 'sent' THEN NULL ELSE c."blockedError" END,
    "blockedSince" = CASE WHEN $4::text = 'sent' THEN NULL ELSE c."blockedSince" END,
    "blockedRetries" = CASE WHEN $4::text = 'sent' THEN 0 ELSE c."blockedRetries" END
  FROM clock
  WHERE c.channel = $12
  RETURNING c.channel
)
SELECT (SELECT count(*) FROM post)::int AS changed, (SELECT count(*) FROM released)::int AS released`);

/**
 * Slack refused the channel itself (the bot is not in it): the post stays queued with its attempt
 * given back, and the channel waits `$5` ms (backoff) or until the bot joins. `newlyBlocked` says
 * this refusal started the episode (organizers are told once); every CTE reads the row as it was.
 */
export const BLOCK_SQL = prepared(`
WITH clock AS (SELECT ${NOW} AS now),
before AS (SELECT c."blockedSince" FROM "SlackOutboxChannel" c WHERE c.channel = $6),
post AS (
  UPDATE "SlackOutbox" o SET attempts = greatest(o.attempts - 1, 0), "lastError" = $4::text
  WHERE o.id = $2::uuid AND o.status = 'queued'
  RETURNING o.id
),
blocked AS (
  UPDATE "SlackOutboxChannel" c SET
    "bucketFullAt" = greatest(c."bucketFullAt", clock.now + $7::float8 ${MS}),
    "pausedUntil" = greatest(c."pausedUntil", clock.now + $5::float8 ${MS}),
    "blockedError" = $4::text,
    "blockedSince" = COALESCE(c."blockedSince", clock.now),
    "blockedRetries" = c."blockedRetries" + 1,
    "leaseToken" = CASE WHEN c."leaseToken" = $3::uuid THEN NULL ELSE c."leaseToken" END,
    "leaseUntil" = CASE WHEN c."leaseToken" = $3::uuid THEN NULL ELSE c."leaseUntil" END
  FROM clock
  WHERE c.channel = $6
  RETURNING c."blockedSince"
)
SELECT (SELECT count(*) FROM post)::int AS changed,
       (SELECT "blockedSince" IS NULL FROM before) AS "newlyBlocked",
       (SELECT "blockedSince" FROM blocked) AS "blockedSince"`);

/** The bot joined the channel: try its waiting posts now, and count refusals from zero again. */
export const REOPEN_SQL = prepared(`
UPDATE "SlackOutboxChannel" SET "pausedUntil" = NULL, "blockedRetries" = 0
WHERE channel = $1 AND "blockedError" IS NOT NULL`);
