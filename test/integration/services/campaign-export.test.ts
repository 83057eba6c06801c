import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "csv-parse";
import type { Database } from "../../../src/db/database";
import { writeCampaignExport } from "../../../src/services/campaign-export";
import { storeMedia } from "../../../src/services/media";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const CONTACTS = 3_000;
const MESSAGES_EACH = 4;
const PAGE = 500;

/** A campaign of CONTACTS contacts with MESSAGES_EACH messages each, every tenth voter reply a formula. */
const SEED = [
  `INSERT INTO "Campaign" (id, name, status, "goalOutcomeTag", "createdBy", "createdAt", "updatedAt")
   VALUES ('00000000-0000-7000-8000-00000000e001', 'Big export', 'running', 'pledged', 'U0ORG', now(), now())`,
  `INSERT INTO "Contact" (id, phone, "firstName", tags, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), '+1' || (2015000000 + i)::text, 'Voter ' || i, ARRAY['big'], now(), now() FROM generate_series(1, ${CONTACTS}) i`,
  `INSERT INTO "CampaignContact" (id, "campaignId", "contactId", status, "updatedAt")
   SELECT gen_random_uuid(), '00000000-0000-7000-8000-00000000e001', id, 'sent', now() FROM "Contact" WHERE 'big' = ANY(tags)`,
  `INSERT INTO "Conversation" (id, "campaignId", "contactId", tags, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), '00000000-0000-7000-8000-00000000e001', id, CASE WHEN random() < 0.5 THEN ARRAY['pledged'] ELSE ARRAY[]::text[] END, now(), now()
   FROM "Contact" WHERE 'big' = ANY(tags)`,
  `INSERT INTO "Message" (id, direction, "conversationId", "contactId", "campaignId", "fromPhone", "toPhone", body, status, "createdAt", "updatedAt")
   SELECT gen_random_uuid(), CASE WHEN n % 2 = 0 THEN 'outbound' ELSE 'inbound' END::"MessageDirection", cv.id, cv."contactId",
     CASE WHEN n % 2 = 0 THEN cv."campaignId" END, '+12125550199', c.phone,
     CASE WHEN n % 2 = 1 AND right(c.phone, 1) = '0' THEN '=1+2' ELSE 'text ' || n END, 'delivered', now(), now()
   FROM "Conversation" cv JOIN "Contact" c ON c.id = cv."contactId", generate_series(0, ${MESSAGES_EACH - 1}) n
   WHERE cv."campaignId" = '00000000-0000-7000-8000-00000000e001'`,
];

async function readCsv(file: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const row of createReadStream(file).pipe(parse({ columns: true, bom: true }))) rows.push(row);
  return rows;
}

describe.each(BACKENDS)("campaign export (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let dir: string;

  beforeAll(async () => {
    [db, dir] = await Promise.all([openMigratedDatabase(create), mkdtemp(path.join(tmpdir(), "export-test-"))]);
    for (const sql of SEED) await db.prisma.$executeRawUnsafe(sql);
  });
  afterAll(async () => {
    await Promise.all([db?.dispose(), rm(dir, { recursive: true, force: true })]);
  });

  it("streams a large campaign page by page: every row once, formulas neutralized", async () => {
    const done = await writeCampaignExport(db, actor("U0ORG", "organizer"), "big export", dir, { pageSize: PAGE });
    const [contacts, messages] = done.files;
    expect(contacts!.rows).toBe(CONTACTS);
    expect(messages!.rows).toBe(CONTACTS * MESSAGES_EACH);
    // Never more than a page in memory: the rows came in pages of PAGE (plus the empty last page).
    expect(contacts!.pages).toBe(CONTACTS / PAGE + 1);
    expect(messages!.pages).toBe((CONTACTS * MESSAGES_EACH) / PAGE + 1);

    const contactRows = await readCsv(contacts!.path);
    expect(new Set(contactRows.map((r) => r.phone)).size).toBe(CONTACTS);
    const pledged = await db.prisma.conversation.count({ where: { tags: { has: "pledged" } } });
    expect(contactRows.filter((r) => r.goal_outcome === "yes")).toHaveLength(pledged);

    const messageRows = await readCsv(messages!.path);
    expect(messageRows).toHaveLength(CONTACTS * MESSAGES_EACH);
    const formulas = messageRows.filter((r) => r.body?.includes("=1+2"));
    expect(formulas).toHaveLength((CONTACTS / 10) * (MESSAGES_EACH / 2));
    for (const row of formulas) expect(row.body).toBe("'=1+2");
  });

  it("lists the media each message carried: stored items at PUBLIC_URL/media/<id>, or by name without one", async () => {
    const camp = await db.prisma.campaign.create({
      data: { name: "Media export", status: "running", createdBy: "U0ORG" },
    });
    const contact = await db.prisma.contact.create({ data: { phone: "+13125550100", firstName: "Ana" } });
    const conversation = await db.prisma.conversation.create({ data: { campaignId: camp.id, contactId: contact.id } });
    const stored = (name: string | null, source: string) =>
      storeMedia(db, { body: Buffer.from("jpeg"), contentType: "image/jpeg", originalBytes: 4, name, source });
    const [linkCopy, file, votersPicture] = await Promise.all([
      stored(null, "https://example.org/flyer.jpg"),
      stored("rally.png", "slack:F0RALLY"),
      stored(null, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
    ]);
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 2, 15, minute));
    const message = (
      direction: "inbound" | "outbound",
      minute: number,
      media: { mediaUrls?: string[]; mediaIds?: string[] },
    ) =>
      db.prisma.message.create({
        data: {
          direction,
          conversationId: conversation.id,
          contactId: contact.id,
          campaignId: direction === "outbound" ? camp.id : null,
          fromPhone: direction === "outbound" ? "+12125550199" : contact.phone,
          toPhone: direction === "outbound" ? contact.phone : "+12125550199",
          body: `text ${minute}`,
          status: "delivered",
          createdAt: at(minute),
          ...media,
        },
      });
    // The first text carried the link's stored copy and the attached file, not the link as typed.
    await message("outbound", 1, { mediaUrls: ["https://example.org/flyer.jpg"], mediaIds: [linkCopy.id, file.id] });
    await message("inbound", 2, { mediaUrls: ["https://api.twilio.com/.../Media/ME1"], mediaIds: [votersPicture.id] });
    // A voter's picture not copied from Twilio yet: only Twilio's link is known.
    await message("inbound", 3, { mediaUrls: ["https://api.twilio.com/.../Media/ME2"] });
    await message("outbound", 4, {});

    const mediaColumn = async (publicUrl?: string) => {
      const done = await writeCampaignExport(db, actor("U0ORG", "organizer"), "Media export", dir, { publicUrl });
      return (await readCsv(done.files[1]!.path)).map((r) => r.media);
    };
    expect(await mediaColumn("https://p2p.example.org/")).toEqual([
      `https://p2p.example.org/media/${linkCopy.id} https://p2p.example.org/media/${file.id}`,
      `https://p2p.example.org/media/${votersPicture.id}`,
      "https://api.twilio.com/.../Media/ME2",
      "",
    ]);
    expect(await mediaColumn()).toEqual([
      "https://example.org/flyer.jpg rally.png",
      "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
      "https://api.twilio.com/.../Media/ME2",
      "",
    ]);
  });

  it("refuses a volunteer before reading anything", async () => {
    await expect(writeCampaignExport(db, actor("U0VOL", "volunteer"), "big export", dir)).rejects.toThrow(
      /is for organizers/,
    );
  });
});
