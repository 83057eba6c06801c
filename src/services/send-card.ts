import type { Database } from "../db/database";
import { newId } from "../db/ids";
import { campaignAllows, campaignRefusal } from "../domain/campaign-status";
import { CLAIMED, NOT_SENT, UNCONFIRMED } from "../domain/message-status";
import type { Role } from "../domain/roles";
import { checkSendGates } from "../domain/send-gates";
import { measureSms } from "../domain/sms-length";
import { sendFailureAdvice, type SendFailureKind } from "../domain/twilio-errors";
import { cardByEntry, gateFactsOf, nextInBatch, rulesOf, type CampaignRules, type CardRow } from "./card-rows";
import { mediaUrl } from "./media";
import { lockPhone, recordOptOut } from "./opt-outs";
import { recordAccepted } from "./send-results";
import { shortenLinksFor } from "./short-links";
import type { SmsGateway } from "./sms-gateway";
import { drawCardFrom, mayText, noteFor, setAside, type CardDraw, type CardNote } from "./texting";
import { CLAIM_SEND_SQL, LOCK_ENTRY_PHONE_SQL } from "./texting-sql";

/*
 * The Send click: the one way a campaign text leaves (see src/services/texting.ts for the cards).
 * Every gate is checked again in the transaction that claims the card's send intent, under a lock on
 * the recipient's number; Twilio is called only after that transaction committed.
 */

/** Failures after which the contact stays in the volunteer's batch; any other failure sets it aside. */
const STAY_IN_BATCH: ReadonlySet<SendFailureKind> = new Set([
  "twilio-busy",
  "twilio-unreachable",
  "sender-queue-full",
  "unregistered-sender",
  "sender-not-set-up",
]);

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
  input: SendInput,
  settings: SendSettings,
): Promise<SendOutcome> {
  return (await sendClick(db, gateway, input, settings, null)).outcome;
}

export interface SendInput {
  campaignContactId: string;
  intentId: string;
  volunteer: string;
  role: Role;
  now: Date;
}

/**
 * The Send click (sendCard), and the volunteer's next card to draw (drawCard) once the caller has
 * dealt with the outcome. The batch's next entry is read behind the claim's COMMIT, in the claim's
 * last round trip: a card is only a preview (the click re-checks everything under the lock), and the
 * entry just claimed is already sent. After a failed send the draw starts afresh, since the
 * contact may be back in the batch.
 */
export async function sendCardThenDraw(
  db: Database,
  gateway: SmsGateway,
  input: SendInput & { campaignId: string; sentInSession: number },
  settings: SendSettings,
): Promise<{ outcome: SendOutcome; drawNext(): Promise<CardDraw> }> {
  const { outcome, next } = await sendClick(db, gateway, input, settings, input.campaignId);
  const sent = outcome.kind === "sent" || outcome.kind === "unconfirmed";
  next?.catch(() => undefined); // unread after a failed send
  const drawNext = async () =>
    drawCardFrom(
      db,
      {
        campaignId: input.campaignId,
        volunteer: input.volunteer,
        role: input.role,
        now: input.now,
        notes: outcome.kind === "already-handled" ? [] : [outcome.note],
        sentInSession: input.sentInSession + (sent ? 1 : 0),
        publicUrl: settings.publicUrl,
      },
      // A read that failed behind the commit is made again.
      sent && next ? await next.catch(() => undefined) : undefined,
    );
  return { outcome, drawNext };
}

/** The click; with `drawFromCampaign`, also the volunteer's next entry in that campaign, read behind the claim's COMMIT. */
async function sendClick(
  db: Database,
  gateway: SmsGateway,
  input: SendInput,
  settings: SendSettings,
  drawFromCampaign: string | null,
): Promise<{ outcome: SendOutcome; next: Promise<CardRow | null> | null }> {
  const { campaignContactId, intentId, volunteer, now } = input;
  await mayText(db, { userId: volunteer, role: input.role, at: now });
  const claim = await db.sql.transaction(async (tx) => {
    // The lock and the read leave together. The read is a statement of its own, so it starts (and takes
    // its snapshot) only once the lock is held, and sees what the lock's previous holder committed.
    const [[locked], row] = await Promise.all([
      tx.query<{ locked: boolean }>(LOCK_ENTRY_PHONE_SQL, [campaignContactId]),
      cardByEntry(tx, campaignContactId, now, intentId),
    ]);
    if (!locked || !row)
      return { kind: "already-handled" as const, message: "This contact is no longer in the campaign." };
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
    const committed = tx.queryAndCommit(CLAIM_SEND_SQL, [
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
    ]);
    // Sent behind the COMMIT in the same write: the volunteer's next entry (see sendCardThenDraw).
    const next = drawFromCampaign
      ? nextInBatch({ query: tx.afterCommit }, drawFromCampaign, volunteer, now, true)
      : null;
    next?.catch(() => undefined); // awaited, if at all, once the transaction is over
    await committed;
    return {
      kind: "claimed" as const,
      next,
      messageId,
      row,
      campaign,
      body,
      validitySeconds: gate.validitySeconds,
    };
  });
  if (claim.kind !== "claimed") return { outcome: claim, next: null };
  return { outcome: await sendClaimed(db, gateway, input, settings, claim), next: claim.next };
}

/** Twilio, called once the claim committed, and what came of it recorded. */
async function sendClaimed(
  db: Database,
  gateway: SmsGateway,
  input: SendInput,
  settings: SendSettings,
  claim: { messageId: string; row: CardRow; campaign: CampaignRules; body: string; validitySeconds: number },
): Promise<SendOutcome> {
  const { campaignContactId, now } = input;
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
