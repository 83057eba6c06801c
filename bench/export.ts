import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../src/db/database";
import { applyMigrations } from "../src/db/migrate";
import { writeCampaignExport } from "../src/services/campaign-export";
import { createPostgresDatabase } from "../test/support/databases";
import { machine, round } from "./support";

const MESSAGES = Number(process.env.BENCH_EXPORT_MESSAGES ?? 1_000_000);
const PER_CONTACT = 4;
const CAMPAIGN = "00000000-0000-7000-8000-0000000be001";

/** One running campaign: MESSAGES / 4 contacts, each with a conversation and 4 messages (2 ours, 2 theirs). */
const SEED = [
  `INSERT INTO "Campaign" (id, name, status, "goalOutcomeTag", "createdBy", "createdAt", "updatedAt")
   VALUES ('${CAMPAIGN}', 'Bench export', 'running', 'pledged', 'U0ORG', now(), now())`,
  `INSERT INTO "Contact" (id, phone, "firstName", "lastName", tags, "customFields", "createdAt", "updatedAt")
   SELECT gen_random_uuid(), '+1' || (2015000000 + i)::text, 'Voter ' || i, 'Smith', ARRAY['bench', 'donor'],
     jsonb_build_object('precinct', 'P-' || (i % 700)), now(), now()
   FROM generate_series(1, ${MESSAGES / PER_CONTACT}) i`,
  `INSERT INTO "CampaignContact" (id, "campaignId", "contactId", status, "firstTextAt", "lastTextAt", "updatedAt")
   SELECT gen_random_uuid(), '${CAMPAIGN}', id, 'sent', now(), now(), now() FROM "Contact"`,
  `INSERT INTO "Conversation" (id, "campaignId", "contactId", tags, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), '${CAMPAIGN}', id, CASE WHEN random() < 0.2 THEN ARRAY['pledged'] ELSE ARRAY[]::text[] END, now(), now()
   FROM "Contact"`,
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, status, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), CASE WHEN n % 2 = 0 THEN 'outbound' ELSE 'inbound' END::"MessageDirection", cv.id, cv."contactId",
     CASE WHEN n % 2 = 0 THEN cv."campaignId" END, '+12125550199', '+12125550100',
     'Hi there, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out. ' || n, 'delivered', now(), now()
   FROM "Conversation" cv, generate_series(0, ${PER_CONTACT - 1}) n`,
  "ANALYZE",
];

/** Peak RSS and heap while `fn` runs, sampled every 25 ms. */
async function withPeaks<T>(fn: () => Promise<T>) {
  let rss = process.memoryUsage().rss;
  let heap = process.memoryUsage().heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  const timer = setInterval(sample, 25);
  try {
    const result = await fn();
    sample();
    return { result, peakRssMb: round(rss / 2 ** 20, 0), peakHeapMb: round(heap / 2 ** 20, 0) };
  } finally {
    clearInterval(timer);
  }
}

export async function exportBenchmark(): Promise<Record<string, unknown>> {
  const pg = await createPostgresDatabase();
  const db = await openDatabase(pg.target);
  const dir = await mkdtemp(path.join(tmpdir(), "bench-export-"));
  let errors = 0;
  try {
    await applyMigrations(db);
    const seeded = performance.now();
    for (const sql of SEED) await db.prisma.$executeRawUnsafe(sql);
    const seedSeconds = (performance.now() - seeded) / 1000;
    const before = process.memoryUsage();
    const started = performance.now();
    const { result, peakRssMb, peakHeapMb } = await withPeaks(() =>
      writeCampaignExport(db, { userId: "U0ORG", role: "organizer", at: new Date() }, "Bench export", dir),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      what: "/campaign export of one campaign to CSV files on disk (PostgreSQL), read in pages by key and streamed",
      messages: MESSAGES,
      contacts: MESSAGES / PER_CONTACT,
      seconds: round(seconds, 2),
      rowsPerSecond: round((result.files[0]!.rows + result.files[1]!.rows) / seconds, 0),
      rssBeforeMb: round(before.rss / 2 ** 20, 0),
      peakRssMb,
      heapBeforeMb: round(before.heapUsed / 2 ** 20, 0),
      peakHeapMb,
      files: result.files.map((f) => ({
        name: f.name,
        rows: f.rows,
        mb: round(f.bytes / 2 ** 20),
        pages: f.pages,
        seconds: round(f.seconds, 1),
      })),
      seedSeconds: round(seedSeconds, 1),
      errors,
      machine: machine(),
    };
  } catch (error) {
    errors++;
    return { what: "/campaign export", messages: MESSAGES, errors, error: (error as Error).message };
  } finally {
    await db.close();
    await pg.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
