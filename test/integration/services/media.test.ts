import fc from "fast-check";
import type { Database } from "../../../src/db/database";
import type { CampaignStatus } from "../../../src/domain/campaign-status";
import { MEDIA_AFTER_TEXT_HOURS, mayServeMedia, type MediaUse } from "../../../src/domain/media-access";
import { MediaRefused } from "../../../src/media/mms";
import { findServableMedia, newMediaId, prepareMedia, storeMedia } from "../../../src/services/media";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { noisyJpeg, pdf } from "../../support/media-fixtures";

const HOUR = 3_600_000;
const STATUSES: CampaignStatus[] = ["draft", "running", "paused", "archived"];

describe.each(BACKENDS)("stored media and who may fetch it (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let serial = 0;
  const now = new Date("2026-11-02T15:00:00Z");

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const item = () => storeMedia(db, { body: Buffer.from("picture"), contentType: "image/jpeg", originalBytes: 7 });
  const campaign = (status: CampaignStatus, mediaIds: string[] = []) =>
    db.prisma.campaign.create({ data: { name: `media ${++serial}`, status, createdBy: "U0ORG", mediaIds } });

  async function cannedReply(status: CampaignStatus, mediaId: string): Promise<void> {
    const camp = await campaign(status);
    await db.prisma.cannedReply.create({
      data: { campaignId: camp.id, title: "Flyer", body: "Here it is", mediaIds: [mediaId], createdBy: "U0ORG" },
    });
  }

  async function text(use: Extract<MediaUse, { kind: "text" }>, mediaId: string): Promise<void> {
    const contact = await db.prisma.contact.create({ data: { phone: `+1312555${String(++serial).padStart(4, "0")}` } });
    const camp = use.campaignStatus ? await campaign(use.campaignStatus) : null;
    const conversation = await db.prisma.conversation.create({ data: { contactId: contact.id, campaignId: camp?.id } });
    await db.prisma.message.create({
      data: {
        direction: use.direction,
        conversationId: conversation.id,
        contactId: contact.id,
        fromPhone: "+12125550199",
        toPhone: contact.phone,
        body: "",
        status: "sent",
        mediaIds: [mediaId],
        createdAt: use.sentAt,
      },
    });
  }

  it("serves nothing for an id that does not exist, is malformed, or is not used by anything", async () => {
    const unused = await item();
    expect(await findServableMedia(db, unused.id, now)).toBeNull();
    expect(await findServableMedia(db, newMediaId(), now)).toBeNull();
    expect(await findServableMedia(db, "../../etc/passwd", now)).toBeNull();
    expect(await findServableMedia(db, "", now)).toBeNull();
  });

  it("serves a running campaign's media byte for byte with its type, and stops when it is archived", async () => {
    const media = await item();
    const camp = await campaign("running", [media.id]);
    expect(await findServableMedia(db, media.id, now)).toEqual({
      contentType: "image/jpeg",
      body: Buffer.from("picture"),
    });
    await db.prisma.campaign.update({ where: { id: camp.id }, data: { status: "archived" } });
    expect(await findServableMedia(db, media.id, now)).toBeNull();
  });

  it("serves a canned reply's media while its campaign runs or is paused, and 404s once it is archived", async () => {
    const media = await item();
    const camp = await campaign("draft");
    await db.prisma.cannedReply.create({
      data: { campaignId: camp.id, title: "Flyer", body: "Here it is", mediaIds: [media.id], createdBy: "U0ORG" },
    });
    expect(await findServableMedia(db, media.id, now)).toBeNull();
    for (const status of ["running", "paused"] as const) {
      await db.prisma.campaign.update({ where: { id: camp.id }, data: { status } });
      expect(await findServableMedia(db, media.id, now)).not.toBeNull();
    }
    await db.prisma.campaign.update({ where: { id: camp.id }, data: { status: "archived" } });
    expect(await findServableMedia(db, media.id, now)).toBeNull();
  });

  it("serves a file attached in the campaign form while the campaign runs or is paused, not once it is removed", async () => {
    const media = await item();
    const camp = await db.prisma.campaign.create({
      data: { name: `media ${++serial}`, status: "draft", createdBy: "U0ORG", mediaFileIds: [media.id] },
    });
    expect(await findServableMedia(db, media.id, now)).toBeNull(); // a draft sends nothing yet
    for (const status of ["running", "paused"] as const) {
      await db.prisma.campaign.update({ where: { id: camp.id }, data: { status } });
      expect(await findServableMedia(db, media.id, now)).not.toBeNull();
    }
    // Unticked in /campaign edit (paused): no longer the campaign's, so no longer served.
    await db.prisma.campaign.update({ where: { id: camp.id }, data: { mediaFileIds: [] } });
    expect(await findServableMedia(db, media.id, now)).toBeNull();
  });

  it("ids are unguessable: 24 base64url characters, never repeated", () => {
    const ids = new Set(Array.from({ length: 10_000 }, newMediaId));
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 100)) expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it("agrees with the rule's pure twin on random uses (campaigns, texts in and out, ages)", async () => {
    const use: fc.Arbitrary<MediaUse> = fc.oneof(
      fc.record({ kind: fc.constant("campaign" as const), campaignStatus: fc.constantFrom(...STATUSES) }),
      fc.record({ kind: fc.constant("canned-reply" as const), campaignStatus: fc.constantFrom(...STATUSES) }),
      fc.record({
        kind: fc.constant("text" as const),
        direction: fc.constantFrom("inbound" as const, "outbound" as const),
        campaignStatus: fc.constantFrom(null, ...STATUSES),
        sentAt: fc
          .oneof(
            fc.integer({ min: 0, max: 4 * 24 * HOUR }),
            fc.constantFrom(MEDIA_AFTER_TEXT_HOURS * HOUR - 1_000, MEDIA_AFTER_TEXT_HOURS * HOUR + 1_000),
          )
          .map((ago) => new Date(now.getTime() - ago)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(use, { maxLength: 3 }), async (uses) => {
        const media = await item();
        for (const u of uses) {
          if (u.kind === "campaign") await campaign(u.campaignStatus, [media.id]);
          else if (u.kind === "canned-reply") await cannedReply(u.campaignStatus, media.id);
          else await text(u, media.id);
        }
        const served = (await findServableMedia(db, media.id, now)) !== null;
        expect(served).toBe(mayServeMedia(uses, now));
      }),
      { numRuns: 40 },
    );
  });

  it("prepareMedia stores the compressed picture with its size before and after, and refuses a PDF storing nothing", async () => {
    const photo = await noisyJpeg(1600, 1200);
    const stored = await prepareMedia(db, {
      body: photo,
      contentType: "image/jpeg",
      source: "https://example.org/a.jpg",
    });
    expect(stored.originalBytes).toBe(photo.length);
    expect(stored.bytes).toBeLessThanOrEqual(614_400);
    expect(stored.bytes).toBeLessThan(photo.length);
    const row = await db.prisma.media.findUniqueOrThrow({ where: { id: stored.id } });
    expect(row.bytes).toBe(row.body.length);
    expect(row.source).toBe("https://example.org/a.jpg");

    const before = await db.prisma.media.count();
    await expect(prepareMedia(db, { body: pdf(), contentType: "application/pdf" })).rejects.toBeInstanceOf(
      MediaRefused,
    );
    expect(await db.prisma.media.count()).toBe(before);
  });
});
