import { readdir } from "node:fs/promises";
import path from "node:path";
import { openDatabase } from "../../../src/db/database";
import { applyMigrations, diffMigrationsToSchema, PRISMA_DIR } from "../../../src/db/migrate";
import { BACKENDS, createPostgresDatabase } from "../../support/databases";

async function migrationNames(): Promise<string[]> {
  const entries = await readdir(path.join(PRISMA_DIR, "migrations"), { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe.each(BACKENDS)("migrations on boot (%s)", (_name, create) => {
  it("applies every migration once and records it as prisma migrate deploy does", async () => {
    const made = await create();
    const db = await openDatabase(made.target);
    try {
      const expected = await migrationNames();
      expect(await applyMigrations(db)).toEqual(expected);
      expect(await applyMigrations(db)).toEqual([]);

      const rows = await db.prisma.$queryRawUnsafe<
        { migration_name: string; finished_at: Date | null; checksum: string }[]
      >("SELECT migration_name, finished_at, checksum FROM _prisma_migrations ORDER BY migration_name");
      expect(rows.map((r) => r.migration_name)).toEqual(expected);
      for (const row of rows) {
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      }
      // The schema is really there: the client can write and read a model.
      await db.prisma.optOut.create({ data: { phone: "+15555550100", source: "admin" } });
      expect(await db.prisma.optOut.count()).toBe(1);
    } finally {
      await db.close();
      await made.dispose();
    }
  });
});

describe("several processes starting together (postgres)", () => {
  it("migrate once: the advisory lock serializes them and the others find nothing to do", async () => {
    const made = await createPostgresDatabase();
    const dbs = await Promise.all(Array.from({ length: 4 }, () => openDatabase(made.target)));
    try {
      const results = await Promise.all(dbs.map((db) => applyMigrations(db)));
      const expected = await migrationNames();
      expect(results.filter((applied) => applied.length > 0)).toEqual([expected]);
      const [row] = await dbs[0]!.prisma.$queryRawUnsafe<{ count: bigint }[]>(
        "SELECT count(*) AS count FROM _prisma_migrations",
      );
      expect(Number(row?.count)).toBe(expected.length);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await made.dispose();
    }
  });
});

describe("prisma/migrations", () => {
  it("match prisma/schema.prisma (a schema change without its migration fails here)", async () => {
    expect(await diffMigrationsToSchema()).toBe("");
  });
});
