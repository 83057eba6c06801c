import { randomUUID } from "node:crypto";
import type { Database, SqlRunner } from "../db/database";
import { campaignAllows } from "../domain/campaign-status";
import { maskPhone } from "../domain/phone";
import { checkSendGates, type Gate } from "../domain/send-gates";
import { previewShortLinks } from "../domain/short-links";
import { measureSms, type SmsMeasure } from "../domain/sms-length";
import { campaignRules, gateFactsOf, nextInBatch, rulesOf, type CampaignRules, type CardRow } from "./card-rows";
import type { Role } from "../domain/roles";
import { requirePermission, type Actor } from "./actors";
import { CLAIM_DEFERRED, CLAIM_FOLLOW_UPS, CLAIM_IDLE, CLAIM_PENDING, SET_ASIDE_SQL, SKIP_SQL } from "./texting-sql";

/**
 * P2P texting: volunteers claim contacts of a running campaign in batches and send each first
 * text with one click. Every gate (campaign running, still assigned, not opted out, inside the
 * recipient's hours, under the frequency cap, every merge field filled) is checked again in the
 * transaction that claims the card's send intent, under a lock on the recipient's number, so no
 * rule can be broken by a race. Nothing here sends: `sendCard` (send-card.ts), a click, is the only way out.
 */

export const DEFAULT_BATCH_SIZE = 50;
/** A batch left untouched this long returns to the pool for other volunteers. */
export const IDLE_BATCH_MS = 30 * 60_000;
/** Cards to try before giving up on finding a sendable one in one request. */
const MAX_CARDS_PER_DRAW = 200;

/** Only members of the workspace text voters (a refusal is recorded in the audit trail). */
export const mayText = (db: Database, actor: Actor, campaignId?: string) =>
  requirePermission(db, actor, "texts.send", "texting voters", { campaignId: campaignId ?? null });

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

const displayName = (c: { firstName?: string | null; lastName?: string | null }) =>
  [c.firstName, c.lastName].filter(Boolean).join(" ") || "(no name)";
export const noteFor = (
  contact: { firstName?: string | null; lastName?: string | null; phone: string },
  outcome: CardNote["outcome"],
  reason: string,
): CardNote => ({
  contactName: displayName(contact),
  maskedPhone: maskPhone(contact.phone),
  outcome,
  reason,
});

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
export async function setAside(
  db: SqlRunner,
  entryId: string,
  volunteer: string,
  gate: Extract<Gate, { ok: false }>,
  now: Date,
): Promise<boolean> {
  const updated = await db.query(SET_ASIDE_SQL, [
    entryId,
    volunteer,
    gate.outcome,
    gate.reason,
    now,
    gate.deferredUntil ?? null,
    gate.code,
  ]);
  return updated.length === 1;
}

export interface DrawInput {
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
}

/**
 * The volunteer's next sendable card: from their batch, claiming a new batch when it is empty.
 * Contacts a gate blocks are set aside on the way (skipped, or deferred until their window opens)
 * and reported in `notes`, so the volunteer sees why they were passed over.
 */
export function drawCard(db: Database, input: DrawInput): Promise<CardDraw> {
  return drawCardFrom(db, input, undefined);
}

/** drawCard, starting from the batch's first entry when it was already read (null: the batch was empty). */
export async function drawCardFrom(
  db: Database,
  input: DrawInput,
  firstRow: CardRow | null | undefined,
): Promise<CardDraw> {
  const { campaignId, volunteer, now } = input;
  await mayText(db, { userId: volunteer, role: input.role, at: now }, campaignId);
  const notes = [...(input.notes ?? [])];
  const sentInSession = input.sentInSession ?? 0;
  let campaign: CampaignRules | null = null;
  for (let tries = 0; tries < MAX_CARDS_PER_DRAW; tries++) {
    let row =
      tries === 0 && firstRow !== undefined
        ? firstRow
        : await nextInBatch(db.sql, campaignId, volunteer, now, tries === 0);
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
  const [entry] = await db.sql.query<{ firstName: string | null; lastName: string | null; phone: string }>(SKIP_SQL, [
    input.campaignContactId,
    input.volunteer,
    `skipped by <@${input.volunteer}>`,
    input.now,
  ]);
  return entry ? noteFor(entry, "skipped", "you skipped it") : null;
}
