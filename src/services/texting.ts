import { randomUUID } from "node:crypto";
import type { Database } from "../db/database";
import { newId } from "../db/ids";
import { allowsAnotherText, capWindowStart, type FrequencyCap } from "../domain/frequency-cap";
import { isOutboundStatus, statusesReplacedBy } from "../domain/message-status";
import { maskPhone } from "../domain/phone";
import { DEFAULT_SEND_WINDOW, isWithinSendWindow, nextWindowOpening, sendWindowPolicySchema, windowClosesAt, type SendWindowPolicy } from "../domain/quiet-hours";
import { contactMergeValues, renderScript } from "../domain/script";
import { measureSms, type SmsMeasure } from "../domain/sms-length";
import { sendFailureAdvice, type SendFailureKind } from "../domain/twilio-errors";
import { loadMergeContacts, type MergeContactRow } from "./merge-contacts";
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
const STAY_IN_BATCH: ReadonlySet<SendFailureKind> = new Set(["twilio-busy", "twilio-unreachable", "sender-queue-full", "unregistered-sender", "sender-not-set-up"]);
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
  /** Contacts still waiting in this volunteer's batch (this one included) and in the whole campaign. */
  leftInBatch: number;
  leftInCampaign: number;
  sentByVolunteer: number;
}

export type CardDraw =
  | { kind: "card"; card: TextingCard; notes: CardNote[] }
  | { kind: "done"; campaignName: string; sentByVolunteer: number; notes: CardNote[]; nextDeferredAt: Date | null }
  | { kind: "not-running"; campaignName: string; status: string; notes: CardNote[] };

export type SendOutcome =
  | { kind: "sent"; note: CardNote; sid: string }
  | { kind: "blocked"; note: CardNote }
  | { kind: "unconfirmed"; note: CardNote }
  | { kind: "failed"; note: CardNote; failure: SendFailureKind; retry: boolean; alertAdmins: boolean; forAdmins: string | null; campaignId: string; campaignName: string; adminUserId: string }
  | { kind: "already-handled"; message: string };

interface CampaignRules {
  id: string;
  name: string;
  status: string;
  cap: FrequencyCap;
  window: SendWindowPolicy;
  mediaUrls: string[];
  createdBy: string;
}

interface QueueEntry {
  id: string;
  contactId: string;
  variantId: string | null;
  status: string;
  assignedTo: string | null;
}

const displayName = (c: { firstName?: string | null; lastName?: string | null }) => [c.firstName, c.lastName].filter(Boolean).join(" ") || "(no name)";
const noteFor = (contact: { firstName?: string | null; lastName?: string | null; phone: string }, outcome: CardNote["outcome"], reason: string): CardNote => ({
  contactName: displayName(contact),
  maskedPhone: maskPhone(contact.phone),
  outcome,
  reason,
});
const whenLocal = (date: Date, zone: string | null) =>
  new Intl.DateTimeFormat("en-US", { weekday: "short", hour: "numeric", minute: "2-digit", timeZone: zone ?? "America/New_York", timeZoneName: "short" }).format(date);

async function campaignRules(db: Client, campaignId: string): Promise<CampaignRules | null> {
  const c = await db.campaign.findUnique({
    where: { id: campaignId },
    select: { id: true, name: true, status: true, frequencyCapCount: true, frequencyCapDays: true, quietHoursPolicy: true, mediaUrls: true, createdBy: true },
  });
  if (!c) return null;
  const parsed = c.quietHoursPolicy === null ? null : sendWindowPolicySchema.safeParse(c.quietHoursPolicy);
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    cap: { count: c.frequencyCapCount, days: c.frequencyCapDays },
    // A stored policy that no longer validates falls back to the default: never looser than the law.
    window: parsed?.success ? parsed.data : DEFAULT_SEND_WINDOW,
    mediaUrls: c.mediaUrls,
    createdBy: c.createdBy,
  };
}

type Tx = Parameters<Parameters<Database["prisma"]["$transaction"]>[0]>[0];
type Client = Database["prisma"] | Tx;

// Initiated texts that count toward the cap: everything but those Twilio proved it never sent.
async function initiatedSince(db: Client, phone: string, since: Date): Promise<number> {
  return db.message.count({ where: { toPhone: phone, direction: "outbound", initiated: true, createdAt: { gte: since }, status: { not: NOT_SENT } } });
}

