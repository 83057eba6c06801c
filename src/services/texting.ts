import { randomUUID } from "node:crypto";
import type { Database, SqlRunner } from "../db/database";
import { newId } from "../db/ids";
import { prepared } from "../db/prepared";
import { campaignAllows, campaignRefusal } from "../domain/campaign-status";
import { CLAIMED, NOT_SENT, UNCONFIRMED } from "../domain/message-status";
import { maskPhone } from "../domain/phone";
import { followUpDueSql } from "../domain/follow-up";
import { checkSendGates, type Gate } from "../domain/send-gates";
import { previewShortLinks } from "../domain/short-links";
import { measureSms, type SmsMeasure } from "../domain/sms-length";
import { sendFailureAdvice, type SendFailureKind } from "../domain/twilio-errors";
import { campaignRules, cardByEntry, gateFactsOf, nextInBatch, rulesOf, type CampaignRules } from "./card-rows";
import type { Role } from "../domain/roles";
import { requirePermission, type Actor } from "./actors";
import { mediaUrl } from "./media";
import { lockPhone, phoneLockSql, recordOptOut } from "./opt-outs";
import { recordAccepted } from "./send-results";
import { shortenLinksFor } from "./short-links";
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

/** Only members of the workspace text voters (a refusal is recorded in the audit trail). */
const mayText = (db: Database, actor: Actor, campaignId?: string) =>
  requirePermission(db, actor, "texts.send", "texting voters", { campaignId: campaignId ?? null });

/** The click's first statement: the per-phone lock of the entry's number (no row when the entry is gone). */
const LOCK_ENTRY_PHONE_SQL = prepared(`SELECT ${phoneLockSql("c.phone")} IS NOT NULL AS locked
  FROM "CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId" WHERE cc.id = $1::uuid`);

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
  /** "A", "B", … for a first text; "Follow-up 1" or "Follow-up 2". */
  variantLabel: string;
  /** 0 for a first text, 1 or 2 for a follow-up. */
  step: number;
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

const CLAIM_DEFERRED = claimFrom(`cc.status = 'deferred' AND cc."deferredUntil" <= $4`);
const CLAIM_PENDING = claimFrom(`cc.status = 'pending'`);
const CLAIM_IDLE = claimFrom(`cc.status = 'assigned' AND cc."assignedAt" < $5 AND cc."assignedTo" <> $2`);
const CLAIM_FOLLOW_UPS = claimFrom(
  followUpDueSql({ entry: "cc", contact: "c", now: "$4::timestamptz" }),
  `"CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId"`,
  ", step = cc.step + 1",
);

