import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/client";

/** Where the data lives: a PostgreSQL server, or the embedded PGlite in a folder (or in memory). */
export type DatabaseTarget = { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string | null };

/** The open database: the Prisma client plus what migrations and health checks need. */
export interface Database {
  readonly target: DatabaseTarget;
  readonly prisma: PrismaClient;
  /** Adapter factory for Prisma's schema engine (migrations). */
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Runs `fn` while holding a PostgreSQL session advisory lock on a dedicated connection. */
  withAdvisoryLock<T>(key: bigint, fn: () => Promise<T>): Promise<T>;
  /** Cheap round trip; throws when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === "postgres" ? openPostgres(target) : openPglite(target);
}

function openPostgres(target: Extract<DatabaseTarget, { kind: "postgres" }>): Database {
  const poolConfig = { connectionString: target.url, connectionTimeoutMillis: 5_000 };
  const adapterFactory = new PrismaPg(poolConfig);
  const prisma = new PrismaClient({ adapter: new PrismaPg(poolConfig) });
  return {
    target,
    prisma,
    adapterFactory,
    async withAdvisoryLock(key, fn) {
      // A session lock must stay on one connection: a pg Client of its own, outside Prisma's pool.
      const { Client } = await import("pg");
      const client = new Client(poolConfig);
      await client.connect();
      try {
        await client.query("SELECT pg_advisory_lock($1)", [key.toString()]);
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [key.toString()]).catch(() => undefined);
        await client.end();
      }
    },
    async ping() {
      await prisma.$queryRawUnsafe("SELECT 1");
    },
    async close() {
      await prisma.$disconnect();
    },
  };
}

async function openPglite(target: Extract<DatabaseTarget, { kind: "pglite" }>): Promise<Database> {
  if (target.dataDir) await mkdir(target.dataDir, { recursive: true });
  const pglite = target.dataDir ? await PGlite.create(target.dataDir) : await PGlite.create();
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    target,
    prisma,
    adapterFactory: new PrismaPGlite(pglite),
    // PGlite is one in-process connection owned by this process: nobody else can race us.
    withAdvisoryLock: (_key, fn) => fn(),
    async ping() {
      await pglite.query("SELECT 1");
    },
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
