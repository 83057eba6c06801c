import type { Database } from "../db/database";
import { digestDay, digestDirectKey, digestDue, digestKey, digestSoon, type DigestDay } from "../domain/daily-digest";
import type { GoalProgress } from "../domain/goal-progress";
import { NOT_SENT } from "../domain/message-status";
import { maskPhone } from "../domain/phone";
import { optedOutSql } from "../domain/suppression";
import type { Logger } from "../logger";
import { CAMPAIGN_FIELDS, type CampaignRecord } from "./campaigns";
import { nameOf, type SlackMessageJson } from "./conversation-threads";
import { dailyCapWarningsFor, type DailyCapWarnings } from "./frequency-warnings";
import { followUpsDue } from "./follow-ups-due";
import { fillPermalinks, type LinkWanted, type PermalinkSource } from "./digest-links";
import { goalProgressFor } from "./goal-progress";
import { linkClicksBetween } from "./short-links";
import { enqueueSlackPost } from "./slack-outbox";

/*
 * The daily digest: once a day, at the campaign's digest time in the organization's zone, each
 * running campaign's reply channel gets one post (who is waiting on us, follow-ups due, yesterday
 * in numbers, frequency-limit warnings), and each volunteer with conversations waiting gets a
 * direct message with just theirs. Every figure is counted in SQL for all due campaigns at once;
 * only the rows a post shows are read. The outbox's dedupe keys (campaign and local date) make it
 * one post whatever the number of processes, runs or restarts; a run after the digest time that
 * finds none queued for today posts it, so a process that was down at 09:30 catches up. The
 * threads' links are asked in the runs of the half hour before, so the post does not wait on Slack.
 */

/** Conversations the channel's digest lists by name; the rest are counted. */
export const DIGEST_LIST_SIZE = 10;
/** Conversations a volunteer's direct message lists by name: a short one. */
export const DIRECT_LIST_SIZE = 5;

// $1 the campaigns' ids, $2 how many to list per campaign, $3 per volunteer. Ranked once per
// campaign (the channel's list) and once per campaign and volunteer (their direct message).
const WAITING_SQL = `
SELECT w.* FROM (
  SELECT cv.id, cv."campaignId", cv.assignee, cv."waitingSince", cv."slackChannelId", cv."slackThreadTs", cv.permalink,
    ct."firstName", ct."lastName", ct.phone,
    row_number() OVER (PARTITION BY cv."campaignId" ORDER BY cv."waitingSince", cv.id)::int AS rank,
    row_number() OVER (PARTITION BY cv."campaignId", cv.assignee ORDER BY cv."waitingSince", cv.id)::int AS "assigneeRank",
    count(*) OVER (PARTITION BY cv."campaignId")::int AS total,
    count(*) OVER (PARTITION BY cv."campaignId", cv.assignee)::int AS "assigneeTotal"
  FROM "Conversation" cv JOIN "Contact" ct ON ct.id = cv."contactId"
  WHERE cv."campaignId" = ANY($1::uuid[]) AND cv."waitingSince" IS NOT NULL AND NOT ${optedOutSql("ct.phone")}
) w
WHERE w.rank <= $2 OR (w.assignee IS NOT NULL AND w."assigneeRank" <= $3)
ORDER BY w."campaignId", w."waitingSince", w.id`;

// Yesterday's texts ($2 to $3): outbound ones by the campaign they were sent for, inbound ones by
// their conversation's campaign. A text Twilio never sent is not "sent".
const YESTERDAY_TEXTS_SQL = `
SELECT t."campaignId",
  count(*) FILTER (WHERE t.direction = 'outbound' AND t.status <> '${NOT_SENT}')::int AS sent,
  count(*) FILTER (WHERE t.direction = 'outbound' AND t.status <> '${NOT_SENT}' AND t.initiated AND coalesce(t.step, 0) = 0)::int AS "firstTexts",
  count(*) FILTER (WHERE t.direction = 'outbound' AND t.status <> '${NOT_SENT}' AND t.initiated AND t.step > 0)::int AS "followUpTexts",
  count(*) FILTER (WHERE t.direction = 'inbound')::int AS replies,
  count(DISTINCT t."contactId") FILTER (WHERE t.direction = 'inbound')::int AS "repliedVoters"
FROM (
  SELECT CASE WHEN m.direction = 'outbound' THEN m."campaignId" ELSE cv."campaignId" END AS "campaignId",
    m.direction, m.status, m.initiated, m.step, m."contactId"
  FROM "Message" m LEFT JOIN "Conversation" cv ON cv.id = m."conversationId"
  WHERE m."createdAt" >= $2 AND m."createdAt" < $3
) t
WHERE t."campaignId" = ANY($1::uuid[])
GROUP BY t."campaignId"`;

