import { MEDIA_AFTER_TEXT_HOURS } from "../../src/domain/media-access";
import { prepareMedia } from "../../src/services/media";
import { startHarness, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";
import { animatedGif, noisyJpeg } from "../support/media-fixtures";

jest.setTimeout(120_000);

describe.each(BACKENDS)("PUBLIC_URL/media/<id>, as Twilio fetches it (%s)", (_name, create) => {
  let h: Harness;
  let now = new Date("2026-11-02T15:00:00Z");
  beforeAll(async () => {
    h = await startHarness(create, { clock: () => now });
  });
  afterAll(() => h?.close());

  const campaign = (status: "draft" | "running" | "paused" | "archived", mediaIds: string[]) =>
    h.app.db.prisma.campaign.create({ data: { name: `media ${Math.random()}`, status, createdBy: "U0ORG", mediaIds } });

  it("serves a running campaign's picture with its Content-Type and exact Content-Length, for GET and HEAD", async () => {
    const photo = await prepareMedia(h.app.db, { body: await noisyJpeg(1200, 900), contentType: "image/jpeg" });
    await campaign("running", [photo.id]);
    const res = await fetch(`${h.app.localUrl}/media/${photo.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect(res.headers.get("content-length")).toBe(String(photo.bytes));
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(photo.bytes);
    expect(body.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    const head = await fetch(`${h.app.localUrl}/media/${photo.id}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(photo.bytes));
  });

  it("serves an animated GIF as image/gif", async () => {
    const gif = await prepareMedia(h.app.db, { body: await animatedGif(1, 160, 120), contentType: "image/gif" });
    await campaign("paused", [gif.id]);
    const res = await fetch(`${h.app.localUrl}/media/${gif.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(Number(res.headers.get("content-length"))).toBe(gif.bytes);
  });

  it("answers 404 for a draft or archived campaign's media, an unknown id and a path trick", async () => {
    const photo = await prepareMedia(h.app.db, { body: await noisyJpeg(300, 200), contentType: "image/jpeg" });
    const draft = await campaign("draft", [photo.id]);
    for (const path of [`/media/${photo.id}`, "/media/AAAAAAAAAAAAAAAAAAAAAAAA", "/media/..%2F..%2Fetc%2Fpasswd"]) {
      const res = await fetch(`${h.app.localUrl}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    }
    await h.app.db.prisma.campaign.update({ where: { id: draft.id }, data: { status: "running" } });
    expect((await fetch(`${h.app.localUrl}/media/${photo.id}`)).status).toBe(200);
    await h.app.db.prisma.campaign.update({ where: { id: draft.id }, data: { status: "archived" } });
    expect((await fetch(`${h.app.localUrl}/media/${photo.id}`)).status).toBe(404);
  });

  it(`serves a volunteer's picture reply for ${MEDIA_AFTER_TEXT_HOURS} hours after it was sent in an archived campaign's conversation, then 404`, async () => {
    const photo = await prepareMedia(h.app.db, { body: await noisyJpeg(300, 200), contentType: "image/jpeg" });
    const camp = await campaign("archived", []);
    const contact = await h.app.db.prisma.contact.create({ data: { phone: "+13125550777" } });
    const conversation = await h.app.db.prisma.conversation.create({
      data: { contactId: contact.id, campaignId: camp.id },
    });
    await h.app.db.prisma.message.create({
      data: {
        direction: "outbound",
        conversationId: conversation.id,
        contactId: contact.id,
        fromPhone: "+12125550199",
        toPhone: contact.phone,
        body: "Here is the flyer",
        status: "sent",
        mediaIds: [photo.id],
        createdAt: now,
      },
    });
    expect((await fetch(`${h.app.localUrl}/media/${photo.id}`)).status).toBe(200);
    now = new Date(now.getTime() + (MEDIA_AFTER_TEXT_HOURS + 1) * 3_600_000);
    expect((await fetch(`${h.app.localUrl}/media/${photo.id}`)).status).toBe(404);
  });
});
