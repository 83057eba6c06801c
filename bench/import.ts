import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Client } from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { openDatabase } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { importContacts } from "../src/services/contact-import";
import { createPostgresDatabase } from "../test/support/databases";
import { machine, round } from "./support";

/** The benchmark imports as an organizer would. */
const BENCH_ORGANIZER = { userId: "bench", role: "organizer" as const, at: new Date() };

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const AREA_CODES = ["212", "718", "415", "602", "808", "312", "303", "907", "305", "617", "503", "214"];
const ZIPS = [
  "10001",
  "11201",
  "94103",
  "85004",
  "96813",
  "60601",
  "80202",
  "99501",
  "33101",
  "02134",
  "97201",
  "75201",
];
const FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ike", "June"];
const LAST = ["Nguyen", "Smith", "García", "O'Brien", "Kowalski", "Okafor", "Lee", "Patel"];

/** 1M realistic rows: mixed phone formats, ~1% invalid, ~2% repeated phones, tags and a custom column. */
async function writeCsv(file: string): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  await write("First Name,Last Name,Cell Phone,Zip Code,Tags,Precinct\n");
  let chunk = "";
  for (let i = 0; i < ROWS; i++) {
    const n = i % 50 === 7 ? i - 3 : i; // a repeat of a recent phone
    const area = AREA_CODES[n % AREA_CODES.length]!;
    const exchange = 200 + (Math.floor(n / 10_000) % 800);
    const line = String(n % 10_000).padStart(4, "0");
    const phone =
      i % 100 === 13
        ? "555-CALL-NOW"
        : [
            `(${area}) ${exchange}-${line}`,
            `${area}${exchange}${line}`,
            `+1 ${area} ${exchange} ${line}`,
            `1-${area}-${exchange}-${line}`,
          ][i % 4]!;
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[i % LAST.length]!;
    const lastCell = last.includes("'") ? `"${last}"` : last;
    chunk += `${first},${lastCell},${phone},${ZIPS[n % ZIPS.length]},${i % 3 === 0 ? "volunteer;donor" : "voter"},P-${i % 700}\n`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = "";
    }
  }
  await write(chunk);
  out.end();
  await once(out, "finish");
}

/**
 * CPU seconds the PostgreSQL backends of database `name` spend while `fn` runs, read from /proc
 * every 50 ms (Linux, server on this machine; null elsewhere). Unlike wall time, it barely moves
 * when other work shares the machine's cores. The sampling itself runs in this process and so
 * counts in its Node CPU: the backends are listed once a second, and /proc is read synchronously
 * in between. Listing them every 50 ms (a query and asynchronous reads) cost Node about 1.5 s of
 * CPU per 30 s of import, and more the longer a loaded machine made the import take; this way
 * about 0.3 s.
 */
async function withServerCpu<T>(
  monitor: Client,
  fn: () => Promise<T>,
): Promise<{ result: T; serverCpuSeconds: number | null }> {
  const ticks = new Map<number, number>();
  let readable = false;
  const read = () => {
    for (const pid of ticks.keys()) {
      // A backend that ended since it was listed keeps its last reading.
      let stat: string | null = null;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      const fields = stat.split(") ")[1]?.split(" ");
      if (fields) ticks.set(pid, Number(fields[11]) + Number(fields[12]));
      readable = true;
    }
  };
  const list = async () => {
    const { rows } = await monitor.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    for (const { pid } of rows) if (!ticks.has(pid)) ticks.set(pid, 0);
    read();
  };
  await list().catch(() => undefined);
  // Not Linux, or the server runs elsewhere, and `readable` stays false: its processes cannot be read here.
  const before = new Map(ticks);
  let listing = Promise.resolve();
  let turns = 0;
  const timer = setInterval(() => {
    if (++turns % 20 === 0) listing = listing.then(list).catch(() => undefined);
    else read();
  }, 50);
  try {
    const result = await fn();
    clearInterval(timer);
    await listing;
    read();
    return {
      result,
      serverCpuSeconds: readable
        ? round([...ticks].reduce((sum, [pid, t]) => sum + t - (before.get(pid) ?? 0), 0) / CLOCK_TICKS, 2)
        : null,
    };
  } finally {
    clearInterval(timer);
    await listing;
  }
}

