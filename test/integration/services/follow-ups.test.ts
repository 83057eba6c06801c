import pino from "pino";
import type { Database } from "../../../src/db/database";
import { remindDueFollowUps, type FollowUpDeps } from "../../../src/services/follow-ups";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

// Monday 30 November 2026, 11:00 in New York and 06:00 in Honolulu.
const MONDAY_MORNING = new Date("2026-11-30T16:00:00Z");
const HOUR = 3_600_000;

describe.each(BACKENDS)("follow-up reminders (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let now = MONDAY_MORNING;
  let deps: FollowUpDeps;
  let threads = 0;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    deps = { db, render: slackThreadRenderer, logger: pino({ level: "silent" }), clock: () => now };
  });
  afterAll(() => db?.dispose());
  beforeEach(() => {
    now = MONDAY_MORNING;
  });

  /** A voter with an open thread whose follow-up is due at `followUpAt`. */
  async function thread(input: { phone: string; zip: string; followUpAt: Date | null; assignee?: string }) {
    const contact = await db.prisma.contact.create({ data: { phone: input.phone, zip: input.zip, firstName: "Ana" } });
    const ts = `1700000000.${String(++threads).padStart(6, "0")}`;
    const conversation = await db.prisma.conversation.create({
      data: {
        contactId: contact.id,
        slackChannelId: "C0REPLIES",
        slackThreadTs: ts,
        followUpAt: input.followUpAt,
        assignee: input.assignee ?? null,
      },
    });
    return { id: conversation.id, ts };
  }

  const remindersIn = (ts: string) =>
    db.prisma.slackOutbox
      .findMany({
        where: { channel: "C0REPLIES", method: "chat.postMessage", dedupeKey: { startsWith: "follow-up:" } },
      })
      .then((posts) => posts.filter((p) => (p.payload as { thread_ts?: string }).thread_ts === ts));

  it("reminds the volunteer in the thread once when the follow-up comes due, and redraws the root without it", async () => {
    const due = await thread({
      phone: "+12125550301",
      zip: "10001",
      followUpAt: new Date(now.getTime() - HOUR),
      assignee: "U0ANA",
    });
    const later = await thread({
      phone: "+12125550302",
      zip: "10001",
      followUpAt: new Date(now.getTime() + HOUR),
      assignee: "U0ANA",
    });

    expect(await remindDueFollowUps(deps)).toMatchObject({ reminded: 1 });
    const [reminder, ...more] = await remindersIn(due.ts);
    expect(more).toHaveLength(0);
    expect((reminder!.payload as { text: string }).text).toContain("<@U0ANA>, it is time to follow up with this voter");
    expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: due.id } })).toMatchObject({
      followUpAt: null,
    });
    expect(
      await db.prisma.slackOutbox.count({
        where: { method: "chat.update", dedupeKey: { startsWith: `follow-up-root:${due.id}` } },
      }),
    ).toBe(1);
    // Not due yet: untouched.
    expect(await remindersIn(later.ts)).toHaveLength(0);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: later.id } })).followUpAt).not.toBeNull();

    // Runs that come after (or run at the same time) remind nobody twice.
    await Promise.all([remindDueFollowUps(deps), remindDueFollowUps(deps)]);
    expect(await remindersIn(due.ts)).toHaveLength(1);
  });

  it("asks someone to take a due conversation nobody holds", async () => {
    const due = await thread({ phone: "+12125550303", zip: "10001", followUpAt: new Date(now.getTime() - HOUR) });
    await remindDueFollowUps(deps);
    const [reminder] = await remindersIn(due.ts);
    expect((reminder!.payload as { text: string }).text).toContain(
      "nobody holds this conversation: press *Assign to me*",
    );
  });

  it("waits for the voter's sending hours before reminding anyone", async () => {
    // 06:00 in Honolulu: nobody may text this voter for three more hours.
    const due = await thread({
      phone: "+18085550304",
      zip: "96813",
      followUpAt: new Date(now.getTime() - HOUR),
      assignee: "U0BEN",
    });
    expect(await remindDueFollowUps(deps)).toMatchObject({ waiting: 1 });
    expect(await remindersIn(due.ts)).toHaveLength(0);
    now = new Date(MONDAY_MORNING.getTime() + 4 * HOUR);
    await remindDueFollowUps(deps);
    expect(await remindersIn(due.ts)).toHaveLength(1);
  });

  it("clears the follow-up of a voter who opted out, without a reminder", async () => {
    const due = await thread({
      phone: "+12125550305",
      zip: "10001",
      followUpAt: new Date(now.getTime() - HOUR),
      assignee: "U0ANA",
    });
    await db.prisma.optOut.create({ data: { phone: "+12125550305", source: "keyword" } });
    expect(await remindDueFollowUps(deps)).toMatchObject({ dropped: 1 });
    expect(await remindersIn(due.ts)).toHaveLength(0);
    expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: due.id } })).toMatchObject({
      followUpAt: null,
    });
  });

  it("pages through more due follow-ups than one query reads", async () => {
    const many = await Promise.all(
      Array.from({ length: 230 }, (_, i) =>
        thread({
          phone: `+1212556${String(i).padStart(4, "0")}`,
          zip: "10001",
          followUpAt: new Date(now.getTime() - HOUR - i * 1000),
        }),
      ),
    );
    await remindDueFollowUps(deps);
    expect(
      await db.prisma.conversation.count({ where: { id: { in: many.map((c) => c.id) }, followUpAt: { not: null } } }),
    ).toBe(0);
  });
});