/** Serializes everything that decides whether one number may be texted: sends from every campaign, opt-outs. */
export async function lockPhone(tx: Tx, phone: string): Promise<void> {
  await tx.$executeRawUnsafe("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7021))", `phone:${phone}`);
}

type Gate = { ok: true; body: string; validitySeconds: number } | { ok: false; outcome: "skipped" | "deferred"; reason: string; deferredUntil?: Date };

/** Every rule a first text must pass at `now`, for one contact of one campaign. */
async function checkGates(db: Client, campaign: CampaignRules, contact: MergeContactRow, variantBody: string | null, now: Date): Promise<Gate> {
  const optedOut = await db.optOut.findUnique({ where: { phone: contact.phone }, select: { source: true } });
  if (optedOut) return { ok: false, outcome: "skipped", reason: "opted out: this number is never texted" };
  const recipient = { phone: contact.phone, zip: contact.zip };
  if (!isWithinSendWindow(recipient, now, campaign.window)) {
    const opens = nextWindowOpening(recipient, now, campaign.window);
    return { ok: false, outcome: "deferred", reason: `outside their sending hours: back in the queue ${whenLocal(opens, contact.timeZone)}`, deferredUntil: opens };
  }
  const closes = windowClosesAt(recipient, now, campaign.window);
  const validitySeconds = closes ? Math.floor((closes.getTime() - now.getTime()) / 1000) : 36_000;
  if (validitySeconds < MIN_VALIDITY_SECONDS) {
    const opens = nextWindowOpening(recipient, new Date(closes!.getTime() + 1000), campaign.window);
    return { ok: false, outcome: "deferred", reason: `their sending hours end in under a minute: back in the queue ${whenLocal(opens, contact.timeZone)}`, deferredUntil: opens };
  }
  const counted = await initiatedSince(db, contact.phone, capWindowStart(now, campaign.cap));
  if (!allowsAnotherText(counted, campaign.cap)) {
    return { ok: false, outcome: "skipped", reason: `frequency cap: already ${counted} first texts in ${campaign.cap.days} days (limit ${campaign.cap.count})` };
  }
  if (variantBody === null) return { ok: false, outcome: "skipped", reason: "the campaign has no first message" };
  const rendered = renderScript(variantBody, contactMergeValues(contact, { timeZone: contact.timeZone ?? undefined }));
  if (rendered.missing.length) {
    return { ok: false, outcome: "skipped", reason: `held back: no ${rendered.missing.map((m) => `{${m}}`).join(", ")} for this contact` };
  }
  return { ok: true, body: rendered.text, validitySeconds: Math.min(validitySeconds, 36_000) };
}

async function variantBodyOf(db: Client, campaignId: string, entry: QueueEntry): Promise<{ id: string; label: string; body: string } | null> {
  if (entry.variantId) {
    const variant = await db.scriptVariant.findUnique({ where: { id: entry.variantId }, select: { id: true, label: true, body: true } });
    if (variant) return variant;
  }
  // Its variant was removed by an edit: give it the first one left.
  const first = await db.scriptVariant.findFirst({ where: { campaignId, kind: "initial" }, orderBy: { position: "asc" }, select: { id: true, label: true, body: true } });
  if (first) await db.campaignContact.update({ where: { id: entry.id }, data: { variantId: first.id } });
  return first;
}

/**
 * Moves up to `size` contacts from the pool to the volunteer: never-texted ones, deferred ones
 * whose window has opened, and batches other volunteers left idle. SKIP LOCKED keeps two
 * volunteers from ever taking the same contact.
 */
async function claimBatch(db: Database, campaignId: string, volunteer: string, now: Date, size: number): Promise<number> {
  const idleBefore = new Date(now.getTime() - IDLE_BATCH_MS);
  return db.prisma.$executeRawUnsafe(
    `WITH picked AS (
       SELECT id FROM "CampaignContact"
       WHERE "campaignId" = $1::uuid
         AND (status = 'pending'
           OR (status = 'deferred' AND "deferredUntil" <= $3)
           OR (status = 'assigned' AND "assignedAt" < $4 AND "assignedTo" <> $2))
       ORDER BY id
       LIMIT $5::int
       FOR UPDATE SKIP LOCKED)
     UPDATE "CampaignContact" cc SET status = 'assigned', "assignedTo" = $2, "assignedAt" = $3, "deferredUntil" = NULL, "updatedAt" = $3
     FROM picked WHERE cc.id = picked.id`,
    campaignId,
    volunteer,
    now,
    idleBefore,
    size,
  );
}