// Numbers opted out yesterday ($2 to $3) that the campaign had texted.
const YESTERDAY_OPT_OUTS_SQL = `
SELECT cc."campaignId", count(*)::int AS n
FROM "OptOut" o
JOIN "Contact" c ON c.phone = o.phone
JOIN "CampaignContact" cc ON cc."contactId" = c.id AND cc."campaignId" = ANY($1::uuid[]) AND cc."firstTextAt" IS NOT NULL
WHERE o."createdAt" >= $2 AND o."createdAt" < $3
GROUP BY cc."campaignId"`;

// Not through Prisma's update: that would bump "updatedAt", which picks a voter's latest conversation.

/** One conversation waiting on a volunteer: the voter spoke last. */
export interface WaitingInDigest {
  conversationId: string;
  contactName: string;
  maskedPhone: string;
  waitingSince: Date;
  /** The volunteer in charge (Slack user id), or null when nobody took it. */
  assignee: string | null;
  /** The thread's permalink; null when the thread is not posted yet or Slack did not say. */
  link: string | null;
}

/** A list the post shows cut: the first few, and how many there are in all. */
export interface CutList<T> {
  total: number;
  shown: T[];
}

export interface YesterdayNumbers {
  /** The local date, "2026-11-02". */
  date: string;
  textsSent: number;
  firstTexts: number;
  followUpTexts: number;
  replies: number;
  repliedVoters: number;
  optOuts: number;
  /** Link clicks and the voters who clicked; null when the campaign's texts carry no short link. */
  linkClicks: { clicks: number; contacts: number } | null;
}

/** Everything one campaign's digest says; src/slack words it. */
export interface CampaignDigest {
  campaignId: string;
  campaignName: string;
  /** Today's local date, "2026-11-03", and the zone it is in. */
  date: string;
  timeZone: string;
  /** When it was gathered: ages are counted to this instant. */
  at: Date;
  /** Oldest first. */
  waiting: CutList<WaitingInDigest>;
  followUps: {
    /** Threads whose follow-up date is today or past. */
    threads: number;
    /** Follow-up texts a send card would offer now. */
    textsReady: number;
  };
  yesterday: YesterdayNumbers;
  /** Progress toward the campaign's goal (src/services/goal-progress.ts). */
  goal: GoalProgress;
  cap: DailyCapWarnings & { count: number; days: number };
}

/** One volunteer's share of the digest, for a direct message. */
export interface VolunteerDigest {
  campaignId: string;
  campaignName: string;
  /** The reply channel, where the threads are. */
  channelId: string;
  volunteer: string;
  date: string;
  at: Date;
  waiting: CutList<WaitingInDigest>;
}

/** How digests look (src/slack/blocks/digest.ts in the app). */
export interface DigestRenderer {
  campaign(digest: CampaignDigest): SlackMessageJson;
  volunteer(digest: VolunteerDigest): SlackMessageJson;
}

export interface DigestDeps {
  db: Database;
  clock: () => Date;
  logger: Logger;
  renderDigest: DigestRenderer;
  permalinks: PermalinkSource;
  settings: { orgTimeZone: string };
}

export interface DigestRun {
  /** Running campaigns whose digest time has come today and that had none queued yet. */
  due: number;
  /** Thread links asked for digests whose time is near. */
  permalinksAhead: number;
  /** Channel digests queued by this run (another process may have queued one meanwhile). */
  posted: number;
  directMessages: number;
  permalinksAsked: number;
  permalinksMissing: number;
}

interface TextsRow {
  campaignId: string;
  sent: number;
  firstTexts: number;
  followUpTexts: number;
  replies: number;
  repliedVoters: number;
}

interface WaitingRow {
  id: string;
  campaignId: string;
  assignee: string | null;
  waitingSince: Date;
  slackChannelId: string | null;
  slackThreadTs: string | null;
  permalink: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string;
  rank: number;
  assigneeRank: number;
  total: number;
  assigneeTotal: number;
}

type DueCampaign = CampaignRecord & { conversationChannelId: string };

/**
 * Queues today's digest of every running campaign whose digest time has passed in the
 * organization's zone and that has none queued for today, with one direct message per volunteer
 * who has conversations waiting. In the half hour before a campaign's time, asks the links of the
 * threads its digest would show.
 */
