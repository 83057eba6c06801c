import pino from "pino";
import { jobDeps, startApp, type RunningApp } from "../../src/app";
import { JOBS, runJob, type JobOutcome } from "../../src/jobs/scheduler";
import { postDailyDigests } from "../../src/services/daily-digest";
import type { SmsGateway } from "../../src/services/sms-gateway";
import { blockActionsPayload, interactionBody, postToSlackApp } from "../fakes/signing";
import type { SlackCall } from "../fakes/slack-api";
import { SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { createPostgresDatabase } from "../support/databases";

/*
 * The daily digest end to end: the real app (twice on one PostgreSQL, then restarted), its clock
 * set by the test, Slack and Twilio answered by the fakes. Jobs run through runJob and the
 * scheduler's run at boot, never by waiting for cron.
 */

const ORGANIZER = "U0ORGANIZER";
const ANA = "U0ANA";
const REPLIES = "C0REPLIES";
const SCALED_RATE = { perSecond: 50, burst: 3 };
const JOB = JOBS.find((j) => j.name === "post-daily-digests")!;
/** Tuesday Nov 3 2026 in New York (EST, UTC-5). */
const at = (time: string, date = "2026-11-03") => new Date(`${date}T${time}-05:00`);

type Block = {
  type: string;
  text?: { text: string };
  elements?: { text?: string; action_id?: string; value?: string }[];
  accessory?: { action_id: string; value: string };
};
type Posted = { text?: string; blocks?: Block[]; response_type?: string; replace_original?: unknown };

describe("daily digest through the fakes (postgres)", () => {
  let h: Harness;
  let now = at("09:00");
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const extraApps: RunningApp[] = [];
  let campaignId: string;

  const startAnother = async () => {
    const app = await startApp(h.config, logger, { clock: () => now, slackChannelRate: SCALED_RATE });
    extraApps.push(app);
    return app;
  };
  const depsOf = (app: RunningApp) =>
    jobDeps({ db: app.db, logger, sms: {} as SmsGateway, clock: () => now }, h.config);
  /** Runs the job in `app`'s process once it is free: its run at boot may hold the lock at first. */
  async function runWhenFree(app: RunningApp): Promise<Extract<JobOutcome, { ran: true }>> {
    for (let tries = 0; tries < 200; tries++) {
      const outcome = await runJob(depsOf(app), JOB);
      if (outcome.ran) return outcome;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the digest job never got its lock");
  }
  const posted = (channel: string) =>
    h.slack
      .callsTo("chat.postMessage")
      .filter((c) => c.args.channel === channel && c.status === 200 && String(c.args.text).startsWith("Daily digest"));
  const directMessages = () =>
    h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === ANA && c.status === 200);
  const queuedDigests = () =>
    h.app.db.prisma.slackOutbox.findMany({
      where: { dedupeKey: { startsWith: "digest" } },
      select: { dedupeKey: true },
    });
  async function drained(app: RunningApp): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      if ((await app.db.prisma.slackOutbox.count({ where: { status: "queued" } })) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("the outbox did not drain");
  }
  const textOf = (call: SlackCall) =>
    ((call.args.blocks as Block[]) ?? [])
      .map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(" "))
      .join("\n");

  beforeAll(async () => {
    h = await startHarness(createPostgresDatabase, { clock: () => now, slackChannelRate: SCALED_RATE });
    h.slack.setRateLimit("chat.postMessage", { perChannelPerSecond: SCALED_RATE.perSecond, burst: SCALED_RATE.burst });
    const db = h.app.db;
    await db.prisma.contact.createMany({
      data: Array.from({ length: 5 }, (_, i) => ({
        phone: `+1212555${7000 + i}`,
        firstName: `Dana${i}`,
        lastName: "Voter",
        zip: "10001",
        state: "NY",
        timeZone: "America/New_York",
        tags: ["digest-e2e"],
      })),
    });
    const saved = await launchedCampaign(db, {
      name: "Digest E2E",
      tag: "digest-e2e",
      createdBy: ORGANIZER,
      form: { channelId: REPLIES, followUps: ["{firstName}, still with us for Nov 3? Reply STOP to opt out.", ""] },
    });
    campaignId = saved.id;
    // Everyone got the first text three days ago: Dana0 and Dana1 are due follow-up 1; Dana2–4
    // replied, and their conversations wait on Ana.
    const contacts = await db.prisma.contact.findMany({
      where: { tags: { has: "digest-e2e" } },
      orderBy: { phone: "asc" },
    });
    const threeDaysAgo = new Date(now.getTime() - 72 * 3_600_000);
    await db.prisma.campaignContact.updateMany({
      where: { campaignId },
      data: { status: "sent", step: 0, firstTextAt: threeDaysAgo, lastTextAt: threeDaysAgo },
    });
    for (const [i, contact] of contacts.entries()) {
      if (i < 2) continue;
      const conversation = await db.prisma.conversation.create({
        data: {
          campaignId,
          contactId: contact.id,
          assignee: ANA,
          // Ana took them just now: the release of waiting conversations (90 minutes) leaves them hers.
          assignedAt: new Date(now.getTime() - 5 * 60_000),
          slackChannelId: REPLIES,
          slackThreadTs: `1790000000.00010${i}`,
          waitingSince: new Date(now.getTime() - i * 3_600_000),
        },
      });
      await db.prisma.message.create({
        data: {
          direction: "inbound",
          contactId: contact.id,
          conversationId: conversation.id,
          fromPhone: contact.phone,
          toPhone: h.config.twilio.fromNumber!,
          body: "Tell me more",
          status: "received",
          createdAt: new Date(now.getTime() - i * 3_600_000),
        },
      });
    }
  });
  afterAll(async () => {
    for (const app of extraApps) await app.stop();
    await h?.close();
  });

  it("is posted once, with one DM, by two app processes on one database, and not before its time", async () => {
    const second = await startAnother();
    // 09:00: both processes' runs at boot, and ours, post nothing yet.
    await runWhenFree(h.app);
    await runWhenFree(second);
    expect(await queuedDigests()).toEqual([]);

    now = at("09:35");
    // Both processes at once, through the job's lock and around it (the dedupe key alone).
    const outcomes = await Promise.all([
      runJob(depsOf(h.app), JOB).then((o) => (o.ran ? o.result : {})),
      runJob(depsOf(second), JOB).then((o) => (o.ran ? o.result : {})),
      postDailyDigests(depsOf(h.app)),
      postDailyDigests(depsOf(second)),
    ]);
    expect(outcomes.reduce((sum, o) => sum + Number((o as { posted?: number }).posted ?? 0), 0)).toBe(1);
    await h.slack.waitFor("chat.postMessage", (c) => c.args.channel === ANA, 10_000);
    await h.slack.waitFor(
      "chat.postMessage",
      (c) => c.args.channel === REPLIES && String(c.args.text).startsWith("Daily digest"),
      10_000,
    );
    await runWhenFree(second);
    await runWhenFree(h.app);
    await drained(h.app);

    expect(posted(REPLIES)).toHaveLength(1);
    const digest = textOf(posted(REPLIES)[0]!);
    expect(digest).toContain("*:hourglass_flowing_sand: Waiting on us: 3* (oldest first)");
    expect(digest).toContain(
      "• <https://fake-team.slack.com/archives/C0REPLIES/p1790000000000104|Dana4 Voter> (•••-•••-7004) · waiting 4 h 35 min · <@U0ANA>",
    );
    expect(digest).toContain("• 2 follow-up texts ready to send");
    // The DM: just Ana's, with the same links.
    expect(directMessages()).toHaveLength(1);
    expect(directMessages()[0]!.args.text).toBe("3 voters waiting on you in Digest E2E");
    expect(textOf(directMessages()[0]!)).toContain(
      "• <https://fake-team.slack.com/archives/C0REPLIES/p1790000000000102|Dana2 Voter> (•••-•••-7002) · waiting 2 h 35 min",
    );
    // Each thread's link is stored, so a later digest does not ask again.
    const links = await h.app.db.prisma.conversation.findMany({ where: { campaignId }, select: { permalink: true } });
    expect(links.map((l) => l.permalink).sort()).toEqual(
      [2, 3, 4].map((i) => `https://fake-team.slack.com/archives/C0REPLIES/p179000000000010${i}`),
    );
    await second.stop();
  });

  it("is not posted again after a restart the same day", async () => {
    now = at("10:10");
    const asked = h.slack.callsTo("chat.getPermalink").length;
    const restarted = await startAnother();
    await runWhenFree(restarted); // after its run at boot
    await drained(restarted);
    expect(posted(REPLIES)).toHaveLength(1);
    expect(directMessages()).toHaveLength(1);
    expect((await queuedDigests()).map((q) => q.dedupeKey).sort()).toEqual([
      `digest-dm:${campaignId}:${ANA}:2026-11-03`,
      `digest:${campaignId}:2026-11-03`,
    ]);
    expect(h.slack.callsTo("chat.getPermalink")).toHaveLength(asked);
    await restarted.stop();
  });

  it("is posted by a process that was down at 09:30 when it comes back later that day, and its button opens the clicker's send card", async () => {
    await h.app.stop();
    now = at("11:00", "2026-11-04");
    const back = await startAnother();
    // Its run at boot posts Wednesday's digest; nobody calls the job.
    const call = await h.slack.waitFor(
      "chat.postMessage",
      (c) => c.args.channel === REPLIES && textOf(c).includes("Wednesday, Nov 4"),
      15_000,
    );
    expect(textOf(call)).toContain("*:bar_chart: Yesterday (Tue, Nov 3)*");
    expect(posted(REPLIES)).toHaveLength(2);

    const button = (call.args.blocks as Block[]).find((b) => b.accessory)!.accessory!;
    expect(button).toMatchObject({ action_id: "digest_open_card", value: campaignId });
    const slack = (body: string) => postToSlackApp(back.localUrl, { secret: SIGNING_SECRET, body });
    const click = (actionId: string, value: string, responseId: string) =>
      slack(
        interactionBody(
          blockActionsPayload({
            actionId,
            value,
            userId: "U0BEN",
            channelId: REPLIES,
            responseUrl: h.slack.responseUrl(responseId),
          }),
        ),
      );
    await click(button.action_id, button.value, "digest-card");
    const card = (await h.slack.waitFor("response_url", (c) => c.args.responseId === "digest-card")).args as Posted;
    expect(card).toMatchObject({ response_type: "ephemeral" });
    expect([false, "false"]).toContain(card.replace_original);
    expect(card.text).toMatch(/^Text Dana[01] Voter \(•••-•••-700[01]\): Dana[01], still with us for Nov 3\?/);
    // The card's own Send works as on any card.
    const send = card.blocks!.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send")!;
    await click("texting_send", send.value!, "digest-sent");
    await h.slack.waitFor("response_url", (c) => c.args.responseId === "digest-sent");
    expect(h.twilio.messages).toHaveLength(1);
    expect(h.twilio.messages[0]!.body).toMatch(/^Dana[01], still with us for Nov 3\?/);
  });
});
