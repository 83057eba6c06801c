import { mkdir } from "node:fs/promises";
import type { Socket } from "node:net";
import { finished } from "node:stream/promises";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { Client, Pool, type PoolClient } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient, type Prisma } from "./generated/client";
import { lockDataDir, type DataDirLockTiming } from "./data-dir-lock";
import { preparedStatementName } from "./prepared";

/** A Prisma interactive transaction: what `prisma.$transaction(async (tx) => …)` hands its callback. */
export type Tx = Prisma.TransactionClient;

/** Where the data lives: a PostgreSQL server, or the embedded PGlite in a folder (or in memory). */
export type DatabaseTarget = { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string | null };

/** One connection inside one transaction, for bulk work Prisma cannot express (COPY, temp tables). */
export interface BulkSession {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /**
   * COPYs UTF-8 bytes of COPY text format (src/db/copy-text.ts, whole lines with their newlines)
   * into `table (columns)`. The pieces are read once, before the first await, and must stay
   * unchanged until the returned promise settles (they are sent as they are, not copied).
   */
  copyBytes(table: string, columns: readonly string[], pieces: Iterable<Uint8Array>): Promise<void>;
}

/** Runs one statement with parameters $1, $2… and returns its rows. */
export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A Prisma transaction as a SqlRunner, for plain-SQL helpers called inside one (same connection, same transaction). */
export const prismaSql = (tx: Tx): SqlRunner => ({
  query: <R>(sql: string, params: readonly unknown[] = []) => tx.$queryRawUnsafe<R[]>(sql, ...params),
});

