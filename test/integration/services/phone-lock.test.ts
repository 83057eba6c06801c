import { lockPhone, phoneLockSql } from "../../../src/services/opt-outs";
import { createPostgresDatabase, openMigratedDatabase } from "../../support/databases";

/*
 * The per-phone lock has one home: the opt-out's lockPhone and the Send click's statement take the
 * same lock, so a click deciding about a number waits for an opt-out of that number (and back).
 * PostgreSQL only: PGlite has one connection, so nothing there can race.
 */
describe("the per-phone lock", () => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(createPostgresDatabase);
  });
  afterAll(() => db.dispose());

  /** Holds lockPhone(phone) in a Prisma transaction until `release` is called. */
  async function holdLock(phone: string): Promise<{ release: () => void; done: Promise<unknown> }> {
    let release!: () => void;
    let locked!: () => void;
    const gotLock = new Promise<void>((resolve) => (locked = resolve));
    const done = db.prisma.$transaction(async (tx) => {
      await lockPhone(tx, phone);
      locked();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await gotLock;
    return { release, done };
  }

  /** Tries the click's form of the lock with a short timeout: true when it got it. */
  const clickLock = (phone: string) =>
    db.sql
      .transaction(async (tx) => {
        await tx.query("SET LOCAL lock_timeout = '300ms'");
        await tx.query(`SELECT ${phoneLockSql("$1::text")} IS NOT NULL AS locked`, [phone]);
      })
      .then(
        () => true,
        (error: Error) => {
          if (!/lock timeout/.test(error.message)) throw error;
          return false;
        },
      );

  it("makes the click wait for an opt-out of the same number, and only of that number", async () => {
    const held = await holdLock("+12125550001");
    try {
      expect(await clickLock("+12125550001")).toBe(false);
      expect(await clickLock("+12125550002")).toBe(true);
    } finally {
      held.release();
      await held.done;
    }
    expect(await clickLock("+12125550001")).toBe(true);
  });
});
