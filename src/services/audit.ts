import type { Database, Tx } from "../db/database";
import { newId } from "../db/ids";
import type { Prisma } from "../db/generated/client";
import type { Role } from "../domain/roles";

/*
 * The audit trail: who did what, when, to which campaign or segment, with before and after where
 * it applies. Written in the transaction of what it records, so an entry exists exactly when the
 * action happened (a refusal is recorded on its own: nothing else happened).
 */

export interface AuditEntry {
  /** Slack user id; null when the voter or the carrier acted (a STOP). */
  actor: string | null;
  role: Role | null;
  /** e.g. "campaign.launch", "segment.delete", "contacts.import", "opt-out", "opt-in". */
  action: string;
  outcome?: "done" | "refused";
  campaignId?: string | null;
  segmentId?: string | null;
  /** What it was about, in words: a name, a masked phone, a file name. */
  subject?: string | null;
  before?: Prisma.InputJsonValue;
  after?: Prisma.InputJsonValue;
}

type Writer = Pick<Tx, "auditEvent">;

/** The same entry as one plain statement, for work that runs on a plain SQL session (the import). */
export function auditStatement(entry: AuditEntry, at: Date): { sql: string; params: unknown[] } {
  return {
    sql: `INSERT INTO "AuditEvent" (id, at, actor, role, action, outcome, "campaignId", "segmentId", subject, before, after)
          VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::uuid, $8::uuid, $9, $10::jsonb, $11::jsonb)`,
    params: [
      newId(),
      at,
      entry.actor,
      entry.role,
      entry.action,
      entry.outcome ?? "done",
      entry.campaignId ?? null,
      entry.segmentId ?? null,
      entry.subject ?? null,
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
    ],
  };
}

export async function recordAudit(db: Writer, entry: AuditEntry, at: Date): Promise<void> {
  await db.auditEvent.create({
    data: {
      at,
      actor: entry.actor,
      role: entry.role,
      action: entry.action,
      outcome: entry.outcome ?? "done",
      campaignId: entry.campaignId ?? null,
      segmentId: entry.segmentId ?? null,
      subject: entry.subject ?? null,
      ...(entry.before === undefined ? {} : { before: entry.before }),
      ...(entry.after === undefined ? {} : { after: entry.after }),
    },
  });
}

export interface AuditLine {
  at: Date;
  actor: string | null;
  role: string | null;
  action: string;
  outcome: string;
  subject: string | null;
  before: unknown;
  after: unknown;
}

/** A campaign's latest entries, newest first, with webhook events given up that belong to no campaign (opt-outs). */
export function latestAudit(db: Database, campaignId: string, limit = 20): Promise<AuditLine[]> {
  return db.prisma.auditEvent.findMany({
    where: { OR: [{ campaignId }, { campaignId: null, action: "webhook.failed" }] },
    orderBy: { at: "desc" },
    take: limit,
    select: {
      at: true,
      actor: true,
      role: true,
      action: true,
      outcome: true,
      subject: true,
      before: true,
      after: true,
    },
  });
}