/** Marks an assigned contact skipped or deferred, only while it is still this volunteer's. */
async function setAside(db: Client, entryId: string, volunteer: string, gate: Extract<Gate, { ok: false }>, now: Date): Promise<boolean> {
  const { count } = await db.campaignContact.updateMany({
    where: { id: entryId, status: "assigned", assignedTo: volunteer },
    data:
      gate.outcome === "deferred"
        ? { status: "deferred", deferredUntil: gate.deferredUntil, assignedTo: null, assignedAt: null, skipReason: gate.reason, updatedAt: now }
        : { status: "skipped", skipReason: gate.reason, updatedAt: now },
  });
  return count === 1;
}

/**
 * The volunteer's next sendable card: from their batch, claiming a new batch when it is empty.
 * Contacts a gate blocks are set aside on the way (skipped, or deferred until their window opens)
 * and reported in `notes`, so the volunteer sees why they were passed over.
 */
export async function drawCard(
  db: Database,
  input: { campaignId: string; volunteer: string; now: Date; batchSize?: number; notes?: CardNote[] },
): Promise<CardDraw> {
  const { campaignId, volunteer, now } = input;
  const notes = [...(input.notes ?? [])];
  const campaign = await campaignRules(db.prisma, campaignId);
  if (!campaign) return { kind: "not-running", campaignName: "this campaign", status: "deleted", notes };
  if (campaign.status !== "running") return { kind: "not-running", campaignName: campaign.name, status: campaign.status, notes };
  // Activity keeps the whole batch the volunteer's; 30 idle minutes return it to the pool.
  await db.prisma.campaignContact.updateMany({ where: { campaignId, assignedTo: volunteer, status: "assigned" }, data: { assignedAt: now } });

  for (let tries = 0; tries < MAX_CARDS_PER_DRAW; tries++) {
    let entry = await nextAssigned(db, campaignId, volunteer);
    if (!entry) {
      if ((await claimBatch(db, campaignId, volunteer, now, input.batchSize ?? DEFAULT_BATCH_SIZE)) === 0) break;
      entry = await nextAssigned(db, campaignId, volunteer);
      if (!entry) break;
    }
    const [contact] = await loadMergeContacts(db.prisma, [entry.contactId]);
    const variant = await variantBodyOf(db.prisma, campaignId, entry);
    if (!contact) continue;
    const gate = await checkGates(db.prisma, campaign, contact, variant?.body ?? null, now);
    if (!gate.ok) {
      if (await setAside(db.prisma, entry.id, volunteer, gate, now)) notes.push(noteFor(contact, gate.outcome, gate.reason));
      continue;
    }
    const [leftInBatch, leftInCampaign, sentByVolunteer] = await Promise.all([
      db.prisma.campaignContact.count({ where: { campaignId, assignedTo: volunteer, status: "assigned" } }),
      db.prisma.campaignContact.count({ where: { campaignId, status: { in: ["pending", "assigned", "deferred"] } } }),
      db.prisma.message.count({ where: { campaignId, sentBy: volunteer, initiated: true, status: { not: NOT_SENT } } }),
    ]);
    return {
      kind: "card",
      notes,
      card: {
        campaignId,
        campaignName: campaign.name,
        campaignContactId: entry.id,
        intentId: randomUUID(),
        contactName: displayName(contact),
        maskedPhone: maskPhone(contact.phone),
        place: contact.state ?? null,
        variantLabel: variant!.label,
        body: gate.body,
        sms: measureSms(gate.body),
        mediaCount: campaign.mediaUrls.length,
        leftInBatch,
        leftInCampaign,
        sentByVolunteer,
      },
    };
  }
  const [sentByVolunteer, deferred] = await Promise.all([
    db.prisma.message.count({ where: { campaignId, sentBy: volunteer, initiated: true, status: { not: NOT_SENT } } }),
    db.prisma.campaignContact.findFirst({ where: { campaignId, status: "deferred" }, orderBy: { deferredUntil: "asc" }, select: { deferredUntil: true } }),
  ]);
  return { kind: "done", campaignName: campaign.name, sentByVolunteer, notes, nextDeferredAt: deferred?.deferredUntil ?? null };
}

async function nextAssigned(db: Database, campaignId: string, volunteer: string): Promise<QueueEntry | null> {
  return db.prisma.campaignContact.findFirst({
    where: { campaignId, assignedTo: volunteer, status: "assigned" },
    // A stable order within the batch (ids made in one millisecond are not ordered).
    orderBy: { contact: { phone: "asc" } },
    select: { id: true, contactId: true, variantId: true, status: true, assignedTo: true },
  });
}

