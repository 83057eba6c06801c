import type { Database } from "../../../src/db/database";
import { JOBS, runJob, type JobDeps } from "../../../src/jobs/scheduler";
import { KEEP_UNUSED_MEDIA_HOURS, newMediaId, pruneUnusedMedia } from "../../../src/services/media";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const NOW = new Date("2026-11-30T16:00:00Z");
const HOUR = 3_600_000;
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * HOUR);
const OLD = hoursAgo(KEEP_UNUSED_MEDIA_HOURS + 1);

describe.each(BACKENDS)("pruning stored media nothing uses (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let serial = 0;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());
  beforeEach(async () => {
    await db.prisma.inboundEvent.deleteMany();
    await db.prisma.message.deleteMany();
    await db.prisma.campaign.deleteMany();
    await db.prisma.media.deleteMany();
  });

  async function stored(createdAt: Date): Promise<string> {
    const id = newMediaId();
    await db.prisma.media.create({
      data: { id, contentType: "image/jpeg", body: new Uint8Array([1, 2, 3]), bytes: 3, originalBytes: 3, createdAt },
    });
    return id;
  }

  const campaign = (data: { mediaIds?: string[]; mediaFileIds?: string[] } = {}) =>
    db.prisma.campaign.create({ data: { name: `prune ${++serial}`, status: "archived", createdBy: "U0ORG", ...data } });

  async function text(direction: "inbound" | "outbound", mediaId: string): Promise<void> {
    const contact = await db.prisma.contact.create({ data: { phone: `+1312555${String(++serial).padStart(4, "0")}` } });
    await db.prisma.message.create({
      data: {
        direction,
        contactId: contact.id,
        fromPhone: "+12125550199",
        toPhone: contact.phone,
        body: "",
        status: direction === "inbound" ? "received" : "delivered",
        mediaIds: [mediaId],
        createdAt: hoursAgo(24 * 400),
      },
    });
  }

  const reply = (data: {
    payload?: object;
    media?: object;
    mediaState?: string;
    processedAt?: Date;
    failedAt?: Date;
  }) =>
    db.prisma.inboundEvent.create({
      data: {
        source: "slack.reply",
        externalId: `C0REPLIES:${++serial}`,
        payload: { channel: "C0REPLIES", ts: `${serial}`, threadTs: "1", user: "U0VOL", text: "" },
        receivedAt: hoursAgo(48),
        ...data,
      },
    });

  it("keeps media a campaign, canned reply, text or waiting reply uses, and new ones; deletes the rest", async () => {
    const links = await stored(OLD);
    const files = await stored(OLD);
    const camp = await campaign({ mediaIds: [links], mediaFileIds: [files] });
    const canned = await stored(OLD);
    await db.prisma.cannedReply.create({
      data: { campaignId: camp.id, title: "Flyer", body: "Here", mediaIds: [canned], createdBy: "U0ORG" },
    });
    const sent = await stored(OLD);
    await text("outbound", sent);
    const votersPicture = await stored(OLD);
    await text("inbound", votersPicture);
    // A volunteer's reply whose files the media lane stored, waiting for the inbox to send it.
    const laneReady = await stored(OLD);
    await reply({ mediaState: "ready", media: { ids: [laneReady], refused: [] } });
    // A canned reply picked in a thread, still in the inbox, whose reply has since changed its media; and one set aside.
    const cannedQueued = await stored(OLD);
    await reply({ payload: { canned: true, text: "Here", mediaIds: [cannedQueued] } });
    const setAside = await stored(OLD);
    await reply({ mediaState: "ready", media: { ids: [setAside], refused: [] }, failedAt: hoursAgo(30) });
    const fresh = await stored(hoursAgo(KEEP_UNUSED_MEDIA_HOURS - 1));
    const kept = [links, files, canned, sent, votersPicture, laneReady, cannedQueued, setAside, fresh];

    const unused = await stored(OLD);
    // A processed reply that never sent (opted out meanwhile): its inbox row alone keeps nothing.
    const dropped = await stored(OLD);
    await reply({ mediaState: "ready", media: { ids: [dropped], refused: [] }, processedAt: hoursAgo(30) });
    // Removed from a campaign: the campaign now names another one.
    const removed = await stored(OLD);
    await campaign({ mediaFileIds: [fresh] });

    expect(await pruneUnusedMedia(db, NOW)).toEqual({ pruned: 3 });
    const left = (await db.prisma.media.findMany({ select: { id: true } })).map((m) => m.id).sort();
    expect(left).toEqual([...kept].sort());
    expect(await db.prisma.media.count({ where: { id: { in: [unused, dropped, removed] } } })).toBe(0);
    expect(await pruneUnusedMedia(db, NOW)).toEqual({ pruned: 0 });
  });

  it("deletes in batches until none is left", async () => {
    const ids = Array.from({ length: 450 }, () => newMediaId());
    await db.prisma.media.createMany({
      data: ids.map((id) => ({
        id,
        contentType: "image/png",
        body: new Uint8Array([7]),
        bytes: 1,
        originalBytes: 1,
        createdAt: OLD,
      })),
    });
    const used = await stored(OLD);
    await campaign({ mediaIds: [used] });
    expect(await pruneUnusedMedia(db, NOW)).toEqual({ pruned: 450 });
    expect((await db.prisma.media.findMany({ select: { id: true } })).map((m) => m.id)).toEqual([used]);
  });

  it("runs as the scheduled job p2pjob16", async () => {
    await stored(OLD);
    const job = JOBS.find((j) => j.name === "prune-unused-media")!;
    expect(Buffer.from(job.lockKey.toString(16), "hex").toString("latin1")).toBe("p2pjob16");
    const outcome = await runJob({ db, clock: () => NOW } as unknown as JobDeps, job);
    expect(outcome).toEqual({ job: job.name, ran: true, result: { pruned: 1 } });
    expect(await db.prisma.media.count()).toBe(0);
  });
});
