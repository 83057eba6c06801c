import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationList } from "@prisma/schema-engine-wasm";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { Database } from "./database";
import { withSchemaEngine } from "./schema-engine";

/** Arbitrary constant shared by every process of this app: "p2ptext" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x7032707465787400n;

/** prisma/ at the project root, found from here whether running from src/ (tsx, jest) or dist/src/. */
export const PRISMA_DIR = findPrismaDir(__dirname);

function findPrismaDir(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "prisma", "schema.prisma"))) return path.join(dir, "prisma");
  }
  throw new Error(`prisma/schema.prisma not found above ${from}`);
}

/** Reads prisma/migrations into the shape Prisma's schema engine expects. */
export async function readMigrations(migrationsDir = path.join(PRISMA_DIR, "migrations")): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  return {
    baseDir: migrationsDir,
    shadowDbInitScript: "",
    lockfile: { path: "migration_lock.toml", content: await readFile(lockPath, "utf8").catch(() => null) },
    migrationDirectories: await Promise.all(
      dirs.map(async (dir) => ({
        path: dir,
        migrationFile: {
          path: "migration.sql",
          content: {
            tag: "ok" as const,
            value: await readFile(path.join(migrationsDir, dir, "migration.sql"), "utf8"),
          },
        },
      })),
    ),
  };
}

export function readSchema(): Promise<string> {
  return readFile(path.join(PRISMA_DIR, "schema.prisma"), "utf8");
}

/**
 * Applies every pending migration, recording them in `_prisma_migrations` as `prisma migrate deploy`
 * does. Several processes starting together serialize on an advisory lock, so one migrates and the
 * others find nothing left to do.
 */
export async function applyMigrations(db: Database): Promise<string[]> {
  const [schemaText, migrationsList] = await Promise.all([readSchema(), readMigrations()]);
  return db.withAdvisoryLock(MIGRATION_LOCK_KEY, async () => {
    return withSchemaEngine(schemaText, db.adapterFactory, async (engine) => {
      const { appliedMigrationNames } = await engine.applyMigrations({
        migrationsList,
        filters: { externalTables: [], externalEnums: [] },
      });
      return appliedMigrationNames;
    });
  });
}

/**
 * The SQL that would bring the migrations up to prisma/schema.prisma ("" when they match): the
 * engine replays the migrations into an in-memory PGlite (the shadow database) and diffs.
 */
export async function diffMigrationsToSchema(migrationsDir = path.join(PRISMA_DIR, "migrations")): Promise<string> {
  const [schemaText, migrationsList] = await Promise.all([readSchema(), readMigrations(migrationsDir)]);
  const pglite = await PGlite.create();
  const shadows: PGlite[] = [];
  const main = new PrismaPGlite(pglite);
  // The adapter's own shadow database is a PGlite nobody closes; own it so it can be closed.
  const adapterFactory: SqlMigrationAwareDriverAdapterFactory = {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    connectToShadowDb: async () => {
      const shadow = await PGlite.create();
      shadows.push(shadow);
      return new PrismaPGlite(shadow).connect();
    },
  };
  try {
    const { stdout } = await withSchemaEngine(schemaText, adapterFactory, (engine) =>
      engine.diff({
        from: { tag: "migrations", ...migrationsList },
        to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schemaText }] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      }),
    );
    const script = stdout ?? "";
    return /\S/.test(script.replace(/^--.*$/gm, "")) ? script : "";
  } finally {
    await Promise.all([pglite, ...shadows].map((db) => db.close()));
  }
}