/** Linux's USER_HZ: /proc reports CPU time in these. */
const CLOCK_TICKS = 100;

/**
 * Peak resident memory while `fn` runs, sampled every 25 ms. Only the RSS is read each time: the
 * whole of process.memoryUsage() walks the heap's spaces (a third of a millisecond with the
 * import's heap), so the peak's makeup is read when a new peak is seen.
 */
async function withPeakRss<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; peakRssMb: number; rssBeforeMb: number; atPeakMb: Record<string, number> }> {
  const before = process.memoryUsage();
  let peak = before;
  const sample = () => {
    if (process.memoryUsage.rss() > peak.rss) peak = process.memoryUsage();
  };
  const timer = setInterval(sample, 25);
  const mb = (bytes: number) => round(bytes / 2 ** 20, 0);
  try {
    const result = await fn();
    sample();
    return {
      result,
      peakRssMb: mb(peak.rss),
      rssBeforeMb: mb(before.rss),
      atPeakMb: { heapUsed: mb(peak.heapUsed), heapTotal: mb(peak.heapTotal), external: mb(peak.external) },
    };
  } finally {
    clearInterval(timer);
  }
}

/** Contacts per COPY in the import (its default chunk). */
const CHUNK_CONTACTS = 10_000;

/**
 * One floor: `setup` (a table to COPY into), a CHECKPOINT so no floor inherits another's dirty
 * pages, then `copy` timed, with the server's CPU.
 */
async function timedFloor(
  client: Client,
  monitor: Client,
  setup: string,
  copy: () => Promise<unknown>,
): Promise<{ seconds: number; serverCpuSeconds: number | null }> {
  await client.query(setup);
  await client.query("CHECKPOINT");
  const started = performance.now();
  const { serverCpuSeconds } = await withServerCpu(monitor, copy);
  return { seconds: round((performance.now() - started) / 1000, 2), serverCpuSeconds };
}

/** COPY text lines into `table`, `perCopy` lines a statement, in one transaction (as the import does). */
async function copyInChunks(client: Client, table: string, text: Buffer, perCopy: number): Promise<void> {
  await client.query("BEGIN");
  let start = 0;
  while (start < text.length) {
    let end = start;
    for (let lines = 0; lines < perCopy && end < text.length; lines++) end = text.indexOf(10, end) + 1 || text.length;
    const piece = text.subarray(start, end);
    await pipeline(Readable.from([piece]), client.query(copyFrom(`COPY ${table} FROM STDIN`)));
    start = end;
  }
  await client.query("COMMIT");
}

