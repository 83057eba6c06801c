import { randomUUID } from "node:crypto";
import pg from "pg";
import { CLAIM_SQL } from "../../../src/services/slack-outbox-sql";
import { enqueueSlackPost } from "../../../src/services/slack-outbox";
import { createPostgresDatabase, openMigratedDatabase } from "../../support/databases";

/*
 * Exactly-once for Slack posts when two drainers race (PostgreSQL only: PGlite has one connection,
 * so no claim can overlap a settle there). A claim's snapshot is taken when its statement starts;
 * if another drainer's settle of the channel's head post commits after that, the claim still sees
 * the head as queued. It must pass that post over, never claim (and post) it again. The settle is
 * held open on its own connection until the claim is seen waiting on it, so the interleaving is
 * forced, not hoped for.
 */
describe("Slack outbox claim racing a settle (postgres)", () => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let settler: pg.Client;
  let claimer: pg.Client;
  beforeAll(async () => {
    db = await openMigratedDatabase(createPostgresDatabase);
    if (db.target.kind !== "postgres") throw new Error("expected PostgreSQL");
    settler = new pg.Client({ connectionString: db.target.url });
    claimer = new pg.Client({ connectionString: db.target.url });
    await Promise.all([settler.connect(), claimer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([settler?.end(), claimer?.end()]);
    await db?.dispose();
  });

  /** Resolves once `pid`'s statement waits on a lock (it has taken its snapshot by then). */
  async function waitingOnLock(pid: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const [row] = await db.prisma.$queryRawUnsafe<{ waiting: boolean }[]>(
        `SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`,
        pid,
      );
      if (row?.waiting) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`backend ${pid} never waited on a lock`);
  }

  it("passes over a head post settled after the claim's snapshot and takes the next one", async () => {
    const first = await enqueueSlackPost(db.prisma, {
      channel: "C0RACE",
      method: "chat.postMessage",
      args: { text: "first" },
    });
    const second = await enqueueSlackPost(db.prisma, {
      channel: "C0RACE",
      method: "chat.postMessage",
      args: { text: "second" },
    });

    // Another drainer records Slack's answer for the head post: its row is locked until COMMIT.
    await settler.query("BEGIN");
    await settler.query(
      `UPDATE "SlackOutbox" SET status = 'sent', "resultTs" = '1.0', "settledAt" = now() WHERE id = $1::uuid`,
      [first.id],
    );

    const { pid } = (await claimer.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!;
    const claiming = claimer.query<{ id: string; attempts: number; payload: { text: string } }>(CLAIM_SQL, [
      null,
      1_000,
      0,
      30_000,
      randomUUID(),
    ]);
    await waitingOnLock(pid);
    await settler.query("COMMIT");

    const { rows } = await claiming;
    expect(rows.map((r) => r.payload.text)).toEqual(["second"]);
    expect(rows[0]?.id).toBe(second.id);
    const settled = await db.prisma.slackOutbox.findUniqueOrThrow({ where: { id: first.id } });
    expect(settled).toMatchObject({ status: "sent", attempts: 0 });
  });
});
