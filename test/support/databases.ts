import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { openDatabase, type Database, type DatabaseTarget } from "../../src/db/database";
import { applyMigrations } from "../../src/db/migrate";

/** The PostgreSQL server the tests use; CI starts it on 127.0.0.1:5432 with trust auth. */
export const POSTGRES_ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface TestDatabaseTarget {
  readonly name: "postgres" | "pglite";
  readonly target: DatabaseTarget;
  /** Drops whatever `create` made. */
  dispose(): Promise<void>;
}

/** A brand-new, empty PostgreSQL database, so suites never see each other's rows. */
export async function createPostgresDatabase(): Promise<TestDatabaseTarget> {
  const dbName = `t_${Date.now()}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${dbName}`;
  return {
    name: "postgres",
    target: { kind: "postgres", url: url.toString() },
    dispose: () => adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`),
  };
}

/** An in-memory PGlite: the embedded default, without touching the disk. */
export async function createPgliteDatabase(): Promise<TestDatabaseTarget> {
  return { name: "pglite", target: { kind: "pglite", dataDir: null }, dispose: async () => undefined };
}

export const BACKENDS = [
  ["postgres", createPostgresDatabase],
  ["pglite", createPgliteDatabase],
] as const;

/** Opens a fresh, migrated database of the given kind; `close` also drops it. */
export async function openMigratedDatabase(
  create: () => Promise<TestDatabaseTarget>,
): Promise<Database & { dispose(): Promise<void> }> {
  const made = await create();
  const db = await openDatabase(made.target);
  await applyMigrations(db);
  return Object.assign(db, {
    async dispose() {
      await db.close();
      await made.dispose();
    },
  });
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
