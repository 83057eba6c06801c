import fc from "fast-check";
import { importContacts } from "../../../src/services/contact-import";
import { customFieldNames, searchTags, segmentChoices } from "../../../src/services/segments";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/**
 * ContactChoice, which the segment form's menus read, is kept by triggers on Contact. Whatever
 * writes contacts, it must hold what scanning every contact would say: the menus' old queries.
 */
const SCANNED_SQL = `
  SELECT kind, value, count(*)::int AS contacts FROM (
    SELECT 'tag' AS kind, t AS value FROM "Contact" c, unnest(c.tags) AS t
    UNION ALL
    SELECT 'field', k FROM "Contact" c, jsonb_object_keys(c."customFields") AS k WHERE jsonb_typeof(c."customFields") = 'object'
    UNION ALL
    SELECT 'zone', c."timeZone" FROM "Contact" c WHERE c."timeZone" IS NOT NULL
  ) d GROUP BY kind, value ORDER BY kind, value`;

const KEPT_SQL = `SELECT kind, value, contacts FROM "ContactChoice" WHERE contacts > 0 ORDER BY kind, value`;

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text, "utf8");
}

const PHONES = Array.from({ length: 8 }, (_, i) => `+1202555${String(2000 + i)}`);
const tagArb = fc.uniqueArray(fc.constantFrom("volunteer", "donor", "senior", "Ward 5"), { maxLength: 3 });
const customArb = fc.dictionary(fc.constantFrom("Ward", "County", "Language"), fc.constantFrom("1", "Kings"), {
  maxKeys: 2,
});
const zoneArb = fc.constantFrom(null, "America/New_York", "America/Chicago");

type Step =
  | { op: "create"; phone: number; tags: string[]; custom: Record<string, string>; zone: string | null }
  | { op: "retag"; phone: number; tags: string[] }
  | { op: "rezone"; phone: number; zone: string | null }
  | { op: "delete"; phone: number }
  | { op: "import"; rows: { phone: number; tags: string[]; zip: string; precinct: string }[] }
  | { op: "truncate" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("create" as const),
    phone: fc.nat(7),
    tags: tagArb,
    custom: customArb,
    zone: zoneArb,
  }),
  fc.record({ op: fc.constant("retag" as const), phone: fc.nat(7), tags: tagArb }),
  fc.record({ op: fc.constant("rezone" as const), phone: fc.nat(7), zone: zoneArb }),
  fc.record({ op: fc.constant("delete" as const), phone: fc.nat(7) }),
  fc.record({
    op: fc.constant("import" as const),
    rows: fc.array(
      fc.record({
        phone: fc.nat(7),
        tags: tagArb,
        zip: fc.constantFrom("", "10001", "60601"),
        precinct: fc.constantFrom("", "P-1"),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  }),
  fc.constant({ op: "truncate" as const }),
);

describe.each(BACKENDS)("contact choices for the segment form (%s)", (_name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());

  async function apply(step: Step): Promise<void> {
    switch (step.op) {
      case "create":
        await db.prisma.contact.createMany({
          data: [{ phone: PHONES[step.phone]!, tags: step.tags, customFields: step.custom, timeZone: step.zone }],
          skipDuplicates: true,
        });
        return;
      case "retag":
        await db.prisma.contact.updateMany({ where: { phone: PHONES[step.phone]! }, data: { tags: step.tags } });
        return;
      case "rezone":
        await db.prisma.contact.updateMany({ where: { phone: PHONES[step.phone]! }, data: { timeZone: step.zone } });
        return;
      case "delete":
        await db.prisma.contact.deleteMany({ where: { phone: PHONES[step.phone]! } });
        return;
      case "import": {
        const lines = step.rows.map((r) => `${PHONES[r.phone]},${r.tags.join(";")},${r.zip},${r.precinct}`);
        const csv = `Phone,Tags,Zip,Precinct\n${lines.join("\n")}\n`;
        // Chunks of two distinct phones: fresh contacts are COPYed, repeated ones merged.
        await importContacts(db, bytes(csv), actor("U0ORGANIZER"), { batchContacts: 2 });
        return;
      }
      case "truncate":
        await db.sql.query(`TRUNCATE "Contact" CASCADE`);
        return;
    }
  }

  it("holds what scanning every contact says, after any mix of imports, edits and deletes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 8 }), async (steps) => {
        await db.sql.query(`TRUNCATE "Contact" CASCADE`);
        for (const step of steps) await apply(step);
        expect(await db.sql.query(KEPT_SQL)).toEqual(await db.sql.query(SCANNED_SQL));
      }),
      { numRuns: 25 },
    );
  });

  it("feeds the form's menus, most contacts first, without values no contact has any more", async () => {
    await db.sql.query(`TRUNCATE "Contact" CASCADE`);
    await db.prisma.contact.createMany({
      data: [
        { phone: PHONES[0]!, tags: ["volunteer", "donor"], customFields: { Ward: "1" }, timeZone: "America/Chicago" },
        { phone: PHONES[1]!, tags: ["volunteer"], customFields: { Ward: "2", County: "Kings" } },
        { phone: PHONES[2]!, tags: ["senior"], timeZone: "America/New_York" },
      ],
    });
    await db.prisma.contact.deleteMany({ where: { phone: PHONES[2]! } });
    const choices = await segmentChoices(db);
    expect(choices).toMatchObject({
      tags: ["volunteer", "donor"],
      moreTags: false,
      timeZones: ["America/Chicago"],
      customFields: ["Ward", "County"],
    });
    expect(await customFieldNames(db, 1)).toEqual(["Ward"]);
    expect(await searchTags(db, "VOL")).toEqual(["volunteer"]);
    expect(await searchTags(db, "senior")).toEqual([]);
  });
});
