import type { Database } from "../../../src/db/database";
import { KEEP_SENT_POSTS_DAYS, pruneSentSlackPosts } from "../../../src/services/slack-outbox";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const NOW = new Date("2026-11-30T16:00:00Z");
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

describe.each(BACKENDS)("pruning the Slack outbox (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());

  const post = (
    text: string,
    fields: { status: "queued" | "sent" | "failed"; settledAt?: Date | null; parentId?: string },
  ) =>
    db.prisma.slackOutbox.create({
      data: { channel: "C0REPLIES", method: "chat.postMessage", payload: { text }, ...fields },
    });

  it("deletes posts Slack accepted long ago and keeps failed ones, recent ones and those something still points at", async () => {
    // More old sent posts than one batch deletes.
    await db.prisma.slackOutbox.createMany({
      data: Array.from({ length: 5_050 }, (_, i) => ({
        channel: "C0OLD",
        method: "chat.postMessage",
        payload: { text: `old ${i}` },
        status: "sent" as const,
        settledAt: daysAgo(KEEP_SENT_POSTS_DAYS + 1),
      })),
    });
    const recent = await post("recent", { status: "sent", settledAt: daysAgo(KEEP_SENT_POSTS_DAYS - 1) });
    const failed = await post("failed", { status: "failed", settledAt: daysAgo(90) });
    const queued = await post("queued", { status: "queued" });
    const parent = await post("thread root", { status: "sent", settledAt: daysAgo(90) });
    const child = await post("reply", {
      status: "sent",
      settledAt: daysAgo(KEEP_SENT_POSTS_DAYS - 1),
      parentId: parent.id,
    });
    // A thread root whose ts the conversation has not stored yet: still needed to redraw the root.
    const pendingRoot = await post("pending root", { status: "sent", settledAt: daysAgo(90) });
    const contact = await db.prisma.contact.create({ data: { phone: "+12125550401" } });
    await db.prisma.conversation.create({ data: { contactId: contact.id, rootOutboxId: pendingRoot.id } });

    expect(await pruneSentSlackPosts(db.prisma, NOW)).toEqual({ pruned: 5_050 });
    const left = await db.prisma.slackOutbox.findMany({ select: { id: true } });
    expect(left.map((r) => r.id).sort()).toEqual(
      [recent.id, failed.id, queued.id, parent.id, child.id, pendingRoot.id].sort(),
    );

    // Once the reply under it is old enough to go, the root goes on a later run.
    expect(await pruneSentSlackPosts(db.prisma, new Date(NOW.getTime() + 2 * DAY))).toEqual({ pruned: 2 });
    expect(await pruneSentSlackPosts(db.prisma, new Date(NOW.getTime() + 2 * DAY))).toEqual({ pruned: 1 });
    expect(await db.prisma.slackOutbox.count({ where: { id: { in: [parent.id, child.id, recent.id] } } })).toBe(0);
    expect(await db.prisma.slackOutbox.count({ where: { id: { in: [failed.id, queued.id, pendingRoot.id] } } })).toBe(
      3,
    );
  });
});