export async function postDailyDigests(deps: DigestDeps): Promise<DigestRun> {
  const now = deps.clock();
  const day = digestDay(now, deps.settings.orgTimeZone);
  const run: DigestRun = {
    due: 0,
    permalinksAhead: 0,
    posted: 0,
    directMessages: 0,
    permalinksAsked: 0,
    permalinksMissing: 0,
  };
  const { due, soon } = await campaignsByDigestTime(deps.db, day);
  if (soon.length > 0) {
    const ahead = await fillPermalinks(deps, linksWanted(await waitingByCampaign(deps.db, soon)));
    run.permalinksAhead = ahead.asked;
  }
  run.due = due.length;
  if (due.length === 0) return run;

  const waiting = await waitingByCampaign(
    deps.db,
    due.map((c) => c.id),
  );
  // Links not asked ahead (a process that was down then, a conversation waiting since) are asked meanwhile.
  const [gathered, links] = await Promise.all([
    gatherDigests(deps.db, due, waiting, day, now),
    fillPermalinks(deps, linksWanted(waiting)),
  ]);
  run.permalinksAsked = links.asked;
  run.permalinksMissing = links.missing;

  for (const campaign of due) {
    const { digest, volunteers } = gathered.get(campaign.id)!;
    const withLinks = <T extends { waiting: CutList<WaitingInDigest> }>(d: T): T => ({
      ...d,
      waiting: {
        ...d.waiting,
        shown: d.waiting.shown.map((w) => ({ ...w, link: links.found.get(w.conversationId) ?? w.link })),
      },
    });
    const queued = await deps.db.prisma.$transaction(async (tx) => {
      const post = await enqueueSlackPost(tx, {
        channel: campaign.conversationChannelId,
        method: "chat.postMessage",
        args: deps.renderDigest.campaign(withLinks(digest)),
        dedupeKey: digestKey(campaign.id, day.date),
      });
      // Another process queued today's digest meanwhile: its direct messages went with it.
      if (!post.created) return { posted: 0, direct: 0 };
      let direct = 0;
      for (const share of volunteers) {
        const dm = await enqueueSlackPost(tx, {
          channel: share.volunteer,
          method: "chat.postMessage",
          args: deps.renderDigest.volunteer(withLinks(share)),
          dedupeKey: digestDirectKey(campaign.id, share.volunteer, day.date),
        });
        if (dm.created) direct++;
      }
      return { posted: 1, direct };
    });
    run.posted += queued.posted;
    run.directMessages += queued.direct;
  }
  return run;
}

/**
 * Running campaigns with a reply channel: those whose digest time has come today and that have no
 * digest queued for today (due), and the ids of those whose time is near (soon).
 */
async function campaignsByDigestTime(db: Database, day: DigestDay): Promise<{ due: DueCampaign[]; soon: string[] }> {
  const running = await db.prisma.campaign.findMany({
    where: { status: "running", conversationChannelId: { not: null } },
    select: { id: true, digestMinute: true },
  });
  const soon = running.filter((c) => digestSoon(day, c.digestMinute)).map((c) => c.id);
  const timely = running.filter((c) => digestDue(day, c.digestMinute));
  if (timely.length === 0) return { due: [], soon };
  const queued = await db.prisma.slackOutbox.findMany({
    where: { dedupeKey: { in: timely.map((c) => digestKey(c.id, day.date)) } },
    select: { dedupeKey: true },
  });
  const done = new Set(queued.map((q) => q.dedupeKey));
  const ids = timely.filter((c) => !done.has(digestKey(c.id, day.date))).map((c) => c.id);
  if (ids.length === 0) return { due: [], soon };
  const records = await db.prisma.campaign.findMany({
    where: { id: { in: ids } },
    select: CAMPAIGN_FIELDS,
    orderBy: { name: "asc" },
  });
  const due = records.flatMap((c) =>
    c.status === "running" && c.conversationChannelId !== null
      ? [{ ...c, conversationChannelId: c.conversationChannelId }]
      : [],
  );
  return { due, soon };
}

/** The waiting conversations the posts may show, by campaign, oldest first. */
async function waitingByCampaign(db: Database, ids: string[]): Promise<Map<string, WaitingRow[]>> {
  const rows = await db.prisma.$queryRawUnsafe<WaitingRow[]>(WAITING_SQL, ids, DIGEST_LIST_SIZE, DIRECT_LIST_SIZE);
  const byCampaign = new Map<string, WaitingRow[]>();
  for (const w of rows) byCampaign.set(w.campaignId, [...(byCampaign.get(w.campaignId) ?? []), w]);
  return byCampaign;
}

