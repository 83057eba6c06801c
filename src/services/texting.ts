import { randomUUID } from "node:crypto";
import type { Database, SqlRunner } from "../db/database";
import { newId } from "../db/ids";
import { prepared } from "../db/prepared";
import { allowsAnotherText, type FrequencyCap } from "../domain/frequency-cap";
import { isOutboundStatus, OUTBOUND_STATUSES, statusesReplacedBy } from "../domain/message-status";
import { maskPhone } from "../domain/phone";
import {
  isWithinSendWindow,
  localTimeLabel,
  nextWindowOpening,
  storedPolicyOrDefault,
  windowClosesAt,
  type SendWindowPolicy,
} from "../domain/quiet-hours";
import { contactMergeValues, renderScript } from "../domain/script";
import { measureSms, type SmsMeasure } from "../domain/sms-length";
import { sendFailureAdvice, type SendFailureKind } from "../domain/twilio-errors";
import type { MergeContactRow } from "./merge-contacts";
import { recordOptOut } from "./opt-outs";
import type { SmsGateway } from "./sms-gateway";

/**
 * P2P texting: volunteers claim contacts of a running campaign in batches and send each first
 * text with one click. Every gate (campaign running, still assigned, not opted out, inside the
 * recipient's hours, under the frequency cap, every merge field filled) is checked again in the
 * transaction that claims the card's send intent, under a lock on the recipient's number, so no
 * rule can be broken by a race. Nothing here sends without a click: `sendCard` is the only way out.
 */

export const DEFAULT_BATCH_SIZE = 50;
/** A batch left untouched this long returns to the pool for other volunteers. */
export const IDLE_BATCH_MS = 30 * 60_000;
/** Texts whose outcome stayed unknown this long are checked with Twilio. */
export const RECONCILE_AFTER_MS = 60_000;
/** A window closing sooner than this defers the text instead: Twilio would drop it anyway. */
const MIN_VALIDITY_SECONDS = 60;
/** Failures after which the contact stays in the volunteer's batch; any other failure sets it aside. */
const STAY_IN_BATCH: ReadonlySet<SendFailureKind> = new Set([
  "twilio-busy",
  "twilio-unreachable",
  "sender-queue-full",
  "unregistered-sender",
  "sender-not-set-up",
]);
/** Cards to try before giving up on finding a sendable one in one request. */
const MAX_CARDS_PER_DRAW = 200;

/** Our own message statuses before Twilio has answered (Twilio's own follow in message-status.ts). */
export const CLAIMED = "claimed";
export const UNCONFIRMED = "unconfirmed";
export const NOT_SENT = "failed";

export interface CardNote {
  contactName: string;
  maskedPhone: string;
  outcome: "sent" | "skipped" | "deferred" | "failed" | "unconfirmed";
  /** Why, in words for a volunteer. */
  reason: string;
}

export interface TextingCard {
  campaignId: string;
  campaignName: string;
  campaignContactId: string;
  /** Claimed by the Send click: one intent, one text. */
  intentId: string;
  contactName: string;
  maskedPhone: string;
  place: string | null;
  variantLabel: string;
  body: string;
  sms: SmsMeasure;
  mediaCount: number;
  /** Contacts still waiting in this volunteer's batch, this one included. */
  leftInBatch: number;
  /** Texts this volunteer sent since they typed /campaign send (carried on the cards). */
  sentInSession: number;
}

export type CardDraw =
  | { kind: "card"; card: TextingCard; notes: CardNote[] }
  | { kind: "done"; campaignName: string; sentInSession: number; notes: CardNote[]; nextDeferredAt: Date | null }
  | { kind: "not-running"; campaignName: string; status: string; notes: CardNote[] };

export type SendOutcome =
  | { kind: "sent"; note: CardNote; sid: string }
  | { kind: "blocked"; note: CardNote }
  | { kind: "unconfirmed"; note: CardNote }
  | {
      kind: "failed";
      note: CardNote;
      failure: SendFailureKind;
      retry: boolean;
      alertAdmins: boolean;
      forAdmins: string | null;
      campaignId: string;
      campaignName: string;
      adminUserId: string;
    }
  | { kind: "already-handled"; message: string };

interface CampaignRules {
  id: string;
  name: string;
  status: string;
  cap: FrequencyCap;
  window: SendWindowPolicy;
  mediaCount: number;
  createdBy: string;
}

