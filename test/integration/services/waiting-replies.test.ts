import pino from "pino";
import type { Database } from "../../../src/db/database";
import { nudgeWaitingReplies, type WaitingDeps } from "../../../src/services/waiting-replies";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { launchedCampaign } from "../../support/campaigns";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/** Monday 30 November 2026, 10:00 in New York. */
const TEN_AM = new Date("2026-11-30T15:00:00Z");
const MINUTE = 60_000;

describe.each(BACKENDS)("voters waiting for an answer (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let now = TEN_AM;
  let deps: WaitingDeps;
  let campaignId: string;
  let threads = 0;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    deps = {
      db,
      render: slackThreadRenderer,
      logger: pino({ level: "silent" }),
      clock: () => now,
      settings: { orgTimeZone: "America/New_York", nudgeAfterMinutes: 20, releaseAfterMinutes: 90 },
    };
    await db.prisma.contact.create({ data: { phone: "+12125559999", firstName: "Wes", tags: ["wait"] } });
    campaignId = (await launchedCampaign(db, { name: "Waiting", tag: "wait", createdBy: "U0ORG" })).id;
  });
  afterAll(() => db?.dispose());

  async function waitingThread(input: { phone: string; assignee?: string; since?: Date }) {
    const contact = await db.prisma.contact.create({ data: { phone: input.phone, firstName: "Vic" } });
    const ts = `1700000000.${String(++threads).padStart(6, "0")}`;
    const conversation = await db.prisma.conversation.create({
      data: {
        campaignId,
        contactId: contact.id,
        slackChannelId: "C0REPLIES",
        slackThreadTs: ts,
        assignee: input.assignee ?? null,
        assignedAt: input.assignee ? new Date(TEN_AM.getTime() - 60 * MINUTE) : null,
        waitingSince: input.since ?? TEN_AM,
      },
    });
    return { id: conversation.id, ts };
  }

  const notesIn = async (ts: string) =>
    (
      await db.prisma.slackOutbox.findMany({
        where: { channel: "C0REPLIES", method: "chat.postMessage" },
        orderBy: { position: "asc" },
      })
    )
      .filter((p) => (p.payload as { thread_ts?: string }).thread_ts === ts)
      .map((p) => (p.payload as { text: string }).text);

  it("nudges a waiting thread once after 20 minutes, then releases it to the pool after 90, and says so", async () => {
    const thread = await waitingThread({ phone: "+12125550001", assignee: "U0ANA" });
    now = new Date(TEN_AM.getTime() + 19 * MINUTE);
    expect(await nudgeWaitingReplies(deps)).toMatchObject({ nudged: 0, released: 0 });
    now = new Date(TEN_AM.getTime() + 21 * MINUTE);
    const [first, second] = await Promise.all([nudgeWaitingReplies(deps), nudgeWaitingReplies(deps)]);
    expect(first.nudged + second.nudged).toBe(1);
    now = new Date(TEN_AM.getTime() + 60 * MINUTE);
    expect(await nudgeWaitingReplies(deps)).toMatchObject({ nudged: 0, released: 0 });
    expect(await notesIn(thread.ts)).toEqual([
      ":hourglass_flowing_sand: <@U0ANA>, this voter has waited 21 minutes for an answer: reply in this thread.",
    ]);
    now = new Date(TEN_AM.getTime() + 91 * MINUTE);
    expect(await nudgeWaitingReplies(deps)).toMatchObject({ released: 1 });
    expect(await nudgeWaitingReplies(deps)).toMatchObject({ released: 0, nudged: 0 });
    expect((await notesIn(thread.ts)).at(-1)).toBe(
      ":leftwards_arrow_with_hook: No answer from <@U0ANA> for 91 minutes, so this conversation is back in the pool: anyone can press *Assign to me* and reply.",
    );
    expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: thread.id } })).toMatchObject({
      assignee: null,
      waitingSince: TEN_AM,
    });
    // The thread's root is redrawn without the volunteer.
    expect(
      await db.prisma.slackOutbox.count({ where: { dedupeKey: { startsWith: `release-root:${thread.id}` } } }),
    ).toBe(1);
  });

  it("says nobody holds an unassigned thread, never releases it, and posts nothing outside working hours or for opted-out voters", async () => {
    const nobody = await waitingThread({ phone: "+12125550002" });
    const out = await waitingThread({ phone: "+12125550003" });
    await db.prisma.optOut.create({ data: { phone: "+12125550003", source: "reply_phrase" } });
    // 21:00 in New York: after working hours.
    now = new Date(TEN_AM.getTime() + 11 * 60 * MINUTE);
    expect(await nudgeWaitingReplies(deps)).toEqual({ nudged: 0, released: 0, outsideWorkingHours: true });
    now = new Date(TEN_AM.getTime() + 30 * MINUTE);
    await nudgeWaitingReplies(deps);
    expect(await notesIn(nobody.ts)).toEqual([
      ":hourglass_flowing_sand: This voter has waited 30 minutes and nobody holds the conversation: press *Assign to me* above and reply in this thread.",
    ]);
    expect(await notesIn(out.ts)).toEqual([]);
    now = new Date(TEN_AM.getTime() + 300 * MINUTE);
    expect(await nudgeWaitingReplies(deps)).toMatchObject({ released: 0 });
  });
});