/** What one campaign's posts show: the channel's list, and each volunteer's. */
function shownOf(rows: readonly WaitingRow[]): { listed: WaitingRow[]; volunteers: Map<string, WaitingRow[]> } {
  const listed = rows.filter((w) => w.rank <= DIGEST_LIST_SIZE);
  const volunteers = new Map<string, WaitingRow[]>();
  for (const w of rows) {
    if (w.assignee === null || w.assigneeRank > DIRECT_LIST_SIZE) continue;
    volunteers.set(w.assignee, [...(volunteers.get(w.assignee) ?? []), w]);
  }
  return { listed, volunteers };
}

/** Shown threads that are posted but whose link is not known yet: the channels' lists first, then the DMs'. */
function linksWanted(waiting: Map<string, WaitingRow[]>): LinkWanted[] {
  const channels: WaitingRow[] = [];
  const direct: WaitingRow[] = [];
  for (const rows of waiting.values()) {
    const { listed, volunteers } = shownOf(rows);
    channels.push(...listed);
    for (const mine of volunteers.values()) direct.push(...mine);
  }
  const wanted = new Map<string, LinkWanted>();
  for (const w of [...channels, ...direct]) {
    if (w.permalink !== null || w.slackChannelId === null || w.slackThreadTs === null) continue;
    wanted.set(w.id, { conversationId: w.id, channel: w.slackChannelId, ts: w.slackThreadTs });
  }
  return [...wanted.values()];
}

type Gathered = Map<string, { digest: CampaignDigest; volunteers: VolunteerDigest[] }>;

/** Every due campaign's digest, counted in one statement per figure for all of them. */
async function gatherDigests(
  db: Database,
  due: DueCampaign[],
  waiting: Map<string, WaitingRow[]>,
  day: DigestDay,
  now: Date,
): Promise<Gathered> {
  const ids = due.map((c) => c.id);
  const query = <R>(sql: string, ...params: unknown[]) => db.prisma.$queryRawUnsafe<R[]>(sql, ids, ...params);
  type Count = { campaignId: string; n: number };
  const [texts, optOuts, clicks, goals, followUps] = await Promise.all([
    query<TextsRow>(YESTERDAY_TEXTS_SQL, day.yesterday.start, day.yesterday.end),
    query<Count>(YESTERDAY_OPT_OUTS_SQL, day.yesterday.start, day.yesterday.end),
    linkClicksBetween(db, ids, day.yesterday.start, day.yesterday.end),
    goalProgressFor(db, due),
    followUpsDue(db, ids, { endOfToday: day.end, now }),
  ]);
  const optOutsBy = new Map(optOuts.map((r) => [r.campaignId, r.n]));
  const textsBy = new Map(texts.map((t) => [t.campaignId, t]));

  // The cap warnings have their own home, which counts them for every due campaign at once.
  const cap = await dailyCapWarningsFor(db, due, { since: day.yesterday.start, until: day.yesterday.end, now });

  const byCampaign: Gathered = new Map();
  for (const campaign of due) {
    const rows = waiting.get(campaign.id) ?? [];
    const item = (w: WaitingRow): WaitingInDigest => ({
      conversationId: w.id,
      contactName: nameOf(w, w.phone),
      maskedPhone: maskPhone(w.phone),
      waitingSince: new Date(w.waitingSince),
      assignee: w.assignee,
      link: w.permalink,
    });
    const { listed, volunteers } = shownOf(rows);
    const t = textsBy.get(campaign.id);
    const digest: CampaignDigest = {
      campaignId: campaign.id,
      campaignName: campaign.name,
      date: day.date,
      timeZone: day.timeZone,
      at: now,
      waiting: { total: rows[0]?.total ?? 0, shown: listed.map(item) },
      followUps: followUps.get(campaign.id)!,
      yesterday: {
        date: day.yesterday.date,
        textsSent: t?.sent ?? 0,
        firstTexts: t?.firstTexts ?? 0,
        followUpTexts: t?.followUpTexts ?? 0,
        replies: t?.replies ?? 0,
        repliedVoters: t?.repliedVoters ?? 0,
        optOuts: optOutsBy.get(campaign.id) ?? 0,
        linkClicks: clicks.get(campaign.id) ?? null,
      },
      goal: goals.get(campaign.id)!,
      cap: { ...cap.get(campaign.id)!, count: campaign.frequencyCapCount, days: campaign.frequencyCapDays },
    };
    byCampaign.set(campaign.id, {
      digest,
      volunteers: [...volunteers].map(([volunteer, mine]) => ({
        campaignId: campaign.id,
        campaignName: campaign.name,
        channelId: campaign.conversationChannelId,
        volunteer,
        date: day.date,
        at: now,
        waiting: { total: mine[0]!.assigneeTotal, shown: mine.map(item) },
      })),
    });
  }
  return byCampaign;
}
