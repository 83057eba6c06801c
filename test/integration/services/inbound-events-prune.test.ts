import type { Database } from "../../../src/db/database";
import { JOBS, runJob, type JobDeps } from "../../../src/jobs/scheduler";
import { KEEP_PROCESSED_EVENTS_DAYS, pruneProcessedInboundEvents } from "../../../src/services/inbound-events";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const NOW = new Date("2026-11-30T16:00:00Z");
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

describe.each(BACKENDS)("pruning the inbox's records (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());
  beforeEach(() => db.prisma.inboundEvent.deleteMany());

  let serial = 0;
  const event = (fields: { receivedAt: Date; processedAt?: Date | null; failedAt?: Date | null }) =>
    db.prisma.inboundEvent.create({
      data: { source: "twilio.sms", externalId: `SM${++serial}`, payload: { body: "hi" }, ...fields },
    });

  it("deletes events processed over 30 days ago, in batches; keeps recent, unprocessed and set-aside ones", async () => {
    await db.prisma.inboundEvent.createMany({
      data: Array.from({ length: 5_020 }, (_, i) => ({
        source: "slack.reply",
        externalId: `C0REPLIES:old${i}`,
        payload: {},
        receivedAt: daysAgo(KEEP_PROCESSED_EVENTS_DAYS + 5),
        processedAt: daysAgo(KEEP_PROCESSED_EVENTS_DAYS + 1),
      })),
    });
    const recent = await event({ receivedAt: daysAgo(40), processedAt: daysAgo(KEEP_PROCESSED_EVENTS_DAYS - 1) });
    const unprocessed = await event({ receivedAt: daysAgo(200) });
    const setAside = await event({ receivedAt: daysAgo(200), processedAt: null, failedAt: daysAgo(199) });
    // Set aside, then processed by hand later: still kept, it is the record of what went wrong.
    const setAsideThenDone = await event({
      receivedAt: daysAgo(200),
      processedAt: daysAgo(100),
      failedAt: daysAgo(199),
    });

    expect(await pruneProcessedInboundEvents(db.prisma, NOW)).toEqual({ pruned: 5_020 });
    const left = (await db.prisma.inboundEvent.findMany({ select: { id: true } })).map((e) => e.id).sort();
    expect(left).toEqual([recent.id, unprocessed.id, setAside.id, setAsideThenDone.id].sort());
    expect(await pruneProcessedInboundEvents(db.prisma, NOW)).toEqual({ pruned: 0 });
  });

  it("runs as the scheduled job p2pjob12", async () => {
    await event({ receivedAt: daysAgo(90), processedAt: daysAgo(89) });
    const job = JOBS.find((j) => j.name === "prune-processed-inbound-events")!;
    expect(Buffer.from(job.lockKey.toString(16), "hex").toString("latin1")).toBe("p2pjob12");
    const outcome = await runJob({ db, clock: () => NOW } as unknown as JobDeps, job);
    expect(outcome).toEqual({ job: job.name, ran: true, result: { pruned: 1 } });
    expect(await db.prisma.inboundEvent.count()).toBe(0);
  });
});