/**
 * One queue entry with everything its gates need, read in one query: the contact's merge values,
 * the campaign's rules, its variant (or the first one left, when an edit removed it), whether the
 * number opted out, and how many first texts it got inside the campaign's cap window.
 */
interface CardRow extends MergeContactRow {
  entryId: string;
  entryStatus: string;
  assignedTo: string | null;
  campaignId: string;
  contactId: string;
  campaignName: string;
  campaignStatus: string;
  frequencyCapCount: number;
  frequencyCapDays: number;
  quietHoursPolicy: unknown;
  mediaCount: number;
  createdBy: string;
  variantId: string | null;
  variantLabel: string | null;
  variantBody: string | null;
  optedOut: boolean;
  textsInCapWindow: number;
  leftInBatch: number;
  /** Whether a text already claimed the card's send intent (only when one is given). */
  intentUsed: boolean;
}

// Initiated texts count toward the cap unless Twilio proved it never sent them. The window is
// counted in exact 24-hour days, as capWindowStart does.
const CARD_ROW_SELECT = `
  SELECT cc.id AS "entryId", cc.status::text AS "entryStatus", cc."assignedTo", cc."campaignId", cc."contactId",
    camp.name AS "campaignName", camp.status::text AS "campaignStatus", camp."frequencyCapCount", camp."frequencyCapDays",
    camp."quietHoursPolicy", cardinality(camp."mediaUrls") AS "mediaCount", camp."createdBy",
    c.id, c.phone, c."firstName", c."lastName", c.zip, c.state, c."timeZone", c."customFields",
    (SELECT cv.tags[cardinality(cv.tags)] FROM "Conversation" cv
      WHERE cv."contactId" = c.id AND cardinality(cv.tags) > 0 ORDER BY cv."updatedAt" DESC LIMIT 1) AS "lastTag",
    (SELECT max(m."createdAt") FROM "Message" m WHERE m."contactId" = c.id AND m.direction = 'inbound') AS "lastReplyAt",
    v.id AS "variantId", v.label AS "variantLabel", v.body AS "variantBody",
    EXISTS (SELECT 1 FROM "OptOut" o WHERE o.phone = c.phone) AS "optedOut",
    (SELECT count(*)::int FROM "Message" m
      WHERE m."toPhone" = c.phone AND m.initiated AND m.direction = 'outbound' AND m.status <> '${"failed"}'
        AND m."createdAt" >= $NOW::timestamptz - camp."frequencyCapDays" * interval '24 hours') AS "textsInCapWindow",
    (SELECT count(*)::int FROM "CampaignContact" b
      WHERE b."campaignId" = cc."campaignId" AND b.status = 'assigned' AND b."assignedTo" = cc."assignedTo") AS "leftInBatch",
    EXISTS (SELECT 1 FROM "Message" m WHERE m."sendIntentId" = $INTENT::uuid) AS "intentUsed"
  FROM "CampaignContact" cc
  JOIN "Campaign" camp ON camp.id = cc."campaignId"
  JOIN "Contact" c ON c.id = cc."contactId"
  LEFT JOIN LATERAL (
    SELECT sv.id, sv.label, sv.body FROM "ScriptVariant" sv
    WHERE sv."campaignId" = cc."campaignId" AND sv.kind = 'initial'
    ORDER BY (sv.id IS NOT DISTINCT FROM cc."variantId") DESC, sv.position LIMIT 1) v ON true`;

const displayName = (c: { firstName?: string | null; lastName?: string | null }) =>
  [c.firstName, c.lastName].filter(Boolean).join(" ") || "(no name)";
const noteFor = (
  contact: { firstName?: string | null; lastName?: string | null; phone: string },
  outcome: CardNote["outcome"],
  reason: string,
): CardNote => ({
  contactName: displayName(contact),
  maskedPhone: maskPhone(contact.phone),
  outcome,
  reason,
});