export async function importBenchmark(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-import-"));
  const file = path.join(dir, "contacts.csv");
  const pg = await createPostgresDatabase();
  if (pg.target.kind !== "postgres") throw new Error("expected PostgreSQL");
  const db = await openDatabase(pg.target);
  try {
    await writeCsv(file);
    await applyMigrations(db);
    const fileMb = round((await stat(file)).size / 2 ** 20);

    // The floor: the same bytes COPYed as-is into a bare table of text columns.
    const client = new Client({ connectionString: pg.target.url });
    await client.connect();
    await client.query("CREATE UNLOGGED TABLE raw_copy (a text, b text, c text, d text, e text, f text)");
    const monitor = new Client({ connectionString: pg.target.url });
    await monitor.connect();
    const copyStarted = performance.now();
    const { serverCpuSeconds: rawCopyServerCpuSeconds } = await withServerCpu(monitor, () =>
      pipeline(
        createReadStream(file),
        client.query(copyFrom("COPY raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)")),
      ),
    );
    const rawCopySeconds = (performance.now() - copyStarted) / 1000;

    const started = performance.now();
    const nodeCpu = process.cpuUsage();
    const {
      result: { result: summary, peakRssMb, rssBeforeMb, atPeakMb },
      serverCpuSeconds,
    } = await withServerCpu(monitor, () =>
      withPeakRss(() => importContacts(db, createReadStream(file, { highWaterMark: 1 << 20 }), BENCH_ORGANIZER)),
    );
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(nodeCpu);
    const contacts = await db.prisma.contact.count();

    // A second floor: the stored contacts COPYed as they are into a table with Contact's columns
    // and indexes, which is what PostgreSQL needs at least to store them (index upkeep and WAL included).
    const dumped = path.join(dir, "contacts.copy");
    await pipeline(client.query(copyTo(`COPY "Contact" TO STDOUT`)), createWriteStream(dumped));
    const copyInto = (table: string) => () =>
      pipeline(createReadStream(dumped), client.query(copyFrom(`COPY ${table} FROM STDIN`)));
    const contactCopy = await timedFloor(
      client,
      monitor,
      `CREATE TABLE contact_copy (LIKE "Contact" INCLUDING ALL)`,
      copyInto("contact_copy"),
    );
    const typedCopy = await timedFloor(
      client,
      monitor,
      `CREATE UNLOGGED TABLE typed_copy (LIKE "Contact" INCLUDING DEFAULTS)`,
      copyInto("typed_copy"),
    );
    const loggedCopy = await timedFloor(
      client,
      monitor,
      `CREATE TABLE logged_copy (LIKE "Contact" INCLUDING DEFAULTS)`,
      copyInto("logged_copy"),
    );
    // The third floor: Contact's indexes and its triggers too (ContactChoice's counts), COPYed in the
    // import's chunks inside one transaction: all that storing these contacts in Contact costs.
    const triggers = await client.query<{ def: string }>(
      `SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = '"Contact"'::regclass AND NOT tgisinternal`,
    );
    const storeFloor = await timedFloor(
      client,
      monitor,
      [
        `CREATE TABLE store_copy (LIKE "Contact" INCLUDING ALL)`,
        ...triggers.rows.map(({ def }) => def.replace(/ ON (public\.)?"Contact" /, " ON store_copy ")),
      ].join(";\n"),
      () => copyInChunks(client, "store_copy", readFileSync(dumped), CHUNK_CONTACTS),
    );
    await client.end();
    await monitor.end();
    return {
      what: "CSV → normalized, deduplicated contacts in PostgreSQL (one transaction), vs a raw COPY of the same file and COPYs of the stored contacts",
      rows: ROWS,
      fileMb,
      seconds: round(seconds, 2),
      rowsPerSecond: round(ROWS / seconds, 0),
      peakRssMb,
      /** The process before the import began (the generated file's garbage included), and the peak's makeup. */
      rssBeforeMb,
      atPeakMb,
      rawCopySeconds: round(rawCopySeconds, 2),
      /** The target: at most 6 for a million rows. */
      ratioToRawCopy: round(seconds / rawCopySeconds, 1),
      contactCopySeconds: contactCopy.seconds,
      ratioToContactCopy: round(seconds / contactCopy.seconds, 1),
      /**
       * What storing these contacts costs PostgreSQL, step by step, each a COPY of the stored
       * contacts: Contact's column types alone (unlogged, no index), + WAL, + Contact's indexes
       * (contactCopySeconds), + its triggers in the import's chunks (storeFloorSeconds).
       */
      typedCopySeconds: typedCopy.seconds,
      loggedCopySeconds: loggedCopy.seconds,
      storeFloorSeconds: storeFloor.seconds,
      ratioToStoreFloor: round(seconds / storeFloor.seconds, 1),
      /** CPU seconds, less moved by other work on the machine than wall time. */
      cpu: {
        nodeSeconds: round((user + system) / 1e6, 2),
        serverSeconds: serverCpuSeconds,
        rawCopyServerSeconds: rawCopyServerCpuSeconds,
        typedCopyServerSeconds: typedCopy.serverCpuSeconds,
        loggedCopyServerSeconds: loggedCopy.serverCpuSeconds,
        contactCopyServerSeconds: contactCopy.serverCpuSeconds,
        storeFloorServerSeconds: storeFloor.serverCpuSeconds,
      },
      contactsStored: contacts,
      summary: { ...summary, invalidRows: summary.invalidRows.length },
      machine: machine(),
    };
  } finally {
    await db.close();
    await pg.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
