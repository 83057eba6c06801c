import type { Database } from "../db/database";
import { compileReachableAudience } from "../domain/audience-sql";
import { capFreesAtSql, textsTowardCapByPhoneSql } from "../domain/frequency-cap";
import { audienceFilterOf, type CampaignRecord } from "./campaigns";

/*
 * Frequency-limit warnings, counted with the same cap rule the send gate uses
 * (src/domain/frequency-cap.ts), so the numbers agree with what the cards then skip.
 */

export interface CapExposure {
  /** Contacts that would still get a text from this campaign. */
  considered: number;
  /** Texts the campaign plans per contact: the first text and its follow-ups. */
  plannedTexts: number;
  /** Already at the cap now: their next text would be skipped today. */
  atCap: number;
  /** Whose remaining texts from this campaign would not all fit under the cap (at cap now included). */
  wouldBeCapped: number;
  /** When those at the cap now have room again: the first of them, and all of them. */
  freesUp: { first: Date; last: Date } | null;
}

/** Share of the audience at the cap above which a launch asks the organizer to confirm. */
export const CONFIRM_LAUNCH_ABOVE = 0.5;

/**
 * The audience's exposure to the cap at `now`: before launch, the segment's reachable contacts;
 * after, the entries still expecting a text (not yet texted, or texted with follow-ups to come).
 */
export async function capExposure(db: Database, campaign: CampaignRecord, now: Date): Promise<CapExposure | null> {
  const followUps = campaign.scripts.filter((s) => s.kind === "follow_up").length;
  const plannedTexts = 1 + followUps;
  const cap = { count: campaign.frequencyCapCount, days: campaign.frequencyCapDays };
  // $1 now, $2 cap days, $3 cap count, then the audience's own.
  let audience: string;
  let params: unknown[];
  if (campaign.status === "draft") {
    const filter = audienceFilterOf(campaign);
    if (!filter) return null;
    const compiled = compileReachableAudience(filter, { paramOffset: 3 });
    audience = `SELECT c.phone, ${plannedTexts}::int AS remaining FROM "Contact" c WHERE ${compiled.where}`;
    params = compiled.params;
  } else {
    // Texts still to come: the rest of the sequence, minus the step already sent.
    audience = `SELECT c.phone, ($5::int + 1 - cc.step - CASE WHEN cc.status = 'sent' THEN 1 ELSE 0 END) AS remaining
      FROM "CampaignContact" cc JOIN "Contact" c ON c.id = cc."contactId"
      WHERE cc."campaignId" = $4::uuid
        AND (cc.status IN ('pending', 'assigned', 'deferred') OR (cc.status = 'sent' AND cc.step < $5::int))`;
    params = [campaign.id, followUps];
  }
  const [row] = await db.prisma.$queryRawUnsafe<
    { considered: number; atCap: number; wouldBeCapped: number; first: Date | null; last: Date | null }[]
  >(
    `WITH counts AS (${textsTowardCapByPhoneSql({ now: "$1::timestamptz", days: "$2::int" })}),
     aud AS (${audience}),
     capped AS (SELECT aud.phone FROM aud JOIN counts k ON k.phone = aud.phone WHERE k.texts >= $3::int),
     frees AS (SELECT ${capFreesAtSql({ phone: "capped.phone", now: "$1::timestamptz", days: "$2::int", count: "$3::int" })} AS at FROM capped)
     SELECT count(*)::int AS considered,
       count(*) FILTER (WHERE coalesce(k.texts, 0) >= $3::int)::int AS "atCap",
       count(*) FILTER (WHERE coalesce(k.texts, 0) + aud.remaining > $3::int)::int AS "wouldBeCapped",
       (SELECT min(at) FROM frees) AS first, (SELECT max(at) FROM frees) AS last
     FROM aud LEFT JOIN counts k ON k.phone = aud.phone`,
    now,
    cap.days,
    cap.count,
    ...params,
  );
  if (!row) return null;
  return {
    considered: row.considered,
    plannedTexts,
    atCap: row.atCap,
    wouldBeCapped: row.wouldBeCapped,
    freesUp: row.first && row.last ? { first: new Date(row.first), last: new Date(row.last) } : null,
  };
}

/** Whether a launch should ask first: most of the audience is at the cap now. */
export function launchNeedsConfirmation(exposure: CapExposure | null): boolean {
  return !!exposure && exposure.considered > 0 && exposure.atCap / exposure.considered > CONFIRM_LAUNCH_ABOVE;
}

export interface DailyCapWarnings {
  /** Contacts this campaign skipped for the cap in [since, until). */
  skippedForCap: number;
  /** Contacts still expecting a text who have room for exactly one more. */
  oneFromCap: number;
  /** Other running campaigns sharing at least `minShare` of this one's audience, largest first. */
  overlaps: { campaign: string; shared: number; share: number }[];
}

