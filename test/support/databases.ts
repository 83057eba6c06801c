import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { openDatabase, type Database, type DatabaseTarget } from "../../src/db/database";
import { applyMigrations } from "../../src/db/migrate";
import { LOCAL_POSTGRES_URL, withoutPassword } from "./test-postgres";

/**
 * The PostgreSQL server the tests use: jest's globalSetup (test-postgres.ts) puts the one it chose
 * in TEST_DATABASE_URL; scripts run outside jest (the benchmarks) use 127.0.0.1:5432.
 */
export const POSTGRES_ADMIN_URL = process.env.TEST_DATABASE_URL ?? LOCAL_POSTGRES_URL;

export interface TestDatabaseTarget {
  readonly name: "postgres" | "pglite";
  readonly target: DatabaseTarget;
  /** Drops whatever `create` made. */
  dispose(): Promise<void>;
}

/** A brand-new, empty PostgreSQL database, so suites never see each other's rows. */
export async function createPostgresDatabase(adminUrl = POSTGRES_ADMIN_URL): Promise<TestDatabaseTarget> {
  const dbName = `t_${Date.now()}_${randomBytes(4).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return {
    name: "postgres",
    target: { kind: "postgres", url: url.toString() },
    dispose: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`),
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
  let db: Database;
  try {
    db = await openDatabase(made.target);
  } catch (error) {
    await made.dispose().catch(() => undefined);
    throw error;
  }
  try {
    await applyMigrations(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    await made.dispose().catch(() => undefined);
    throw error;
  }
  return Object.assign(db, {
    async dispose() {
      await db.close();
      await made.dispose();
    },
  });
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw unreachable(adminUrl, error);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * What to do when the tests' server does not answer, in one line: jest prints an error's stack, and
 * a stack through pg's socket code says nothing the message does not.
 */
export function unreachable(url: string, cause: unknown): Error {
  const where = withoutPassword(url);
  // Not `instanceof Error`: socket errors come from Node's own realm, not the test's.
  const { message, code } = (cause ?? {}) as { message?: string; code?: string };
  const reason = message || code || String(cause);
  const advice = process.env.TEST_DATABASE_URL
    ? "start it, or fix or unset TEST_DATABASE_URL (unset, the tests use 127.0.0.1:5432 or start their own)"
    : "start one or set TEST_DATABASE_URL";
  const error = new Error(`No PostgreSQL at ${where} (${reason}): ${advice}`);
  error.stack = error.message;
  return error;
}
