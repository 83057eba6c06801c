import pino from "pino";
import type { Database } from "../../../src/db/database";
import { campaignById } from "../../../src/services/campaigns";
import {
  postDailyDigests,
  type CampaignDigest,
  type DigestDeps,
  type VolunteerDigest,
} from "../../../src/services/daily-digest";
import { dailyCapWarnings } from "../../../src/services/frequency-warnings";
import { slackDigestRenderer } from "../../../src/slack/blocks/digest";
import { launchedCampaign } from "../../support/campaigns";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const HOUR = 3_600_000;
const SENDER = "+12125550199";
const REPLIES = "C0REPLIES";
const ANA = "U0ANA";
const BEN = "U0BEN";
/** Tuesday Nov 3 2026, 09:45 in New York; yesterday is Nov 2 from 05:00 to 05:00 UTC. */
const NOW = new Date("2026-11-03T14:45:00Z");
const YESTERDAY_NOON = new Date("2026-11-02T17:00:00Z");
const phone = (i: number) => `+1212555${String(5000 + i)}`;
const threadTs = (i: number) => `1700000000.${String(100 + i).padStart(6, "0")}`;

describe.each(BACKENDS)("daily digest (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let now = NOW;
  const seen: { campaigns: CampaignDigest[]; volunteers: VolunteerDigest[] } = { campaigns: [], volunteers: [] };
  const asked: string[] = [];
  const deps = (): DigestDeps => ({
    db,
    clock: () => now,
    logger: pino({ level: "silent" }),
    settings: { orgTimeZone: "America/New_York" },
    renderDigest: {
      campaign: (d) => (seen.campaigns.push(d), slackDigestRenderer.campaign(d)),
      volunteer: (d) => (seen.volunteers.push(d), slackDigestRenderer.volunteer(d)),
    },
    permalinks: {
      async permalink(channel, ts) {
        asked.push(ts);
        if (ts === threadTs(5)) return null; // Slack did not say
        if (ts === threadTs(6)) throw new Error("socket hang up");
        return `https://fake-team.slack.com/archives/${channel}/p${ts.replace(".", "")}`;
      },
    },
  });
  let a: { id: string; name: string };
  let b: { id: string; name: string };
  const contactIds: string[] = [];
  const conversationIds: string[] = [];

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    // c0–c19 are in Digest A's audience; c10–c19 in Digest B's too; c20 in the paused Digest C's.
    for (let i = 0; i <= 20; i++) {
      const tags = i === 20 ? ["dgc"] : i >= 10 ? ["dga", "dgb"] : ["dga"];
      const contact = await db.prisma.contact.create({
        data: { phone: phone(i), firstName: `Voter${i}`, lastName: "Doe", zip: "10001", tags },
      });
      contactIds.push(contact.id);
    }
    a = await launchedCampaign(db, {
      name: "Digest A",
      tag: "dga",
      createdBy: "U0ORG",
      form: { followUps: ["Checking in: will you vote on Nov 3? Reply STOP to opt out.", ""] },
    });
    b = await launchedCampaign(db, {
      name: "Digest B",
      tag: "dgb",
      createdBy: "U0ORG",
      form: { channelId: "C0OTHER", digestTime: "1200" },
    });
    const c = await launchedCampaign(db, { name: "Digest C", tag: "dgc", createdBy: "U0ORG" });
    await db.prisma.campaign.update({ where: { id: c.id }, data: { status: "paused" } });
    await db.prisma.conversation.create({
      data: { campaignId: c.id, contactId: contactIds[20]!, waitingSince: new Date(NOW.getTime() - HOUR) },
    });

    // Digest A: c0–c12 wait on us, in an order that is not the order they were made in; Ana holds
    // eleven, Ben one, nobody the last; c12's thread is not posted yet.
    for (let i = 0; i <= 18; i++) {
      const waits = i <= 13;
      const cv = await db.prisma.conversation.create({
        data: {
          campaignId: a.id,
          contactId: contactIds[i]!,
          waitingSince: waits ? new Date(NOW.getTime() - (((i * 7) % 13) + 1) * HOUR) : null,
          assignee: i <= 10 ? ANA : i === 11 ? BEN : null,
          slackChannelId: i === 12 ? null : REPLIES,
          slackThreadTs: i === 12 ? null : threadTs(i),
          tags: i === 14 || i === 15 ? ["pledged"] : i === 16 ? ["undecided"] : [],
          // Follow-ups: c14 later today, c15 overdue since yesterday, c16 tomorrow.
          followUpAt:
            i === 14
              ? new Date("2026-11-03T20:00:00Z")
              : i === 15
                ? YESTERDAY_NOON
                : i === 16
                  ? new Date("2026-11-04T15:00:00Z")
                  : null,
        },
      });
      conversationIds.push(cv.id);
    }
    // Digest B's own waiting conversation, with c10.
    await db.prisma.conversation.create({
      data: {
        campaignId: b.id,
        contactId: contactIds[10]!,
        waitingSince: new Date(NOW.getTime() - 30 * HOUR),
        assignee: BEN,
      },
    });

    // Opt-outs: c13 (waiting) yesterday, c18 two days ago, c19 (never texted by A) yesterday.
    await db.prisma.optOut.createMany({
      data: [
        { phone: phone(13), source: "keyword", createdAt: YESTERDAY_NOON },
        { phone: phone(18), source: "keyword", createdAt: new Date(NOW.getTime() - 48 * HOUR) },
        { phone: phone(19), source: "keyword", createdAt: YESTERDAY_NOON },
      ],
    });

    // A's queue: c0–c9, c13 and c18 got their first text three days ago (follow-up 1 is due after 2);
    // c17 only yesterday. c19 was skipped for the cap yesterday, c16 two days ago.
    const threeDaysAgo = new Date(NOW.getTime() - 72 * HOUR);
    const sentIds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 18].map((i) => contactIds[i]!);
    await db.prisma.campaignContact.updateMany({
      where: { campaignId: a.id, contactId: { in: sentIds } },
      data: { status: "sent", step: 0, firstTextAt: threeDaysAgo, lastTextAt: threeDaysAgo },
    });
    await db.prisma.campaignContact.updateMany({
      where: { campaignId: a.id, contactId: contactIds[17]! },
      data: { status: "sent", step: 0, firstTextAt: YESTERDAY_NOON, lastTextAt: YESTERDAY_NOON },
    });
    for (const [i, at] of [
      [19, YESTERDAY_NOON],
      [16, new Date(NOW.getTime() - 48 * HOUR)],
    ] as const) {
      await db.prisma.$executeRawUnsafe(
        `UPDATE "CampaignContact" SET status = 'skipped', "skipCode" = 'cap', "updatedAt" = $3 WHERE "campaignId" = $1::uuid AND "contactId" = $2::uuid`,
        a.id,
        contactIds[i]!,
        at,
      );
    }

    // Yesterday's texts for A: three first texts, a follow-up, a reply in a thread; a failed one,
    // one just before yesterday began and one at today's midnight do not count, nor B's.
    const out = (
      i: number,
      extra: { initiated?: boolean; step?: number | null; status?: string; at?: Date; campaign?: string },
    ) => ({
      direction: "outbound" as const,
      contactId: contactIds[i]!,
      campaignId: extra.campaign ?? a.id,
      fromPhone: SENDER,
      toPhone: phone(i),
      body: "text",
      status: extra.status ?? "delivered",
      initiated: extra.initiated ?? true,
      step: extra.step === undefined ? 0 : extra.step,
      createdAt: extra.at ?? YESTERDAY_NOON,
    });
    const inbound = (i: number, conversationId: string | null, at = YESTERDAY_NOON) => ({
      direction: "inbound" as const,
      contactId: contactIds[i]!,
      conversationId,
      fromPhone: phone(i),
      toPhone: SENDER,
      body: "yes",
      status: "received",
      createdAt: at,
    });
    const bConversation = await db.prisma.conversation.findFirstOrThrow({ where: { campaignId: b.id } });
    // Link clicks on A's short links: two people yesterday (one of them twice), one the day before; B has no short link.
    const link = (i: number) =>
      db.prisma.shortLink.create({
        data: {
          code: `dg${i}code00`,
          targetUrl: "https://vote.example.org",
          campaignId: a.id,
          contactId: contactIds[i]!,
        },
      });
    const [l1, l2] = [await link(1), await link(2)];
    await db.prisma.linkClick.createMany({
      data: [
        { shortLinkId: l1.id, contactId: contactIds[1]!, clickedAt: YESTERDAY_NOON },
        { shortLinkId: l1.id, contactId: contactIds[1]!, clickedAt: YESTERDAY_NOON },
        { shortLinkId: l2.id, contactId: contactIds[2]!, clickedAt: YESTERDAY_NOON },
        { shortLinkId: l2.id, contactId: contactIds[2]!, clickedAt: new Date(YESTERDAY_NOON.getTime() - 86_400_000) },
      ],
    });
    await db.prisma.message.createMany({
      data: [
        out(2, {}),
        out(3, {}),
        out(4, {}),
        out(5, { step: 1 }),
        out(0, { initiated: false, step: null }),
        out(6, { status: "failed" }),
        out(7, { at: new Date("2026-11-02T04:59:00Z") }),
        out(8, { at: new Date("2026-11-03T05:00:00Z") }),
        out(11, { campaign: b.id }),
        inbound(0, conversationIds[0]!),
        inbound(0, conversationIds[0]!, new Date("2026-11-02T22:00:00Z")),
        inbound(1, conversationIds[1]!),
        inbound(10, bConversation.id),
        inbound(9, null),
      ],
    });
  });
  afterAll(() => db?.dispose());
  beforeEach(() => {
    seen.campaigns.length = 0;
    seen.volunteers.length = 0;
    asked.length = 0;
  });

  const digestPosts = () =>
    db.prisma.slackOutbox.findMany({
      where: { dedupeKey: { startsWith: "digest" } },
      select: { channel: true, dedupeKey: true },
    });

  it("posts nothing before the campaign's digest time, and asks the links of the threads it will show in the half hour before", async () => {
    now = new Date("2026-11-03T13:59:00Z"); // 08:59
    expect(await postDailyDigests(deps())).toEqual({
      due: 0,
      permalinksAhead: 0,
      posted: 0,
      directMessages: 0,
      permalinksAsked: 0,
      permalinksMissing: 0,
    });
    expect(asked).toEqual([]);
    now = new Date("2026-11-03T14:29:00Z"); // 09:29
    const updatedBefore = await db.prisma.conversation.findMany({
      where: { campaignId: a.id },
      select: { id: true, updatedAt: true },
    });
    // The ten oldest (Ana's five and Ben's one among them), less the thread not posted yet.
    expect(await postDailyDigests(deps())).toMatchObject({ due: 0, permalinksAhead: 9, posted: 0 });
    expect(asked.sort()).toEqual([11, 9, 7, 5, 3, 1, 10, 8, 6].map(threadTs).sort());
    expect(await digestPosts()).toEqual([]);
    const stored = await db.prisma.conversation.findMany({
      where: { campaignId: a.id, permalink: { not: null } },
      select: { id: true, updatedAt: true, permalink: true },
    });
    // A lookup that failed stores nothing; storing a link does not make the conversation the voter's latest.
    expect(stored).toHaveLength(7);
    for (const s of stored) expect(s.updatedAt).toEqual(updatedBefore.find((u) => u.id === s.id)!.updatedAt);
  });

  it("gathers who waits oldest first with ages, what is due, yesterday's numbers and the cap warnings, and queues one post and one DM per volunteer", async () => {
    now = NOW;
    const run = await postDailyDigests(deps());
    expect(run).toMatchObject({ due: 1, posted: 1, directMessages: 2 });
    expect(seen.campaigns).toHaveLength(1);
    const digest = seen.campaigns[0]!;

    // Waiting: c0–c12 (not c13, opted out; not the answered ones; not B's or C's), oldest first, cut at 10.
    const waitedHours = (i: number) => ((i * 7) % 13) + 1;
    const expectedOrder = Array.from({ length: 13 }, (_, i) => i).sort((x, y) => waitedHours(y) - waitedHours(x));
    expect(digest.waiting.total).toBe(13);
    expect(digest.waiting.shown.map((w) => w.contactName)).toEqual(
      expectedOrder.slice(0, 10).map((i) => `Voter${i} Doe`),
    );
    expect(digest.waiting.shown.map((w) => (NOW.getTime() - w.waitingSince.getTime()) / HOUR)).toEqual(
      expectedOrder.slice(0, 10).map(waitedHours),
    );
    expect(digest.waiting.shown[0]).toMatchObject({ maskedPhone: "•••-•••-5011", assignee: BEN });

    expect(digest).toMatchObject({
      campaignName: "Digest A",
      date: "2026-11-03",
      timeZone: "America/New_York",
      followUps: { threads: 2, textsReady: 7 },
      yesterday: {
        date: "2026-11-02",
        textsSent: 5,
        firstTexts: 3,
        followUpTexts: 1,
        replies: 3,
        repliedVoters: 2,
        optOuts: 1,
        linkClicks: { clicks: 3, contacts: 2 },
      },
      goal: { outcomeTag: "pledged", target: 10, reached: 2, share: 0.2 },
    });
    const record = (await campaignById(db, a.id))!;
    const warnings = await dailyCapWarnings(db, record, {
      since: new Date("2026-11-02T05:00:00Z"),
      until: new Date("2026-11-03T05:00:00Z"),
      now: NOW,
    });
    expect(digest.cap).toEqual({ ...warnings, count: 3, days: 7 });
    expect(digest.cap.skippedForCap).toBe(1);
    expect(digest.cap.overlaps).toEqual([{ campaign: "Digest B", shared: 10, share: 0.5 }]);

    // Each volunteer gets just theirs: Ana eleven (five shown), Ben one; nobody for the unassigned one.
    const byVolunteer = Object.fromEntries(seen.volunteers.map((v) => [v.volunteer, v]));
    expect(Object.keys(byVolunteer).sort()).toEqual([ANA, BEN]);
    expect(byVolunteer[ANA]!.waiting.total).toBe(11);
    expect(byVolunteer[ANA]!.waiting.shown.map((w) => w.contactName)).toEqual(
      [9, 7, 5, 3, 1].map((i) => `Voter${i} Doe`),
    );
    expect(byVolunteer[ANA]!.waiting.shown.every((w) => w.assignee === ANA)).toBe(true);
    expect(byVolunteer[BEN]!.waiting).toMatchObject({ total: 1, shown: [{ contactName: "Voter11 Doe" }] });
    expect(byVolunteer[BEN]!.channelId).toBe(REPLIES);

    // Links: those asked ahead are used; the failed ones are asked again and left out; a thread not posted yet has none.
    const shown = [...digest.waiting.shown, ...seen.volunteers.flatMap((v) => v.waiting.shown)];
    const linkOf = (i: number) => shown.find((w) => w.contactName === `Voter${i} Doe`)?.link;
    expect(linkOf(9)).toBe(`https://fake-team.slack.com/archives/${REPLIES}/p1700000000000109`);
    expect(linkOf(12)).toBeNull();
    expect([linkOf(5), linkOf(6)]).toEqual([null, null]);
    expect(asked.sort()).toEqual([threadTs(5), threadTs(6)].sort());
    expect(run).toMatchObject({ permalinksAhead: 0, permalinksAsked: 2, permalinksMissing: 2 });

    const posts = await digestPosts();
    expect(posts).toHaveLength(3);
    expect(posts).toEqual(
      expect.arrayContaining([
        { channel: REPLIES, dedupeKey: `digest:${a.id}:2026-11-03` },
        { channel: ANA, dedupeKey: `digest-dm:${a.id}:${ANA}:2026-11-03` },
        { channel: BEN, dedupeKey: `digest-dm:${a.id}:${BEN}:2026-11-03` },
      ]),
    );
  });

  it("posts once a day: later runs add nothing, and a campaign with a later time posts when it comes", async () => {
    now = new Date("2026-11-03T16:00:00Z");
    expect(await postDailyDigests(deps())).toMatchObject({ due: 0, posted: 0 });
    expect(asked).toEqual([]);
    // 20:05 in New York: Digest B's time (20:00) has come; A's digest is not posted again.
    now = new Date("2026-11-04T01:05:00Z");
    expect(await postDailyDigests(deps())).toMatchObject({ due: 1, posted: 1, directMessages: 1 });
    expect(seen.campaigns.map((d) => d.campaignName)).toEqual(["Digest B"]);
    expect(seen.campaigns[0]!.waiting.total).toBe(1);
    expect(seen.campaigns[0]!.yesterday).toMatchObject({ textsSent: 1, replies: 1 });
    expect(seen.volunteers.map((v) => [v.volunteer, v.waiting.total])).toEqual([[BEN, 1]]);
    expect((await digestPosts()).map((p) => p.dedupeKey)).toHaveLength(5);
  });

  it("posts the next day's digest under its own date, asking Slack only for links it does not have", async () => {
    now = new Date("2026-11-04T14:31:00Z");
    const run = await postDailyDigests(deps());
    expect(run).toMatchObject({ due: 1, posted: 1 });
    // The text at midnight opening Nov 3 counts for Nov 3.
    expect(seen.campaigns[0]!.yesterday).toMatchObject({ date: "2026-11-03", textsSent: 1, replies: 0, optOuts: 0 });
    expect(asked.sort()).toEqual([threadTs(5), threadTs(6)].sort());
    const keys = (await digestPosts()).map((p) => p.dedupeKey);
    expect(keys).toContain(`digest:${a.id}:2026-11-04`);
    expect(keys).not.toContain(`digest:${b.id}:2026-11-04`);
  });
});