/** What the daily digest warns about the cap for one running campaign. */
export async function dailyCapWarnings(
  db: Database,
  campaign: CampaignRecord,
  window: { since: Date; until: Date; now: Date },
  minShare = 0.1,
): Promise<DailyCapWarnings> {
  return (await dailyCapWarningsFor(db, [campaign], window, minShare)).get(campaign.id)!;
}

/**
 * dailyCapWarnings for many campaigns at once (the daily digest's run): one statement per figure
 * for all of them, and one count of texts toward the cap per cap length, instead of one per campaign.
 */
export async function dailyCapWarningsFor(
  db: Database,
  campaigns: readonly CampaignRecord[],
  window: { since: Date; until: Date; now: Date },
  minShare = 0.1,
): Promise<Map<string, DailyCapWarnings>> {
  const ids = campaigns.map((c) => c.id);
  const followUpsOf = (c: CampaignRecord) => c.scripts.filter((s) => s.kind === "follow_up").length;
  const byCapDays = new Map<number, CampaignRecord[]>();
  for (const c of campaigns) byCapDays.set(c.frequencyCapDays, [...(byCapDays.get(c.frequencyCapDays) ?? []), c]);
  const [skipped, overlaps, ...oneFromCap] = await Promise.all([
    db.prisma.campaignContact.groupBy({
      by: ["campaignId"],
      _count: { _all: true },
      where: { campaignId: { in: ids }, skipCode: "cap", updatedAt: { gte: window.since, lt: window.until } },
    }),
    db.prisma.$queryRawUnsafe<{ campaignId: string; campaign: string; shared: number; total: number }[]>(
      `WITH mine AS (SELECT "campaignId", "contactId" FROM "CampaignContact" WHERE "campaignId" = ANY($1::uuid[])),
       totals AS (SELECT "campaignId", count(*)::int AS total FROM mine GROUP BY "campaignId"),
       shared AS (
         SELECT mine."campaignId", other.name AS campaign, count(*)::int AS shared
         FROM mine JOIN "CampaignContact" o ON o."contactId" = mine."contactId" AND o."campaignId" <> mine."campaignId"
         JOIN "Campaign" other ON other.id = o."campaignId" AND other.status = 'running'
         GROUP BY mine."campaignId", other.name),
       ranked AS (
         SELECT shared.*, row_number() OVER (PARTITION BY shared."campaignId" ORDER BY shared.shared DESC, shared.campaign) AS n
         FROM shared)
       SELECT ranked."campaignId", ranked.campaign, ranked.shared, totals.total
       FROM ranked JOIN totals ON totals."campaignId" = ranked."campaignId"
       WHERE ranked.n <= 10 ORDER BY ranked."campaignId", ranked.n`,
      ids,
    ),
    // Per cap length: $1 now, $2 days; each campaign with its own cap count and follow-ups.
    ...[...byCapDays].map(([days, group]) =>
      db.prisma.$queryRawUnsafe<{ campaignId: string; n: number }[]>(
        // Materialized: joined in this order (entries to their phone's count), not counts to every campaign first.
        `WITH counts AS MATERIALIZED (${textsTowardCapByPhoneSql({ now: "$1::timestamptz", days: "$2::int" })}),
         entries AS MATERIALIZED (
           SELECT cc."campaignId", c.phone, p.cap_count
           FROM unnest($3::uuid[], $4::int[], $5::int[]) AS p(id, cap_count, follow_ups)
           JOIN "CampaignContact" cc ON cc."campaignId" = p.id
           JOIN "Contact" c ON c.id = cc."contactId"
           WHERE cc.status IN ('pending', 'assigned', 'deferred') OR (cc.status = 'sent' AND cc.step < p.follow_ups))
         SELECT e."campaignId", count(*)::int AS n
         FROM entries e JOIN counts k ON k.phone = e.phone AND k.texts = e.cap_count - 1
         GROUP BY e."campaignId"`,
        window.now,
        days,
        group.map((c) => c.id),
        group.map((c) => c.frequencyCapCount),
        group.map(followUpsOf),
      ),
    ),
  ]);
  const skippedBy = new Map(skipped.map((s) => [s.campaignId, s._count._all]));
  const oneBy = new Map(oneFromCap.flat().map((o) => [o.campaignId, o.n]));
  return new Map(
    campaigns.map((campaign) => [
      campaign.id,
      {
        skippedForCap: skippedBy.get(campaign.id) ?? 0,
        oneFromCap: oneBy.get(campaign.id) ?? 0,
        overlaps: overlaps
          .filter((o) => o.campaignId === campaign.id)
          .map((o) => ({ campaign: o.campaign, shared: o.shared, share: o.total ? o.shared / o.total : 0 }))
          .filter((o) => o.share >= minShare),
      },
    ]),
  );
}
