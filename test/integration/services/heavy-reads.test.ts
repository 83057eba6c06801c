import { Client } from "pg";
import { openDatabase, type Database } from "../../../src/db/database";
import { campaignReport } from "../../../src/services/campaign-report";
import { campaignById } from "../../../src/services/campaigns";
import { ReadTooSlow } from "../../../src/services/heavy-reads";
import { countAudience } from "../../../src/services/segments";
import { launchedCampaign } from "../../support/campaigns";
import { createPostgresDatabase, openMigratedDatabase } from "../../support/databases";

/*
 * Segment counts and campaign reports run what an organizer typed, on connections of their own
 * whose statements PostgreSQL stops after a time limit: the organizer gets a clear answer instead of
 * a spinner, and the connection is not held. Here the Contact table is locked by another session,
 * so the reads wait (waiting counts toward the limit) until the limit stops them. PostgreSQL only:
 * the embedded database has one connection and no statement timer.
 */

describe("heavy interactive reads under a time limit (postgres)", () => {
  let setup: Database & { dispose(): Promise<void> };
  let db: Database;
  let locker: Client;
  let campaignId: string;
  beforeAll(async () => {
    setup = await openMigratedDatabase(createPostgresDatabase);
    if (setup.target.kind !== "postgres") throw new Error("expected PostgreSQL");
    await setup.prisma.contact.create({ data: { phone: "+12125550170", firstName: "Ana", zip: "10001", tags: ["x"] } });
    campaignId = (await launchedCampaign(setup, { name: "Slow", tag: "x", createdBy: "U0ORG" })).id;
    db = await openDatabase(setup.target, { heavyReadTimeoutMs: 300 });
    locker = new Client({ connectionString: setup.target.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await db?.close();
    await setup?.dispose();
  });

  /** Runs `read` while another session holds Contact exclusively; the lock goes after 5 s at the latest. */
  async function whileContactsLocked<T>(read: () => Promise<T>): Promise<T | unknown> {
    await locker.query(`BEGIN; LOCK TABLE "Contact" IN ACCESS EXCLUSIVE MODE`);
    const release = setTimeout(() => void locker.query("ROLLBACK"), 5_000);
    try {
      return await read().catch((error: unknown) => error);
    } finally {
      clearTimeout(release);
      await locker.query("ROLLBACK");
    }
  }

  it("a segment count that cannot finish is stopped and answered with what to do, while other queries go on", async () => {
    const outcome = await whileContactsLocked(async () => {
      const counting = countAudience(db, { tags: { any: ["x"] } });
      // Sends and webhooks use the other connections: they are not held up by the stuck count.
      expect(await db.prisma.campaign.count()).toBe(1);
      return counting;
    });
    expect(outcome).toBeInstanceOf(ReadTooSlow);
    expect((outcome as Error).message).toMatch(
      /^Counting this audience took too long \(the limit is 10 seconds\), so the database stopped it\. Try a simpler filter/,
    );
    expect(await countAudience(db, { tags: { any: ["x"] } })).toBe(1);
  });

  it("a campaign report that cannot finish is stopped with a clear message", async () => {
    const campaign = (await campaignById(db, campaignId))!;
    const pricing = { pricePerSegmentUsd: 0.01, now: new Date(), timeZone: "America/New_York" };
    const outcome = await whileContactsLocked(() => campaignReport(db, campaign, pricing));
    expect(outcome).toBeInstanceOf(ReadTooSlow);
    expect((outcome as Error).message).toMatch(/^Preparing this campaign's report took too long/);
    expect((await campaignReport(db, campaign, pricing)).audience?.reachable).toBe(1);
  });
});