/** Moves up to `size` contacts from the pool to the volunteer; SKIP LOCKED keeps two volunteers from taking the same one. */
async function claimBatch(
  db: Database,
  campaignId: string,
  volunteer: string,
  now: Date,
  size: number,
): Promise<number> {
  const idleBefore = new Date(now.getTime() - IDLE_BATCH_MS);
  const sources: [string, ...Date[]][] = [
    [CLAIM_DEFERRED],
    [CLAIM_PENDING],
    [CLAIM_IDLE, idleBefore],
    [CLAIM_FOLLOW_UPS],
  ];
  let claimed = 0;
  for (const [sql, ...extra] of sources) {
    if (claimed >= size) break;
    claimed += await db.prisma.$executeRawUnsafe(sql, campaignId, volunteer, size - claimed, now, ...extra);
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
       "skipCode" = CASE WHEN $3 = 'skipped' THEN $7 ELSE NULL END,
       "deferredUntil" = CASE WHEN $3 = 'deferred' THEN $6::timestamptz ELSE "deferredUntil" END,
       "assignedTo" = CASE WHEN $3 = 'deferred' THEN NULL ELSE "assignedTo" END,
       "assignedAt" = CASE WHEN $3 = 'deferred' THEN NULL ELSE "assignedAt" END
     WHERE id = $1::uuid AND status = 'assigned' AND "assignedTo" = $2 RETURNING 1`),
    [entryId, volunteer, gate.outcome, gate.reason, now, gate.deferredUntil ?? null, gate.code],
  );
  return updated.length === 1;
}

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
    /** The volunteer's role: only members of the workspace text voters. */
    role: Role;
    now: Date;
    batchSize?: number;
    notes?: CardNote[];
    sentInSession?: number;
    /** PUBLIC_URL: the card shows links in the short form voters get (unset: as written). */
    publicUrl?: string;
  },
): Promise<CardDraw> {
  const { campaignId, volunteer, now } = input;
  await mayText(db, { userId: volunteer, role: input.role, at: now }, campaignId);
  const notes = [...(input.notes ?? [])];
  const sentInSession = input.sentInSession ?? 0;
  let campaign: CampaignRules | null = null;
  for (let tries = 0; tries < MAX_CARDS_PER_DRAW; tries++) {
    let row = await nextInBatch(db.sql, campaignId, volunteer, now, tries === 0);
    if (!row) {
      campaign ??= await campaignRules(db.sql, campaignId);
      if (!campaign || !campaignAllows(campaign.status, "send")) break;
      if ((await claimBatch(db, campaignId, volunteer, now, input.batchSize ?? DEFAULT_BATCH_SIZE)) === 0) break;
      row = await nextInBatch(db.sql, campaignId, volunteer, now, false);
      if (!row) break;
    }
    campaign = rulesOf(row);
    if (!campaignAllows(campaign.status, "send")) break;
    const gate = checkSendGates(gateFactsOf(row, campaign), now);
    if (!gate.ok) {
      if (await setAside(db.sql, row.entryId, volunteer, gate, now))
        notes.push(noteFor(row, gate.outcome, gate.reason));
      continue;
    }
    const body = input.publicUrl ? previewShortLinks(gate.body, input.publicUrl) : gate.body;
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
        step: row.step,
        body,
        sms: measureSms(body),
        mediaCount: campaign.mediaCount,
        leftInBatch: row.leftInBatch,
        sentInSession,
      },
    };
  }
  campaign ??= await campaignRules(db.sql, campaignId);
  if (!campaign) return { kind: "not-running", campaignName: "this campaign", status: "deleted", notes };
  if (!campaignAllows(campaign.status, "send"))
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

/** The volunteer passes on a contact: it is not texted by this campaign. */
export async function skipCard(
  db: Database,
  input: { campaignContactId: string; volunteer: string; role: Role; now: Date },
): Promise<CardNote | null> {
  await mayText(db, { userId: input.volunteer, role: input.role, at: input.now });
  const [entry] = await db.sql.query<{ firstName: string | null; lastName: string | null; phone: string }>(
    prepared(`UPDATE "CampaignContact" cc SET status = 'skipped', "skipReason" = $3, "skipCode" = 'volunteer', "updatedAt" = $4
     FROM "Contact" c WHERE cc.id = $1::uuid AND cc.status = 'assigned' AND cc."assignedTo" = $2 AND c.id = cc."contactId"
     RETURNING c."firstName", c."lastName", c.phone`),
    [input.campaignContactId, input.volunteer, `skipped by <@${input.volunteer}>`, input.now],
  );
  return entry ? noteFor(entry, "skipped", "you skipped it") : null;
}

export interface SendSettings {
  /** The number or Messaging Service texts go out from, stored on each message. */
  sender: string;
  /** PUBLIC_URL: links in scripts go out as per-contact short links on it, and a campaign's stored media as PUBLIC_URL/media/<id> (unset: links as typed). */
  publicUrl?: string;
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
  input: { campaignContactId: string; intentId: string; volunteer: string; role: Role; now: Date },
  settings: SendSettings,
): Promise<SendOutcome> {
  const { campaignContactId, intentId, volunteer, now } = input;
  await mayText(db, { userId: volunteer, role: input.role, at: now });
  const claim = await db.sql.transaction(async (tx) => {
    const [locked] = await tx.query<{ locked: boolean }>(LOCK_ENTRY_PHONE_SQL, [campaignContactId]);
    if (!locked) return { kind: "already-handled" as const, message: "This contact is no longer in the campaign." };
    // Read after the lock (a statement of its own, so its snapshot sees what the lock's holder committed).
    const row = await cardByEntry(tx, campaignContactId, now, intentId);
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
    if (!campaignAllows(campaign.status, "send"))
      return { kind: "already-handled" as const, message: campaignRefusal("send", campaign) };
    const gate = checkSendGates(gateFactsOf(row, campaign), now);
    if (!gate.ok) {
      await setAside(tx, row.entryId, volunteer, gate, now);
      return { kind: "blocked" as const, note: noteFor(row, gate.outcome, gate.reason) };
    }
    const messageId = newId();
    const body = settings.publicUrl
      ? await shortenLinksFor(tx, {
          text: gate.body,
          campaignId: campaign.id,
          contactId: row.contactId,
          publicUrl: settings.publicUrl,
          now,
        })
      : gate.body;
    // The claim's last statement travels with its COMMIT; Twilio is called only once both are done.
    await tx.queryAndCommit(
      prepared(`WITH conv AS (
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
       WHERE id = $14::uuid`),
      [
        newId(),
        campaign.id,
        row.contactId,
        now,
        messageId,
        settings.sender,
        row.phone,
        body,
        CLAIMED,
        volunteer,
        intentId,
        measureSms(body).segments,
        row.variantId,
        row.entryId,
        // The card's own media: none for the first text of a variant ticked "text only".
        campaign.mediaCount > 0,
      ],
    );
    return {
      kind: "claimed" as const,
      messageId,
      row,
      campaign,
      body,
      validitySeconds: gate.validitySeconds,
    };
  });
  if (claim.kind !== "claimed") return claim;

  const { row, campaign } = claim;
  const mediaUrls = campaign.mediaCount ? await campaignMediaUrls(db, campaign.id, settings.publicUrl) : [];
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
    // The phone lock before the number's rows, as everywhere (see lockPhone): recordOptOut below takes it again.
    if (advice.recordOptOut) await lockPhone(tx, row.phone);
    await tx.message.update({ where: { id: claim.messageId }, data: { status: NOT_SENT, errorCode: result.code } });
    await tx.campaignContact.update({
      where: { id: campaignContactId },
      data: retry
        ? { status: "assigned", skipReason: null, updatedAt: now }
        : { status: "skipped", skipReason: result.message, skipCode: "failed", updatedAt: now },
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
 * What Twilio fetches: the stored, compressed media once every link is ready, else the links as
 * typed; then the files attached in the form (stored when attached, so only reachable at PUBLIC_URL).
 */
async function campaignMediaUrls(db: Database, campaignId: string, publicUrl: string | undefined): Promise<string[]> {
  const media = await db.prisma.campaign.findUnique({
    where: { id: campaignId },
    select: { mediaUrls: true, mediaIds: true, mediaFileIds: true },
  });
  if (!media) return [];
  const links =
    publicUrl && media.mediaIds.length === media.mediaUrls.length
      ? media.mediaIds.map((id) => mediaUrl(publicUrl, id))
      : media.mediaUrls;
  return publicUrl ? [...links, ...media.mediaFileIds.map((id) => mediaUrl(publicUrl, id))] : links;
}
