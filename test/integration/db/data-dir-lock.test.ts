import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DataDirInUse } from "../../../src/db/data-dir-lock";
import { openDatabase, type Database } from "../../../src/db/database";

/* Two PGlite instances on one folder corrupt it: the second open of a DATA_DIR is refused. */

const ROOT = path.resolve(__dirname, "../../..");
// Short enough for a test, long enough that a holder starved of CPU on a busy machine is not taken for dead.
const FAST = { dataDirLock: { staleMs: 8_000, updateMs: 1_000 } };

/** Another process holding the folder open, as a second `npm start` would. */
function holdInAnotherProcess(dataDir: string): { child: ChildProcess; opened: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/hold-data-dir.ts", dataDir], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const opened = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      if (output.includes("opened")) resolve();
      if (output.includes("failed")) reject(new Error(output));
    });
    child.on("exit", (code) => reject(new Error(`the holder exited (${code}): ${output}`)));
  });
  return { child, opened };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode ? resolve() : child.on("exit", () => resolve()),
  );

describe("one process per embedded database folder", () => {
  let dataDir: string;
  const open: Database[] = [];
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "p2p-lock-"));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close().catch(() => undefined)));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a second open of the folder, saying several processes need DATABASE_URL; free again once closed", async () => {
    const first = await openDatabase({ kind: "pglite", dataDir }, FAST);
    open.push(first);
    const second = await openDatabase({ kind: "pglite", dataDir }, FAST).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(DataDirInUse);
    expect((second as Error).message).toContain(
      `The embedded database in ${dataDir} is already open in another process`,
    );
    expect((second as Error).message).toContain("DATABASE_URL");
    await first.close();
    open.pop();

    const again = await openDatabase({ kind: "pglite", dataDir }, FAST);
    open.push(again);
    await expect(again.ping()).resolves.toBeUndefined();
  });

  it("refuses while another live process holds it, and takes over the lock of one that was killed", async () => {
    const holder = holdInAnotherProcess(dataDir);
    try {
      await holder.opened;
      const refused = await openDatabase({ kind: "pglite", dataDir }, FAST).catch((e: unknown) => e);
      // Opened by mistake, it is closed with the others, so its lock's timer never outlives the test.
      if (!(refused instanceof Error)) open.push(refused as Database);
      expect(refused).toBeInstanceOf(DataDirInUse);
    } finally {
      holder.child.kill("SIGKILL");
      await exited(holder.child);
    }
    // The killed process left its lock behind; it goes stale and is taken over.
    const db = await openDatabase({ kind: "pglite", dataDir }, FAST);
    open.push(db);
    await db.prisma.$queryRawUnsafe("SELECT 1");
    // Two embedded databases opened in two processes, and the stale lock's wait: more than the usual 30 s on a busy machine.
  }, 90_000);
});