function rulesOf(
  row: Pick<
    CardRow,
    | "campaignId"
    | "campaignName"
    | "campaignStatus"
    | "frequencyCapCount"
    | "frequencyCapDays"
    | "quietHoursPolicy"
    | "mediaCount"
    | "createdBy"
  >,
): CampaignRules {
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

async function campaignRules(db: SqlRunner, campaignId: string): Promise<CampaignRules | null> {
  const [row] = await db.query<Parameters<typeof rulesOf>[0]>(
    prepared(`SELECT id AS "campaignId", name AS "campaignName", status::text AS "campaignStatus", "frequencyCapCount", "frequencyCapDays", "quietHoursPolicy",
            cardinality("mediaUrls") AS "mediaCount", "createdBy"
     FROM "Campaign" WHERE id = $1::uuid`),
    [campaignId],
  );
  return row ? rulesOf(row) : null;
}

async function cardRows(
  db: SqlRunner,
  where: string,
  params: unknown[],
  now: Date,
  intentId: string | null = null,
  prefix = "",
): Promise<CardRow[]> {
  const sql =
    (prefix + CARD_ROW_SELECT).replaceAll("$NOW", `$${params.length + 1}`).replace("$INTENT", `$${params.length + 2}`) +
    ` ${where}`;
  const rows = await db.query<CardRow>(prepared(sql), [...params, now, intentId]);
  return rows.map((r) => ({
    ...r,
    lastReplyAt: r.lastReplyAt ? new Date(r.lastReplyAt) : null,
    leftInBatch: Number(r.leftInBatch ?? 0),
  }));
}

type Gate =
  | { ok: true; body: string; validitySeconds: number }
  | { ok: false; outcome: "skipped" | "deferred"; reason: string; deferredUntil?: Date };

/** Every rule a first text must pass at `now`, for one queue entry (see CardRow for what it holds). */
function checkGates(row: CardRow, campaign: CampaignRules, now: Date): Gate {
  if (row.optedOut) return { ok: false, outcome: "skipped", reason: "opted out: this number is never texted" };
  const recipient = { phone: row.phone, zip: row.zip };
  if (!isWithinSendWindow(recipient, now, campaign.window)) {
    const opens = nextWindowOpening(recipient, now, campaign.window);
    return {
      ok: false,
      outcome: "deferred",
      reason: `outside their sending hours: back in the queue ${localTimeLabel(opens, row.timeZone)}`,
      deferredUntil: opens,
    };
  }
  const closes = windowClosesAt(recipient, now, campaign.window);
  const validitySeconds = closes ? Math.floor((closes.getTime() - now.getTime()) / 1000) : 36_000;
  if (validitySeconds < MIN_VALIDITY_SECONDS) {
    const opens = nextWindowOpening(recipient, new Date(closes!.getTime() + 1000), campaign.window);
    return {
      ok: false,
      outcome: "deferred",
      reason: `their sending hours end in under a minute: back in the queue ${localTimeLabel(opens, row.timeZone)}`,
      deferredUntil: opens,
    };
  }
  if (!allowsAnotherText(row.textsInCapWindow, campaign.cap)) {
    return {
      ok: false,
      outcome: "skipped",
      reason: `frequency cap: already ${row.textsInCapWindow} first texts in ${campaign.cap.days} days (limit ${campaign.cap.count})`,
    };
  }
  if (row.variantBody === null) return { ok: false, outcome: "skipped", reason: "the campaign has no first message" };
  const rendered = renderScript(row.variantBody, contactMergeValues(row, { timeZone: row.timeZone ?? undefined }));
  if (rendered.missing.length) {
    return {
      ok: false,
      outcome: "skipped",
      reason: `held back: no ${rendered.missing.map((m) => `{${m}}`).join(", ")} for this contact`,
    };
  }
  return { ok: true, body: rendered.text, validitySeconds: Math.min(validitySeconds, 36_000) };
}

/**
 * Moves up to `size` contacts from the pool to the volunteer: deferred ones whose window has
 * opened, then never-texted ones, then batches other volunteers left idle. SKIP LOCKED keeps two
 * volunteers from ever taking the same contact. One query per source, each served by the
 * (campaignId, status) index, so a claim stays quick however much of a big campaign is sent.
 */
async function claimBatch(
  db: Database,
  campaignId: string,
  volunteer: string,
  now: Date,
  size: number,
): Promise<number> {
  const sources: { where: string; params: unknown[] }[] = [
    { where: `status = 'deferred' AND "deferredUntil" <= $4`, params: [now] },
    { where: `status = 'pending'`, params: [] },
    {
      where: `status = 'assigned' AND "assignedAt" < $4 AND "assignedTo" <> $2`,
      params: [new Date(now.getTime() - IDLE_BATCH_MS)],
    },
  ];
  let claimed = 0;
  for (const source of sources) {
    if (claimed >= size) break;
    claimed += await db.prisma.$executeRawUnsafe(
      prepared(`WITH picked AS (
         SELECT id FROM "CampaignContact" WHERE "campaignId" = $1::uuid AND ${source.where}
         LIMIT $3::int FOR UPDATE SKIP LOCKED)
       UPDATE "CampaignContact" cc SET status = 'assigned', "assignedTo" = $2, "assignedAt" = $${source.params.length + 4}, "deferredUntil" = NULL, "updatedAt" = $${source.params.length + 4}
       FROM picked WHERE cc.id = picked.id`),
      campaignId,
      volunteer,
      size - claimed,
      ...source.params,
      now,
    );
  }
  return claimed;
}

/** Marks an assigned contact skipped or deferred, only while it is still this volunteer's. */
async function setAside(
  db: SqlRunner,
  entryId: string,
  volunteer: string,
  gate: Extract<Gate, { ok: false }>,
  now: Date,
): Promise<boolean> {
  const updated = await db.query(
    prepared(`UPDATE "CampaignContact" SET status = $3::text::"CampaignContactStatus", "skipReason" = $4, "updatedAt" = $5,
       "deferredUntil" = CASE WHEN $3 = 'deferred' THEN $6::timestamptz ELSE "deferredUntil" END,
       "assignedTo" = CASE WHEN $3 = 'deferred' THEN NULL ELSE "assignedTo" END,
       "assignedAt" = CASE WHEN $3 = 'deferred' THEN NULL ELSE "assignedAt" END
     WHERE id = $1::uuid AND status = 'assigned' AND "assignedTo" = $2 RETURNING 1`),
    [entryId, volunteer, gate.outcome, gate.reason, now, gate.deferredUntil ?? null],
  );
  return updated.length === 1;
}

/** Activity older than this is refreshed on the next card, so an active batch never looks idle. */
const TOUCH_AFTER_MS = 5 * 60_000;

/**
 * The volunteer's next sendable card: from their batch, claiming a new batch when it is empty.
 * Contacts a gate blocks are set aside on the way (skipped, or deferred until their window opens)
 * and reported in `notes`, so the volunteer sees why they were passed over.
 */
export async function drawCard(
  db: Database,
  input: {
    campaignId: string;
    volunteer: string;
    now: Date;
    batchSize?: number;
    notes?: CardNote[];
    sentInSession?: number;
  },
): Promise<CardDraw> {
  const { campaignId, volunteer, now } = input;
  const notes = [...(input.notes ?? [])];
  const sentInSession = input.sentInSession ?? 0;
  let campaign: CampaignRules | null = null;
  for (let tries = 0; tries < MAX_CARDS_PER_DRAW; tries++) {
    let [row] = await nextAssigned(db, campaignId, volunteer, now, tries === 0);
    if (!row) {
      campaign ??= await campaignRules(db.sql, campaignId);
      if (campaign?.status !== "running") break;
      if ((await claimBatch(db, campaignId, volunteer, now, input.batchSize ?? DEFAULT_BATCH_SIZE)) === 0) break;
      [row] = await nextAssigned(db, campaignId, volunteer, now, false);
      if (!row) break;
    }
    campaign = rulesOf(row);
    if (campaign.status !== "running") break;
    const gate = checkGates(row, campaign, now);
    if (!gate.ok) {
      if (await setAside(db.sql, row.entryId, volunteer, gate, now))
        notes.push(noteFor(row, gate.outcome, gate.reason));
      continue;
    }
    return {
      kind: "card",
      notes,
      card: {
        campaignId,
        campaignName: campaign.name,
        campaignContactId: row.entryId,
        intentId: randomUUID(),
        contactName: displayName(row),
        maskedPhone: maskPhone(row.phone),
        place: row.state ?? null,
        variantLabel: row.variantLabel!,
        body: gate.body,
        sms: measureSms(gate.body),
        mediaCount: campaign.mediaCount,
        leftInBatch: row.leftInBatch,
        sentInSession,
      },
    };
  }
  campaign ??= await campaignRules(db.sql, campaignId);
  if (!campaign) return { kind: "not-running", campaignName: "this campaign", status: "deleted", notes };
  if (campaign.status !== "running")
    return { kind: "not-running", campaignName: campaign.name, status: campaign.status, notes };
  const deferred = await db.prisma.campaignContact.findFirst({
    where: { campaignId, status: "deferred" },
    orderBy: { deferredUntil: "asc" },
    select: { deferredUntil: true },
  });
  return {
    kind: "done",
    campaignName: campaign.name,
    sentInSession,
    notes,
    nextDeferredAt: deferred?.deferredUntil ?? null,
  };
}

/**
 * The first entry of the volunteer's batch (a stable order: by phone), with the size of the batch.
 * With `touch`, the same statement refreshes the batch's activity: 30 idle minutes return it to the pool.
 */
async function nextAssigned(
  db: Database,
  campaignId: string,
  volunteer: string,
  now: Date,
  touch: boolean,
): Promise<CardRow[]> {
  const touched = touch
    ? `WITH touched AS (UPDATE "CampaignContact" SET "assignedAt" = $NOW
         WHERE "campaignId" = $1::uuid AND "assignedTo" = $2 AND status = 'assigned'
           AND "assignedAt" < $NOW::timestamptz - interval '${TOUCH_AFTER_MS / 1000} seconds' RETURNING 1) `
    : "";
  return cardRows(
    db.sql,
    // The entry is picked first, so the card's subqueries run for one contact, not for the whole batch.
    `WHERE cc.id = (SELECT b.id FROM "CampaignContact" b JOIN "Contact" bc ON bc.id = b."contactId"
       WHERE b."campaignId" = $1::uuid AND b."assignedTo" = $2 AND b.status = 'assigned' ORDER BY bc.phone LIMIT 1)`,
    [campaignId, volunteer],
    now,
    null,
    touched,
  );
}

/** The volunteer passes on a contact: it is not texted by this campaign. */
export async function skipCard(
  db: Database,
  input: { campaignContactId: string; volunteer: string; now: Date },
): Promise<CardNote | null> {
  const [entry] = await db.sql.query<{ firstName: string | null; lastName: string | null; phone: string }>(
    prepared(`UPDATE "CampaignContact" cc SET status = 'skipped', "skipReason" = $3, "updatedAt" = $4
     FROM "Contact" c WHERE cc.id = $1::uuid AND cc.status = 'assigned' AND cc."assignedTo" = $2 AND c.id = cc."contactId"
     RETURNING c."firstName", c."lastName", c.phone`),
    [input.campaignContactId, input.volunteer, `skipped by <@${input.volunteer}>`, input.now],
  );
  return entry ? noteFor(entry, "skipped", "you skipped it") : null;
}

export interface SendSettings {
  /** The number or Messaging Service texts go out from, stored on each message. */
  sender: string;
}

/**
 * The Send click. Claims the card's intent and re-checks every gate in one transaction under the
 * recipient's lock; only then calls Twilio (outside the transaction), and records what came of it.
 * A second click, a Slack retry or a concurrent click on the same card finds the intent or the
 * contact already taken and sends nothing.
 */
export async function sendCard(
  db: Database,
  gateway: SmsGateway,
  input: { campaignContactId: string; intentId: string; volunteer: string; now: Date },
  settings: SendSettings,
): Promise<SendOutcome> {
  const { campaignContactId, intentId, volunteer, now } = input;
  const claim = await db.sql.transaction(async (tx) => {
    const [locked] = await tx.query<{ locked: boolean }>(
      prepared(`SELECT pg_advisory_xact_lock(hashtextextended('phone:' || c.phone, 7021)) IS NOT NULL AS locked
       FROM "CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId" WHERE cc.id = $1::uuid`),
      [campaignContactId],
    );
    if (!locked) return { kind: "already-handled" as const, message: "This contact is no longer in the campaign." };
    // Read after the lock (a statement of its own, so its snapshot sees what the lock's holder committed).
    const [row] = await cardRows(tx, `WHERE cc.id = $1::uuid`, [campaignContactId], now, intentId);
    if (!row) return { kind: "already-handled" as const, message: "This contact is no longer in the campaign." };
    if (row.intentUsed)
      return { kind: "already-handled" as const, message: "This card was already sent: one click, one text." };
    if (row.entryStatus !== "assigned" || row.assignedTo !== volunteer) {
      const why =
        row.entryStatus === "sent"
          ? "This contact was already texted."
          : "This contact is no longer in your batch (it was skipped, deferred or returned to the pool after 30 idle minutes).";
      return { kind: "already-handled" as const, message: why };
    }
    const campaign = rulesOf(row);
    if (campaign.status !== "running")
      return { kind: "already-handled" as const, message: `The campaign is ${campaign.status}: nothing was sent.` };
    const gate = checkGates(row, campaign, now);
    if (!gate.ok) {
      await setAside(tx, row.entryId, volunteer, gate, now);
      return { kind: "blocked" as const, note: noteFor(row, gate.outcome, gate.reason) };
    }
    const messageId = newId();
    await tx.query(
      prepared(`WITH conv AS (
         INSERT INTO "Conversation" (id, "campaignId", "contactId", "createdAt", "updatedAt") VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $4)
         ON CONFLICT ("campaignId", "contactId") DO UPDATE SET "updatedAt" = EXCLUDED."updatedAt"
         RETURNING id),
       msg AS (
         INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, "mediaUrls", status, "sentBy", initiated, "sendIntentId", segments, "createdAt", "updatedAt")
         SELECT $5::uuid, 'outbound', conv.id, $3::uuid, $2::uuid, $6, $7, $8, camp."mediaUrls", $9, $10, true, $11::uuid, $12::int, $4, $4
         FROM conv, "Campaign" camp WHERE camp.id = $2::uuid)
       UPDATE "CampaignContact" SET status = 'sent', "skipReason" = NULL, "variantId" = $13::uuid, "updatedAt" = $4 WHERE id = $14::uuid`),
      [
        newId(),
        campaign.id,
        row.contactId,
        now,
        messageId,
        settings.sender,
        row.phone,
        gate.body,
        CLAIMED,
        volunteer,
        intentId,
        measureSms(gate.body).segments,
        row.variantId,
        row.entryId,
      ],
    );
    return {
      kind: "claimed" as const,
      messageId,
      row,
      campaign,
      body: gate.body,
      validitySeconds: gate.validitySeconds,
    };
  });
  if (claim.kind !== "claimed") return claim;

  const { row, campaign } = claim;
  const mediaUrls = campaign.mediaCount
    ? ((await db.prisma.campaign.findUnique({ where: { id: campaign.id }, select: { mediaUrls: true } }))?.mediaUrls ??
      [])
    : [];
  const result = await gateway.send({
    to: row.phone,
    body: claim.body,
    mediaUrls,
    validityPeriodSeconds: claim.validitySeconds,
  });
  if (result.outcome === "accepted") {
    await recordAccepted(db, claim.messageId, result);
    return { kind: "sent", sid: result.sid, note: noteFor(row, "sent", "sent") };
  }
  if (result.outcome === "unknown") {
    await db.prisma.message.update({ where: { id: claim.messageId }, data: { status: UNCONFIRMED } });
    return { kind: "unconfirmed", note: noteFor(row, "unconfirmed", result.message) };
  }
  const advice = sendFailureAdvice(result.kind);
  // A busy Twilio or a sender problem is not the contact's fault: it stays in the batch to try again.
  const retry = STAY_IN_BATCH.has(result.kind);
  await db.prisma.$transaction(async (tx) => {
    await tx.message.update({ where: { id: claim.messageId }, data: { status: NOT_SENT, errorCode: result.code } });
    await tx.campaignContact.update({
      where: { id: campaignContactId },
      data: retry
        ? { status: "assigned", skipReason: null, updatedAt: now }
        : { status: "skipped", skipReason: result.message, updatedAt: now },
    });
    if (advice.recordOptOut)
      await recordOptOut(tx, row.phone, "carrier", `Twilio ${result.code ?? "21610"} on send`, now);
  });
  return {
    kind: "failed",
    note: noteFor(row, "failed", result.message),
    failure: result.kind,
    retry,
    alertAdmins: advice.alertAdmins,
    forAdmins: advice.forAdmins,
    campaignId: campaign.id,
    campaignName: campaign.name,
    adminUserId: campaign.createdBy,
  };
}

/**
 * Stores Twilio's SID and status and, in the same statement, reads any status callbacks that
 * beat the send's own answer (they wait unprocessed in the inbox) so they are applied now.
 */
export async function recordAccepted(
  db: Database,
  messageId: string,
  result: { sid: string; status: string; segments: number | null },
): Promise<void> {
  const keys = OUTBOUND_STATUSES.map((status) => `${result.sid}:${status}`);
  const early = await db.sql.query<{ id: string; externalId: string; payload: Record<string, string> }>(
    prepared(`WITH stored AS (UPDATE "Message" SET "twilioSid" = $1, status = $2, segments = COALESCE($3::int, segments), "updatedAt" = now() WHERE id = $4::uuid RETURNING id)
     SELECT e.id, e."externalId", e.payload FROM "InboundEvent" e
     WHERE e.source = 'twilio.status' AND e."externalId" = ANY(string_to_array($5::text, ',')) AND e."processedAt" IS NULL AND EXISTS (SELECT 1 FROM stored)`),
    [result.sid, result.status, result.segments, messageId, keys.join(",")],
  );
  if (early.length) await applyEarlyStatusCallbacks(db, result.sid, early);
}

/** Status callbacks that beat the send's own answer were kept in the inbox: apply them now. */
async function applyEarlyStatusCallbacks(
  db: Database,
  sid: string,
  early?: { id: string; externalId: string; payload: unknown }[],
): Promise<void> {
  const events =
    early ??
    (await db.prisma.inboundEvent.findMany({
      where: {
        source: "twilio.status",
        externalId: { in: OUTBOUND_STATUSES.map((status) => `${sid}:${status}`) },
        processedAt: null,
      },
      select: { id: true, externalId: true, payload: true },
    }));
  for (const event of events) {
    const status = event.externalId.slice(sid.length + 1);
    if (!isOutboundStatus(status)) continue;
    const errorCode = Number((event.payload as Record<string, string>).ErrorCode) || null;
    await db.prisma.$transaction([
      db.prisma.message.updateMany({
        where: { twilioSid: sid, status: { in: statusesReplacedBy(status) } },
        data: { status, ...(errorCode ? { errorCode } : {}) },
      }),
      db.prisma.inboundEvent.update({ where: { id: event.id }, data: { processedAt: new Date() } }),
    ]);
  }
}

/**
 * Texts whose outcome stayed unknown (the answer was lost, or the process died mid-send) are
 * looked up at Twilio: found, they take its SID and status; not found, they are marked not sent and
 * their contact is set aside with the reason. Never resent automatically: only a person may send.
 */
export async function reconcileUnconfirmedSends(
  db: Database,
  gateway: SmsGateway,
  now: Date,
): Promise<{ confirmed: number; notSent: number }> {
  const stale = await db.prisma.message.findMany({
    where: {
      direction: "outbound",
      status: { in: [CLAIMED, UNCONFIRMED] },
      createdAt: { lt: new Date(now.getTime() - RECONCILE_AFTER_MS) },
    },
    select: { id: true, toPhone: true, body: true, createdAt: true, campaignId: true, contactId: true },
    take: 100,
  });
  let confirmed = 0;
  let notSent = 0;
  for (const message of stale) {
    const found = await gateway.findSent({ to: message.toPhone, after: message.createdAt, body: message.body });
    if (found) {
      const { count } = await db.prisma.message.updateMany({
        where: { id: message.id, status: { in: [CLAIMED, UNCONFIRMED] } },
        data: { twilioSid: found.sid, status: found.status },
      });
      if (count) {
        confirmed++;
        await applyEarlyStatusCallbacks(db, found.sid);
      }
      continue;
    }
    await db.prisma.$transaction(async (tx) => {
      const { count } = await tx.message.updateMany({
        where: { id: message.id, status: { in: [CLAIMED, UNCONFIRMED] } },
        data: { status: NOT_SENT },
      });
      if (count === 0 || !message.campaignId || !message.contactId) return;
      notSent++;
      await tx.campaignContact.updateMany({
        where: { campaignId: message.campaignId, contactId: message.contactId, status: "sent" },
        data: {
          status: "skipped",
          skipReason: "the send could not be confirmed with Twilio and was not repeated; check before texting again",
          updatedAt: now,
        },
      });
    });
  }
  return { confirmed, notSent };
}