/** The volunteer passes on a contact: it is not texted by this campaign. */
export async function skipCard(db: Database, input: { campaignContactId: string; volunteer: string; now: Date }): Promise<CardNote | null> {
  const entry = await db.prisma.campaignContact.findUnique({ where: { id: input.campaignContactId }, select: { contact: { select: { firstName: true, lastName: true, phone: true } } } });
  const { count } = await db.prisma.campaignContact.updateMany({
    where: { id: input.campaignContactId, status: "assigned", assignedTo: input.volunteer },
    data: { status: "skipped", skipReason: `skipped by <@${input.volunteer}>`, updatedAt: input.now },
  });
  return count === 1 && entry ? noteFor(entry.contact, "skipped", "you skipped it") : null;
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
  const claim = await db.prisma.$transaction(async (tx) => {
    const entry = await tx.campaignContact.findUnique({
      where: { id: campaignContactId },
      select: { id: true, campaignId: true, contactId: true, variantId: true, status: true, assignedTo: true, contact: { select: { phone: true } } },
    });
    if (!entry) return { kind: "already-handled" as const, message: "This contact is no longer in the campaign." };
    await lockPhone(tx, entry.contact.phone);
    if (await tx.message.findUnique({ where: { sendIntentId: intentId }, select: { id: true } })) {
      return { kind: "already-handled" as const, message: "This card was already sent: one click, one text." };
    }
    const current = await tx.campaignContact.findUnique({ where: { id: campaignContactId }, select: { status: true, assignedTo: true } });
    if (current?.status !== "assigned" || current.assignedTo !== volunteer) {
      const why = current?.status === "sent" ? "This contact was already texted." : "This contact is no longer in your batch (it was skipped, deferred or returned to the pool after 30 idle minutes).";
      return { kind: "already-handled" as const, message: why };
    }
    const campaign = await campaignRules(tx, entry.campaignId);
    if (campaign?.status !== "running") {
      return { kind: "already-handled" as const, message: `The campaign is ${campaign?.status ?? "gone"}: nothing was sent.` };
    }
    const [contact] = await loadMergeContacts(tx, [entry.contactId]);
    if (!contact) return { kind: "already-handled" as const, message: "This contact was deleted." };
    const variant = await variantBodyOf(tx, entry.campaignId, entry as QueueEntry);
    const gate = await checkGates(tx, campaign, contact, variant?.body ?? null, now);
    if (!gate.ok) {
      await setAside(tx, entry.id, volunteer, gate, now);
      return { kind: "blocked" as const, note: noteFor(contact, gate.outcome, gate.reason) };
    }
    const conversation = await tx.conversation.upsert({
      where: { campaignId_contactId: { campaignId: campaign.id, contactId: contact.id } },
      create: { campaignId: campaign.id, contactId: contact.id },
      update: {},
      select: { id: true },
    });
    const messageId = newId();
    await tx.message.create({
      data: {
        id: messageId,
        direction: "outbound",
        conversationId: conversation.id,
        contactId: contact.id,
        campaignId: campaign.id,
        fromPhone: settings.sender,
        toPhone: contact.phone,
        body: gate.body,
        mediaUrls: campaign.mediaUrls,
        status: CLAIMED,
        sentBy: volunteer,
        initiated: true,
        sendIntentId: intentId,
        segments: measureSms(gate.body).segments,
        createdAt: now,
      },
    });
    await tx.campaignContact.update({ where: { id: entry.id }, data: { status: "sent", skipReason: null, updatedAt: now } });
    return { kind: "claimed" as const, messageId, contact, campaign, body: gate.body, validitySeconds: gate.validitySeconds };
  });
  if (claim.kind !== "claimed") return claim;

  const { contact, campaign } = claim;
  const result = await gateway.send({ to: contact.phone, body: claim.body, mediaUrls: campaign.mediaUrls, validityPeriodSeconds: claim.validitySeconds });
  if (result.outcome === "accepted") {
    await db.prisma.message.update({ where: { id: claim.messageId }, data: { twilioSid: result.sid, status: result.status, ...(result.segments ? { segments: result.segments } : {}) } });
    await applyEarlyStatusCallbacks(db, result.sid);
    return { kind: "sent", sid: result.sid, note: noteFor(contact, "sent", "sent") };
  }
  if (result.outcome === "unknown") {
    await db.prisma.message.update({ where: { id: claim.messageId }, data: { status: UNCONFIRMED } });
    return { kind: "unconfirmed", note: noteFor(contact, "unconfirmed", result.message) };
  }
  const advice = sendFailureAdvice(result.kind);
  // A busy Twilio or a sender problem is not the contact's fault: it stays in the batch to try again.
  const retry = STAY_IN_BATCH.has(result.kind);
  await db.prisma.$transaction(async (tx) => {
    await tx.message.update({ where: { id: claim.messageId }, data: { status: NOT_SENT, errorCode: result.code } });
    await tx.campaignContact.update({
      where: { id: campaignContactId },
      data: retry ? { status: "assigned", skipReason: null, updatedAt: now } : { status: "skipped", skipReason: result.message, updatedAt: now },
    });
    if (advice.recordOptOut) {
      await lockPhone(tx, contact.phone);
      await tx.optOut.upsert({ where: { phone: contact.phone }, create: { phone: contact.phone, source: "carrier", reason: `Twilio ${result.code ?? "21610"} on send` }, update: {} });
    }
  });
  return {
    kind: "failed",
    note: noteFor(contact, "failed", result.message),
    failure: result.kind,
    retry,
    alertAdmins: advice.alertAdmins,
    forAdmins: advice.forAdmins,
    campaignId: campaign.id,
    campaignName: campaign.name,
    adminUserId: campaign.createdBy,
  };
}

