import { Client } from "pg";
import type { Database } from "../../../src/db/database";
import { createPostgresDatabase, openMigratedDatabase } from "../../support/databases";

/*
 * The advisory-lock and bulk (COPY) sessions run on pg Clients of their own, outside the pool. A
 * connection the server ends (a restart, a failover, pg_terminate_backend) makes such a client emit
 * "error"; unheard, that event ends the whole process. Here the server ends them mid-use.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("dedicated PostgreSQL connections dropped by the server (postgres)", () => {
  let db: Database & { dispose(): Promise<void> };
  let admin: Client;
  beforeAll(async () => {
    db = await openMigratedDatabase(createPostgresDatabase);
    if (db.target.kind !== "postgres") throw new Error("expected PostgreSQL");
    admin = new Client({ connectionString: db.target.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.dispose();
  });

  /** Ends every other connection of this database whose last statement matches `pattern`. */
  async function terminate(pattern: string): Promise<number> {
    const { rows } = await admin.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`,
      [pattern],
    );
    return rows.filter((r) => r.ended).length;
  }

  it("an advisory-lock connection ended while its work runs: the work finishes, the process lives", async () => {
    const result = await db.withAdvisoryLock(0x7032707465787499n, async () => {
      expect(await terminate("%pg_advisory_lock%")).toBe(1);
      // Give the dropped socket time to emit its error (fatal without a listener).
      await sleep(300);
      return "done";
    });
    expect(result).toBe("done");
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it("a try-lock connection ended while its job runs: the job finishes, the process lives", async () => {
    const outcome = await db.withTryAdvisoryLock(0x7032707465787498n, async () => {
      expect(await terminate("%pg_try_advisory_lock%")).toBe(1);
      await sleep(300);
      return 7;
    });
    expect(outcome).toEqual({ ran: true, result: 7 });
  });

  it("a bulk session ended mid-import: the import fails with an error, nothing is kept, the process lives", async () => {
    const failed = await db
      .withBulkSession(async (session) => {
        await session.query(
          `INSERT INTO "Contact" (id, phone, "updatedAt") VALUES (gen_random_uuid(), '+12125550111', now())`,
        );
        await session.query("SELECT 'bulk-marker'");
        expect(await terminate("%bulk-marker%")).toBe(1);
        await sleep(300);
        await session.query("SELECT 1");
      })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(await db.prisma.contact.count({ where: { phone: "+12125550111" } })).toBe(0);
  });

  it("a pooled connection ended between a transaction's statements: the transaction fails, the process lives", async () => {
    const failed = await db.sql
      .transaction(async (tx) => {
        await tx.query("SELECT 'pooled-marker'");
        expect(await terminate("%pooled-marker%")).toBe(1);
        // The checked-out client is between statements: its error has no query to go to.
        await sleep(300);
        await tx.query("SELECT 1");
      })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it("a Prisma transaction's connection ended mid-way: the transaction fails, the process lives", async () => {
    const failed = await db.prisma
      .$transaction(async (tx) => {
        await tx.$queryRawUnsafe("SELECT 'prisma-marker'");
        expect(await terminate("%prisma-marker%")).toBe(1);
        await sleep(300);
        await tx.$queryRawUnsafe("SELECT 1");
      })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    await expect(db.prisma.contact.count()).resolves.toBeGreaterThanOrEqual(0);
  });
});
