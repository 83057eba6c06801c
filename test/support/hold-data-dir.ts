import { openDatabase } from "../../src/db/database";

/*
 * A second process for the data folder lock tests: opens the embedded database in argv[2] (with
 * the tests' short lock timing), says "opened" on stdout, and keeps it open until killed.
 */
async function main(): Promise<void> {
  const dataDir = process.argv[2]!;
  const db = await openDatabase({ kind: "pglite", dataDir }, { dataDirLock: { staleMs: 8_000, updateMs: 1_000 } });
  await db.ping();
  process.stdout.write("opened\n");
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stdout.write(`failed: ${(error as Error).message}\n`);
  process.exit(1);
});
