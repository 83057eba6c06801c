import type { Database } from "../db/database";
import { abVerdict, type Verdict } from "../domain/ab-test";
import type { GoalProgress } from "../domain/goal-progress";
import { DELIVERED_STATUSES, FAILED_STATUSES, NOT_SENT } from "../domain/message-status";
import { roleAllows } from "../domain/roles";
import { requirePermission, type Actor } from "./actors";
import { ANSWERS_SQL, CONTACTS_SQL, LINKS_TRACKED_SQL, OUTBOUND_SQL, REPORT_SETTINGS } from "./campaign-results-sql";
import type { CampaignRecord } from "./campaigns";
import { goalProgressFor } from "./goal-progress";
import { campaignsTextedBy } from "./volunteer-campaigns";

/*
 * `/campaign report`: how a launched campaign is doing. The counterpart of the pre-launch report
 * (src/services/campaign-report.ts, `/campaign show`), with the same goal progress: texts sent,
 * delivered and failed (by Twilio error code), replies, opt-outs, link clicks and outcomes among the
 * contacts texted, each variant against A with a verdict (src/domain/ab-test.ts), the rates per day
 * for the chart, and what each volunteer did. Rates are per contact texted: a contact who replied
 * three times counts once. Every figure is counted in SQL (src/services/campaign-results-sql.ts).
 */

/** Texts of one Twilio error code (null: failed without a code). */
export interface FailureCount {
  code: number | null;
  count: number;
}

export interface OutboundFigures {
  /** Every outbound text of the campaign: first texts, follow-ups and thread replies. */
  attempted: number;
  /** Texts that left (all but those Twilio refused). */
  sent: number;
  delivered: number;
  failed: number;
  /** Failures by error code, most first. */
  failures: FailureCount[];
}

/** Contacts texted, and how many of them did each thing. */
export interface ContactFigures {
  texted: number;
  replied: number;
  optedOut: number;
  outcomes: number;
  /** Null when the campaign's texts carry no tracked link: clicks are not tracked, not zero. */
  clicked: number | null;
}

export interface VariantResults extends ContactFigures {
  variantId: string | null;
  label: string;
  /** Whether its first texts carry the campaign's media, as the campaign is set now; null for a variant since deleted. */
  withMedia: boolean | null;
  /** Against variant A; null for A itself. */
  replyVerdict: Verdict | null;
  outcomeVerdict: Verdict | null;
}

/** One local day's cohort: the contacts first texted that day with one variant. */
export interface DailyRates {
  date: string;
  variantId: string | null;
  label: string;
  texted: number;
  replied: number;
  optedOut: number;
}

export interface VolunteerActivity {
  volunteer: string;
  /** First texts and follow-ups that left. */
  textsSent: number;
  /** Voters' waits the volunteer ended with a reply. */
  repliesAnswered: number;
  medianAnswerSeconds: number | null;
}

export interface CampaignResults {
  campaign: CampaignRecord;
  outbound: OutboundFigures;
  contacts: ContactFigures;
  goal: GoalProgress;
  medianFirstReplySeconds: number | null;
  variants: VariantResults[];
  daily: DailyRates[];
  /** Most texts first. */
  volunteers: VolunteerActivity[];
  timeZone: string;
}

interface OutboundRow {
  status: string;
  errorCode: number | null;
  sentBy: string | null;
  initiated: boolean;
  n: number;
}

interface ContactsRow {
  /** The row carrying the median, not a variant and day. */
  total: boolean;
  variantId: string | null;
  day: string | null;
  texted: number;
  replied: number;
  optedOut: number;
  outcomes: number;
  clicked: number;
  medianReplySeconds: number | null;
}

interface AnswersRow {
  volunteer: string;
  answered: number;
  medianSeconds: number | null;
}

/**
 * Organizers read every campaign's report; a volunteer, those of the campaigns they text for
 * (src/services/volunteer-campaigns.ts). Anyone else is refused, and the refusal is audited.
 */
export async function requireReportAccess(db: Database, actor: Actor, campaign: CampaignRecord): Promise<void> {
  await requirePermission(db, actor, "campaigns.read", "reading campaign reports", { campaignId: campaign.id });
  if (roleAllows(actor.role, "reports.any-campaign")) return;
  if ((await campaignsTextedBy(db, actor.userId, [campaign.id])).has(campaign.id)) return;
  await requirePermission(db, actor, "reports.any-campaign", "reading the report of a campaign you don't text for", {
    campaignId: campaign.id,
    subject: campaign.name,
  });
}