/** Status callbacks that beat the send's own answer were kept in the inbox: apply them now. */
async function applyEarlyStatusCallbacks(db: Database, sid: string): Promise<void> {
  const early = await db.prisma.inboundEvent.findMany({
    where: { source: "twilio.status", externalId: { startsWith: `${sid}:` }, processedAt: null },
    select: { id: true, externalId: true, payload: true },
  });
  for (const event of early) {
    const status = event.externalId.slice(sid.length + 1);
    if (!isOutboundStatus(status)) continue;
    const errorCode = Number((event.payload as Record<string, string>).ErrorCode) || null;
    await db.prisma.$transaction([
      db.prisma.message.updateMany({ where: { twilioSid: sid, status: { in: statusesReplacedBy(status) } }, data: { status, ...(errorCode ? { errorCode } : {}) } }),
      db.prisma.inboundEvent.update({ where: { id: event.id }, data: { processedAt: new Date() } }),
    ]);
  }
}

/**
 * Texts whose outcome stayed unknown (the answer was lost, or the process died mid-send) are
 * looked up at Twilio: found, they take its SID and status; not found, they are marked not sent and
 * their contact is set aside with the reason. Never resent automatically: only a person may send.
 */
export async function reconcileUnconfirmedSends(db: Database, gateway: SmsGateway, now: Date): Promise<{ confirmed: number; notSent: number }> {
  const stale = await db.prisma.message.findMany({
    where: { direction: "outbound", status: { in: [CLAIMED, UNCONFIRMED] }, createdAt: { lt: new Date(now.getTime() - RECONCILE_AFTER_MS) } },
    select: { id: true, toPhone: true, body: true, createdAt: true, campaignId: true, contactId: true },
    take: 100,
  });
  let confirmed = 0;
  let notSent = 0;
  for (const message of stale) {
    const found = await gateway.findSent({ to: message.toPhone, after: message.createdAt, body: message.body });
    if (found) {
      const { count } = await db.prisma.message.updateMany({ where: { id: message.id, status: { in: [CLAIMED, UNCONFIRMED] } }, data: { twilioSid: found.sid, status: found.status } });
      if (count) {
        confirmed++;
        await applyEarlyStatusCallbacks(db, found.sid);
      }
      continue;
    }
    await db.prisma.$transaction(async (tx) => {
      const { count } = await tx.message.updateMany({ where: { id: message.id, status: { in: [CLAIMED, UNCONFIRMED] } }, data: { status: NOT_SENT } });
      if (count === 0 || !message.campaignId || !message.contactId) return;
      notSent++;
      await tx.campaignContact.updateMany({
        where: { campaignId: message.campaignId, contactId: message.contactId, status: "sent" },
        data: { status: "skipped", skipReason: "the send could not be confirmed with Twilio and was not repeated; check before texting again", updatedAt: now },
      });
    });
  }
  return { confirmed, notSent };
}