/** A plain-SQL transaction's statements. */
export interface SqlTransaction extends SqlRunner {
  /**
   * The transaction's last statement, sent together with its COMMIT (one round trip instead of two):
   * resolves once both are done, and rejects (nothing committed) if either fails. `fn` must not run
   * another statement after it.
   */
  queryAndCommit<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * A read sent right behind queryAndCommit's COMMIT, in the same write, on the same connection but
   * outside the transaction: it sees what the transaction committed (and runs even if the commit
   * failed), at no round trip of its own. Call it after queryAndCommit, in the same turn (before
   * awaiting anything); its promise settles only after the transaction has ended, so await it
   * once `transaction` has returned, never inside `fn`.
   */
  afterCommit<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/**
 * Plain SQL beside Prisma, for the hottest paths (a Send click, an inbound webhook): Prisma's work
 * per query was a large share of their time. Texts registered with prepared() are parsed and
 * planned once per connection.
 */
export interface SqlClient extends SqlRunner {
  /**
   * One transaction on one connection: committed when `fn` returns (or by its queryAndCommit), rolled
   * back if it throws. On PostgreSQL its BEGIN travels with its first statement.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}

/** How long a plain-SQL transaction waits for a lock (Prisma's interactive transactions give up after 5 s too). */
export const SQL_LOCK_TIMEOUT_MS = 5_000;

/**
 * How long one statement of a heavy interactive read (a segment count, a campaign report) may run
 * before PostgreSQL cancels it: the organizer waiting on it gets an answer, and the connection goes
 * back to work. A typed count of a million contacts takes well under a second; a filter that takes
 * ten is one to change, not to wait on.
 */
export const HEAVY_READ_TIMEOUT_MS = 10_000;
/** Connections for heavy reads: enough for a few organizers at once, never all of the server's. */
const HEAVY_READ_CONNECTIONS = 4;

/** PostgreSQL cancelled a statement after HEAVY_READ_TIMEOUT_MS (SQLSTATE 57014). */
export function isStatementTimeout(error: unknown): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown; meta?: unknown } | undefined; e;) {
    const meta = e.meta as { code?: unknown; message?: unknown } | undefined;
    if (e.code === "57014" || meta?.code === "57014") return true;
    if (/statement timeout/i.test(`${String(e.message ?? "")} ${String(meta?.message ?? "")}`)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** The open database: the Prisma client plus what migrations and health checks need. */
export interface Database {
  readonly target: DatabaseTarget;
  readonly prisma: PrismaClient;
  /**
   * Prisma on a few connections of their own whose statements PostgreSQL cancels after
   * HEAVY_READ_TIMEOUT_MS (see isStatementTimeout): for reads an organizer waits on whose cost
   * depends on what they typed. They never take the connections sends and webhooks use. On the
   * embedded database, the same client as `prisma` (PGlite has one connection and no timer).
   */
  readonly heavyReads: PrismaClient;
  /** The same database without Prisma, for the hottest statements (see SqlClient). */
  readonly sql: SqlClient;
  /** Adapter factory for Prisma's schema engine (migrations). */
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Runs `fn` while holding a PostgreSQL session advisory lock on a dedicated connection. */
  withAdvisoryLock<T>(key: bigint, fn: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn` only if the advisory lock is free right now (pg_try_advisory_lock): with several
   * processes, one runs it and the others skip at once, none waits holding a connection.
   */
  withTryAdvisoryLock<T>(key: bigint, fn: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }>;
  /** Runs `fn` in one transaction on one connection; everything it wrote is rolled back if it throws. */
  withBulkSession<T>(fn: (session: BulkSession) => Promise<T>): Promise<T>;
  /** Cheap round trip; throws when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** How the embedded database's folder lock judges a holder dead (tests shorten it). */
  dataDirLock?: DataDirLockTiming;
  /** Statement time limit of the heavy-read connections (default HEAVY_READ_TIMEOUT_MS; tests shorten it). */
  heavyReadTimeoutMs?: number;
}

/**
 * Statements a transaction sends in one turn of the event loop leave in one write instead of one
 * each (BEGIN with the first statements, the last one with its COMMIT and what follows it): each
 * write is a system call that also wakes the server, and on the send path they were the largest
 * item of a click in a profile. Each call holds the connection's socket corked until the turn ends.
 */
function writeCoalescer(client: PoolClient): () => void {
  const socket = (client as unknown as { connection?: { stream?: Partial<Pick<Socket, "cork" | "uncork">> } })
    .connection?.stream;
  if (typeof socket?.cork !== "function" || typeof socket.uncork !== "function") return () => undefined;
  let corked = false;
  return () => {
    if (corked) return;
    corked = true;
    socket.cork!();
    process.nextTick(() => {
      corked = false;
      socket.uncork!();
    });
  };
}

/** Keeps a pooled connection's "error" event from ending the process, whether it is idle or checked out. */
const listenForErrors = (client: PoolClient) => void client.on("error", () => undefined);

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  return target.kind === "postgres" ? openPostgres(target, options) : openPglite(target, options);
}

function openPostgres(target: Extract<DatabaseTarget, { kind: "postgres" }>, options: OpenOptions): Database {
  const poolConfig = { connectionString: target.url, connectionTimeoutMillis: 5_000 };
  const adapterFactory = new PrismaPg(poolConfig);
  // One pool for Prisma and plain SQL; statements registered with prepared() are parsed and planned once per connection.
  // Pipelined: a statement issued while the connection still works on an earlier one is sent at
  // once, not after its answer, so a transaction's BEGIN and COMMIT ride with its first and last
  // statements (see transaction below). Statements awaited one by one (Prisma's) run as before.
  const pool = new Pool({ ...poolConfig, pipeline: true });
  // A connection the server closes (restart, failover, a dropped database) leaves the pool on its
  // own and the next query opens another; unheard, the pool's "error" event would end the process.
  pool.on("error", () => undefined);
  // The same for a connection checked out between two statements (a transaction awaiting its own
  // work): the pool stops listening while it is out, and its error would have no query to go to.
  // The next statement on it fails instead, and the pool discards it when it is released.
  pool.on("connect", listenForErrors);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { statementNameGenerator: preparedStatementName }) });
  const heavyPool = new Pool({
    ...poolConfig,
    max: HEAVY_READ_CONNECTIONS,
    statement_timeout: options.heavyReadTimeoutMs ?? HEAVY_READ_TIMEOUT_MS,
  });
  heavyPool.on("error", () => undefined);
  heavyPool.on("connect", listenForErrors);
  const heavyReads = new PrismaClient({ adapter: new PrismaPg(heavyPool) });
  const queryOn = async <R>(client: Pool | PoolClient, sql: string, params: readonly unknown[] = []): Promise<R[]> =>
    (await client.query({ name: preparedStatementName({ sql }) || undefined, text: sql, values: params as unknown[] }))
      .rows as R[];
  return {
    target,
    prisma,
    heavyReads,
    sql: {
      query: (sql, params) => queryOn(pool, sql, params),
      async transaction(fn) {
        const client = await pool.connect();
        const coalesce = writeCoalescer(client);
        // Statements sent behind the COMMIT (afterCommit): answered before the connection goes back.
        const after: Promise<unknown>[] = [];
        try {
          // A lock held elsewhere for this long means something is stuck: fail the click rather than hang it.
          // Not awaited: fn's first statement is pipelined behind it, and no statement's answer reaches
          // fn before BEGIN's did, so nothing fn does next can run outside the transaction.
          coalesce();
          const begun = client.query(`BEGIN; SET LOCAL lock_timeout = '${SQL_LOCK_TIMEOUT_MS}ms'`);
          begun.catch(() => undefined); // awaited by every statement below
          let committed = false;
          const statement = async <R>(sql: string, params?: readonly unknown[], commit = false): Promise<R[]> => {
            if (committed) throw new Error("a statement after the transaction's queryAndCommit");
            committed = commit;
            coalesce();
            const rows = queryOn<R>(client, sql, params);
            const done = commit ? client.query("COMMIT") : undefined;
            rows.catch(() => undefined);
            done?.catch(() => undefined);
            await begun;
            const result = await rows;
            // A COMMIT after a failed statement only rolls back, so it is checked only once the statement succeeded.
            if (done && (await done).command !== "COMMIT") throw new Error("the transaction was rolled back");
            return result;
          };
          const result = await fn({
            query: (sql, params) => statement(sql, params),
            queryAndCommit: (sql, params) => statement(sql, params, true),
            afterCommit: <R>(sql: string, params?: readonly unknown[]) => {
              if (!committed) return Promise.reject(new Error("afterCommit before the transaction's queryAndCommit"));
              coalesce();
              const rows = queryOn<R>(client, sql, params);
              after.push(rows.catch(() => undefined));
              return rows;
            },
          });
          await begun;
          if (!committed) await client.query("COMMIT");
          await Promise.all(after);
          client.release();
          return result;
        } catch (error) {
          await Promise.all(after);
          // A connection whose ROLLBACK fails is broken: it is closed instead of returned to the pool.
          const rolledBack = await client.query("ROLLBACK").then(
            () => true,
            () => false,
          );
          client.release(rolledBack ? undefined : (error as Error));
          throw error;
        }
      },
    },
    adapterFactory,
    async withAdvisoryLock(key, fn) {
      // A session lock must stay on one connection: a pg Client of its own, outside Prisma's pool.
      const client = new Client(poolConfig);
      // A connection the server ends must not crash the process; the query in flight fails instead.
      client.on("error", () => undefined);
      await client.connect();
      try {
        await client.query("SELECT pg_advisory_lock($1)", [key.toString()]);
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [key.toString()]).catch(() => undefined);
        await client.end().catch(() => undefined);
      }
    },
    async withTryAdvisoryLock(key, fn) {
      const client = new Client(poolConfig);
      // A lock connection the server ends must not crash the process; the query in flight fails instead.
      client.on("error", () => undefined);
      await client.connect();
      try {
        const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
          key.toString(),
        ]);
        if (!rows[0]?.locked) return { ran: false as const };
        try {
          return { ran: true as const, result: await fn() };
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [key.toString()]).catch(() => undefined);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async withBulkSession(fn) {
      const client = new Client(poolConfig);
      // A dropped connection fails the COPY or query in flight (and so the import), never the process.
      client.on("error", () => undefined);
      await client.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
          copyBytes: (table, columns, pieces) => copyWithPg(client, table, columns, pieces),
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async ping() {
      await prisma.$queryRawUnsafe("SELECT 1");
    },
    async close() {
      await Promise.all([prisma.$disconnect(), heavyReads.$disconnect()]);
      await Promise.all([pool.end(), heavyPool.end()]);
    },
  };
}

async function openPglite(
  target: Extract<DatabaseTarget, { kind: "pglite" }>,
  options: OpenOptions,
): Promise<Database> {
  let unlock = async () => undefined as void;
  if (target.dataDir) {
    await mkdir(target.dataDir, { recursive: true });
    // Before PGlite touches the folder: a second process is refused here, never let in to corrupt it.
    unlock = await lockDataDir(target.dataDir, options.dataDirLock);
  }
  const pglite = await (target.dataDir ? PGlite.create(target.dataDir) : PGlite.create()).catch(
    async (error: unknown) => {
      await unlock().catch(() => undefined);
      throw error;
    },
  );
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    target,
    prisma,
    heavyReads: prisma,
    // PGlite's own transactions hold its one connection, so Prisma's queries wait for them to end.
    sql: {
      query: async (sql, params) => (await pglite.query(sql, params as unknown[])).rows as never[],
      async transaction(fn) {
        // afterCommit's statements, run once the transaction has ended (as on PostgreSQL, whatever its outcome).
        const after: (() => void)[] = [];
        try {
          return await pglite.transaction((tx) => {
            let committed = false;
            const query = async (sql: string, params?: readonly unknown[]) => {
              if (committed) throw new Error("a statement after the transaction's queryAndCommit");
              return (await tx.query(sql, params as unknown[])).rows as never[];
            };
            // PGlite is in-process: no round trip to save, the commit follows when fn returns.
            return fn({
              query,
              queryAndCommit: (sql, params) => {
                const rows = query(sql, params);
                committed = true;
                return rows;
              },
              afterCommit: (sql, params) => {
                if (!committed) return Promise.reject(new Error("afterCommit before the transaction's queryAndCommit"));
                return new Promise<never[]>((resolve, reject) =>
                  after.push(
                    () => void pglite.query(sql, params as unknown[]).then((r) => resolve(r.rows as never[]), reject),
                  ),
                );
              },
            });
          });
        } finally {
          for (const run of after) run();
        }
      },
    },
    adapterFactory: new PrismaPGlite(pglite),
    // PGlite is one in-process connection owned by this process: nobody else can race us.
    withAdvisoryLock: (_key, fn) => fn(),
    // One process owns an embedded database, and a job never overlaps itself within a process.
    withTryAdvisoryLock: async (_key, fn) => ({ ran: true, result: await fn() }),
    withBulkSession: (fn) =>
      pglite.transaction((tx) =>
        fn({
          query: async (sql, params) => (await tx.query(sql, params as unknown[])).rows as never[],
          copyBytes: (table, columns, pieces) => copyWithPglite(tx, table, columns, pieces),
        }),
      ),
    async ping() {
      await pglite.query("SELECT 1");
    },
    async close() {
      try {
        await prisma.$disconnect();
        await pglite.close();
      } finally {
        await unlock();
      }
    },
  };
}

const copySql = (table: string, columns: readonly string[], source: string) =>
  `COPY ${table} (${columns.map((c) => `"${c}"`).join(", ")}) FROM ${source}`;

/** Server-side COPY FROM STDIN. */
async function copyWithPg(client: Client, table: string, columns: readonly string[], pieces: Iterable<Uint8Array>) {
  const stream = client.query(copyFrom(copySql(table, columns, "STDIN")));
  for (const piece of pieces) stream.write(piece);
  stream.end();
  await finished(stream);
}

/** PGlite has no COPY FROM STDIN; it copies from an in-memory blob. */
async function copyWithPglite(
  tx: Transaction,
  table: string,
  columns: readonly string[],
  pieces: Iterable<Uint8Array>,
) {
  await tx.query(copySql(table, columns, "'/dev/blob'"), [], { blob: new Blob([...pieces]) });
}