export async function campaignResults(
  db: Database,
  campaign: CampaignRecord,
  actor: Actor,
  options: { timeZone: string },
): Promise<CampaignResults> {
  await requireReportAccess(db, actor, campaign);
  // Each statement in a transaction of its own (side by side on the pool) with the report's settings.
  const query = <R>(sql: string, params: unknown[]) =>
    db.sql.transaction(async (tx) => {
      for (const setting of REPORT_SETTINGS) await tx.query(setting);
      return tx.query<R>(sql, params);
    });
  const [outbound, contacts, answers, tracked, goals] = await Promise.all([
    query<OutboundRow>(OUTBOUND_SQL, [campaign.id]),
    query<ContactsRow>(CONTACTS_SQL, [[campaign.id], options.timeZone]),
    query<AnswersRow>(ANSWERS_SQL, [campaign.id]),
    query<{ tracked: boolean }>(LINKS_TRACKED_SQL, [campaign.id]),
    goalProgressFor(db, [campaign]),
  ]);
  const clicksTracked = tracked[0]?.tracked === true;
  const labels = new Map(campaign.scripts.map((s) => [s.id, s.label]));
  const labelOf = (id: string | null) => (id === null ? "no variant" : (labels.get(id) ?? "deleted variant"));
  const hasMedia = campaign.mediaUrls.length + campaign.mediaFileIds.length > 0;
  const withMedia = (id: string | null) => {
    const script = campaign.scripts.find((s) => s.id === id);
    return script ? hasMedia && !script.textOnly : null;
  };

  const total = contacts.find((r) => r.total);
  const cells = contacts.filter((r) => !r.total);
  const figures = (rows: readonly ContactsRow[]): ContactFigures => ({
    texted: sum(rows, (r) => r.texted),
    replied: sum(rows, (r) => r.replied),
    optedOut: sum(rows, (r) => r.optedOut),
    outcomes: sum(rows, (r) => r.outcomes),
    clicked: clicksTracked ? sum(rows, (r) => r.clicked) : null,
  });

  // Variants in the campaign's order (A first), then any contact texted with a variant since deleted.
  const initial = campaign.scripts.filter((s) => s.kind === "initial").map((s) => s.id as string | null);
  const seen = [...new Set(cells.map((r) => r.variantId))];
  const order = [...initial, ...seen.filter((id) => !initial.includes(id))];
  const byVariant = order.map((variantId) => ({
    variantId,
    ...figures(cells.filter((r) => r.variantId === variantId)),
  }));
  const base = byVariant[0];
  const variants: VariantResults[] = byVariant.map((v, i) => ({
    ...v,
    label: labelOf(v.variantId),
    withMedia: withMedia(v.variantId),
    replyVerdict:
      i === 0 || !base
        ? null
        : abVerdict({ sent: base.texted, successes: base.replied }, { sent: v.texted, successes: v.replied }),
    outcomeVerdict:
      i === 0 || !base || campaign.goalOutcomeTag === null
        ? null
        : abVerdict({ sent: base.texted, successes: base.outcomes }, { sent: v.texted, successes: v.outcomes }),
  }));

  const daily: DailyRates[] = cells
    .map((r) => ({
      date: r.day!,
      variantId: r.variantId,
      label: labelOf(r.variantId),
      texted: r.texted,
      replied: r.replied,
      optedOut: r.optedOut,
    }))
    .sort((a, b) => a.date.localeCompare(b.date) || a.label.localeCompare(b.label));

  return {
    campaign,
    outbound: outboundFigures(outbound),
    contacts: figures(cells),
    goal: goals.get(campaign.id)!,
    medianFirstReplySeconds: numberOrNull(total?.medianReplySeconds),
    variants,
    daily,
    volunteers: volunteerActivity(outbound, answers),
    timeZone: options.timeZone,
  };
}

function outboundFigures(rows: readonly OutboundRow[]): OutboundFigures {
  const failures = new Map<number | null, number>();
  for (const r of rows)
    if (FAILED_STATUSES.includes(r.status)) failures.set(r.errorCode, (failures.get(r.errorCode) ?? 0) + r.n);
  return {
    attempted: sum(rows, (r) => r.n),
    sent: sum(rows, (r) => (r.status === NOT_SENT ? 0 : r.n)),
    delivered: sum(rows, (r) => (DELIVERED_STATUSES.includes(r.status) ? r.n : 0)),
    failed: sum(rows, (r) => (FAILED_STATUSES.includes(r.status) ? r.n : 0)),
    failures: [...failures]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || (a.code ?? 0) - (b.code ?? 0)),
  };
}

function volunteerActivity(outbound: readonly OutboundRow[], answers: readonly AnswersRow[]): VolunteerActivity[] {
  const activity = new Map<string, VolunteerActivity>();
  const of = (volunteer: string) => {
    let a = activity.get(volunteer);
    if (!a) activity.set(volunteer, (a = { volunteer, textsSent: 0, repliesAnswered: 0, medianAnswerSeconds: null }));
    return a;
  };
  for (const r of outbound) if (r.sentBy && r.initiated && r.status !== NOT_SENT) of(r.sentBy).textsSent += r.n;
  for (const r of answers) {
    const a = of(r.volunteer);
    a.repliesAnswered = r.answered;
    a.medianAnswerSeconds = numberOrNull(r.medianSeconds);
  }
  return [...activity.values()].sort(
    (a, b) =>
      b.textsSent - a.textsSent || b.repliesAnswered - a.repliesAnswered || a.volunteer.localeCompare(b.volunteer),
  );
}

const sum = <T>(rows: readonly T[], of: (row: T) => number) => rows.reduce((total, row) => total + of(row), 0);
const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
