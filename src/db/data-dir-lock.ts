import { stat } from "node:fs/promises";
import path from "node:path";
import { lock } from "proper-lockfile";

/*
 * One process per embedded database. PGlite opens a folder without checking whether another
 * process has it open, and two instances writing one folder corrupt it. So the folder gets a lock
 * (proper-lockfile: a directory created atomically, its time touched every LOCK_UPDATE_MS while the
 * holder lives). A lock nobody touches for LOCK_STALE_MS belongs to a process that was killed, and
 * is taken over; one that is still being touched is refused at once.
 */

/** The lock, inside the folder it guards (PostgreSQL ignores files it does not know). */
export const DATA_DIR_LOCK_NAME = "app.lock";
/** A lock untouched this long is a killed process's: a restart waits at most this long for it. */
export const LOCK_STALE_MS = 20_000;
/** How often the holder touches its lock. */
export const LOCK_UPDATE_MS = 2_000;

export interface DataDirLockTiming {
  staleMs: number;
  updateMs: number;
}

/** Another live process holds the folder. */
export class DataDirInUse extends Error {
  override name = "DataDirInUse";
  constructor(dataDir: string) {
    super(
      `The embedded database in ${dataDir} is already open in another process of this app. Two processes on one embedded database would corrupt it: stop the other one, or, to run several processes, give them all the DATABASE_URL of one PostgreSQL server.`,
    );
  }
}

/** Takes the folder's lock (waiting out a killed holder's stale lock) and answers its release. */
export async function lockDataDir(
  dataDir: string,
  timing: DataDirLockTiming = { staleMs: LOCK_STALE_MS, updateMs: LOCK_UPDATE_MS },
): Promise<() => Promise<void>> {
  const lockfilePath = path.join(dataDir, DATA_DIR_LOCK_NAME);
  const started = Date.now();
  let touchedAt: number | undefined;
  for (;;) {
    try {
      return await lock(dataDir, {
        lockfilePath,
        stale: timing.staleMs,
        update: timing.updateMs,
        onCompromised: (error) => {
          // Another process took the folder over (this one was frozen longer than staleMs): stop before both write.
          throw new Error(`Lost the lock on the embedded database in ${dataDir} (${error.message}); stopping.`);
        },
      });
    } catch (error) {
      if ((error as { code?: string }).code !== "ELOCKED") throw error;
    }
    const touched = await stat(lockfilePath).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    // The holder touched its lock while we waited: it is alive.
    if (touched !== undefined && touchedAt !== undefined && touched !== touchedAt) throw new DataDirInUse(dataDir);
    touchedAt = touched ?? touchedAt;
    if (Date.now() - started > timing.staleMs + timing.updateMs) throw new DataDirInUse(dataDir);
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, timing.updateMs / 2)));
  }
}
