import { Client } from "pg";
import { openDatabase, SQL_LOCK_TIMEOUT_MS, type Database } from "../../../src/db/database";
import { BACKENDS, createPostgresDatabase, openMigratedDatabase } from "../../support/databases";

/** db.sql, the send path's plain SQL beside Prisma: the same answers from PostgreSQL and PGlite. */
describe.each(BACKENDS)("plain SQL (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("returns rows with the types the send path reads: int, boolean, timestamptz, jsonb, text[] and null", async () => {
    const at = new Date("2026-11-30T15:00:00.123Z");
    const [row] = await db.sql.query<Record<string, unknown>>(
      `SELECT $1::int + 1 AS n, $2::timestamptz AS at, '{"ward":"7"}'::jsonb AS fields, ARRAY['a','b']::text[] AS tags, true AS yes, NULL::text AS nothing`,
      [41, at],
    );
    expect(row).toEqual({ n: 42, at, fields: { ward: "7" }, tags: ["a", "b"], yes: true, nothing: null });
  });

  it("commits a transaction when its function returns and rolls all of it back when it throws", async () => {
    const phone = (n: number) => `+1202555${String(n).padStart(4, "0")}`;
    await db.sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO "OptOut" (phone, source) VALUES ($1, 'admin')`, [phone(1)]);
    });
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO "OptOut" (phone, source) VALUES ($1, 'admin')`, [phone(2)]);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    // A statement that fails inside the transaction rolls back what came before it, and the connection is fine afterwards.
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO "OptOut" (phone, source) VALUES ($1, 'admin')`, [phone(3)]);
        await tx.query(`INSERT INTO "OptOut" (phone, source) VALUES ($1, 'admin')`, [phone(1)]);
      }),
    ).rejects.toThrow();
    const rows = await db.sql.query<{ phone: string }>(
      `SELECT phone FROM "OptOut" WHERE phone = ANY($1::text[]) ORDER BY phone`,
      [[phone(1), phone(2), phone(3)]],
    );
    expect(rows.map((r) => r.phone)).toEqual([phone(1)]);
  });

  it("commits with the last statement through queryAndCommit, and commits nothing when that statement fails", async () => {
    const phone = (n: number) => `+1202556${String(n).padStart(4, "0")}`;
    const insert = `INSERT INTO "OptOut" (phone, source) VALUES ($1, 'admin') RETURNING phone`;
    const committed = await db.sql.transaction(async (tx) => {
      await tx.query(insert, [phone(1)]);
      return tx.queryAndCommit<{ phone: string }>(insert, [phone(2)]);
    });
    expect(committed).toEqual([{ phone: phone(2) }]);
    // The last statement fails (a duplicate): the one before it is not committed either.
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(insert, [phone(3)]);
        return tx.queryAndCommit(insert, [phone(1)]);
      }),
    ).rejects.toThrow();
    const rows = await db.sql.query<{ phone: string }>(
      `SELECT phone FROM "OptOut" WHERE phone = ANY($1::text[]) ORDER BY phone`,
      [[phone(1), phone(2), phone(3)]],
    );
    expect(rows.map((r) => r.phone)).toEqual([phone(1), phone(2)]);
    // The connections went back to the pool outside any transaction: a savepoint is refused on each.
    await Promise.all(
      Array.from({ length: 3 }, () => expect(db.sql.query(`SAVEPOINT leftover`)).rejects.toThrow(/transaction block/)),
    );
  });

  it("runs afterCommit's statement behind the COMMIT, outside the transaction, seeing what it committed", async () => {
    const phone = (n: number) => `+1202557${String(n).padStart(4, "0")}`;
    const insert = `INSERT INTO "OptOut" (phone, source) VALUES ($1, 'admin') RETURNING phone`;
    const count = `SELECT count(*)::int AS n FROM "OptOut" WHERE phone LIKE '+1202557%'`;
    let after: Promise<{ n: number }[]> | undefined;
    let outside: Promise<unknown> | undefined;
    await db.sql.transaction(async (tx) => {
      await expect(tx.afterCommit(count)).rejects.toThrow(/before the transaction's queryAndCommit/);
      const committed = tx.queryAndCommit(insert, [phone(1)]);
      after = tx.afterCommit<{ n: number }>(count);
      // Outside any transaction block: a savepoint is refused.
      outside = tx.afterCommit(`SAVEPOINT after_commit`);
      outside.catch(() => undefined);
      await committed;
    });
    expect(await after).toEqual([{ n: 1 }]);
    await expect(outside).rejects.toThrow(/transaction block/);
    // The commit failed (a duplicate): the statement behind it still runs, and sees nothing new.
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query(insert, [phone(2)]);
        const committed = tx.queryAndCommit(insert, [phone(1)]);
        after = tx.afterCommit<{ n: number }>(count);
        await committed;
      }),
    ).rejects.toThrow();
    expect(await after).toEqual([{ n: 1 }]);
  });
});

describe("plain SQL (postgres): connections the server closes", () => {
  it("drops a pooled connection the server terminated and answers the next query on a new one", async () => {
    const db = await openMigratedDatabase(createPostgresDatabase);
    const admin = new Client({ connectionString: (db.target as { url: string }).url });
    await admin.connect();
    try {
      // Two idle connections in the pool, then the server ends both (as on a restart or failover).
      const [[first]] = await Promise.all([
        db.sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"),
        db.prisma.$queryRawUnsafe("SELECT pg_sleep(0.05)::text"),
      ]);
      const ended = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(ended.rows.length).toBeGreaterThanOrEqual(2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [next] = await db.sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      expect(next!.pid).not.toBe(first!.pid);
      expect(await db.prisma.$queryRawUnsafe<{ ok: number }[]>("SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
    } finally {
      await admin.end();
      await db.dispose();
    }
  });

  it("closes without an unhandled error when the server ends connections the pool is still closing", async () => {
    for (let round = 0; round < 20; round++) {
      const made = await createPostgresDatabase();
      const db = await openDatabase(made.target);
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2
            ? db.sql.query("SELECT pg_sleep(0.02)::text")
            : db.prisma.$queryRawUnsafe("SELECT pg_sleep(0.02)::text"),
        ),
      );
      await db.close();
      // What dropping the database in tests (or a restart in production) does right after a close.
      await made.dispose();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  });
});

describe("plain SQL (postgres): a lock that is never released", () => {
  it("gives up on the lock after SQL_LOCK_TIMEOUT_MS instead of hanging, and rolls back", async () => {
    const db = await openMigratedDatabase(createPostgresDatabase);
    const holder = new Client({ connectionString: (db.target as { url: string }).url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(42)");
      const started = Date.now();
      await expect(
        db.sql.transaction(async (tx) => {
          await tx.query(`INSERT INTO "OptOut" (phone, source) VALUES ('+12025559999', 'admin')`);
          await tx.query("SELECT pg_advisory_xact_lock(42)");
        }),
      ).rejects.toThrow(/lock timeout/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(SQL_LOCK_TIMEOUT_MS - 100);
      expect(await db.sql.query(`SELECT 1 FROM "OptOut" WHERE phone = '+12025559999'`)).toHaveLength(0);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
      await db.dispose();
    }
  }, 20_000);
});
