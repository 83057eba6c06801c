import { randomUUID } from "node:crypto";
import { parseAudienceFilter, type AudienceFilter } from "../../../src/domain/audience-filter";
import {
  countAudience,
  createSegment,
  deleteSegment,
  findSegment,
  listSegments,
  prepareDeletion,
  previewAudience,
  searchTags,
  SegmentError,
  segmentChoices,
  segmentNameTaken,
  showSegment,
} from "../../../src/services/segments";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/** Validated filter from JSON, as the modal and the stored rows produce it. */
function filter(input: unknown): AudienceFilter {
  const parsed = parseAudienceFilter(input);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.filter;
}

/** Expects `promise` to reject with a SegmentError of `reason`; returns it for more checks. */
async function segmentError(promise: Promise<unknown>, reason: SegmentError["reason"]): Promise<SegmentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SegmentError);
  expect((error as SegmentError).reason).toBe(reason);
  return error as SegmentError;
}

// 12 contacts: i = 0..11. Volunteers: even i. State: NY for i < 6, NJ for 6..9, none for 10, 11.
// Zones follow states (null for the last two). Opted out: 0 and 7. Texted: 2.
const CAMPAIGN = randomUUID();
const contacts = Array.from({ length: 12 }, (_, i) => ({
  id: randomUUID(),
  phone: `+1202555${String(1000 + i)}`,
  firstName: i === 3 ? null : `Voter${i}`,
  lastName: i % 3 === 0 ? null : "Doe",
  tags: [...(i % 2 === 0 ? ["volunteer"] : []), ...(i % 3 === 0 ? ["donor"] : []), ...(i === 5 ? ["spanish"] : [])],
  state: i < 6 ? "NY" : i < 10 ? "NJ" : null,
  timeZone: i < 10 ? "America/New_York" : i === 10 ? "America/Chicago" : null,
  customFields: i < 4 ? { Ward: String(i), County: "Kings" } : i < 6 ? { Ward: "9" } : {},
}));
const OPTED_OUT = [0, 7].map((i) => contacts[i]!.phone);

describe.each(BACKENDS)("segments service (%s)", (_name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    await db.prisma.campaign.create({ data: { id: CAMPAIGN, name: "Spring GOTV", createdBy: "U0LEAD" } });
    await db.prisma.contact.createMany({ data: contacts });
    await db.prisma.optOut.createMany({ data: OPTED_OUT.map((phone) => ({ phone, source: "keyword" as const })) });
    await db.prisma.message.create({
      data: {
        direction: "outbound",
        contactId: contacts[2]!.id,
        fromPhone: "+12125550199",
        toPhone: contacts[2]!.phone,
        body: "Hi",
        status: "delivered",
      },
    });
  });
  afterAll(() => db?.dispose());
  afterEach(async () => {
    await db.prisma.campaign.updateMany({ data: { segmentId: null } });
    await db.prisma.segment.deleteMany();
  });

  const volunteers = filter({ tags: { any: ["volunteer"] } });

  it("counts reachable contacts: matching and not opted out", async () => {
    expect(await countAudience(db, volunteers)).toBe(5); // 0, 2, 4, 6, 8, 10 minus opted-out 0
    expect(await countAudience(db, filter({ all: [{ state: ["NJ"] }, { engagement: "never_texted" }] }))).toBe(3); // 6, 8, 9 (7 opted out)
    expect(await countAudience(db, filter({ tags: { any: ["nobody"] } }))).toBe(0);
  });

  it("previews a filter with the campaign's name in its description", async () => {
    const preview = await previewAudience(
      db,
      filter({ all: [{ tags: { any: ["volunteer"] } }, { inCampaign: CAMPAIGN, is: false }] }),
    );
    expect(preview).toEqual({ reachable: 5, description: "Tagged volunteer, not in campaign “Spring GOTV”" });
  });

  it("saves a segment under its tidied name with the validated filter", async () => {
    const saved = await createSegment(db, { name: "  Volunteers   NY ", filter: volunteers, actor: actor("U0LEAD") });
    const row = await db.prisma.segment.findUniqueOrThrow({ where: { id: saved.id } });
    expect(row).toMatchObject({
      name: "Volunteers NY",
      filter: { tags: { any: ["volunteer"] } },
      createdBy: "U0LEAD",
    });
  });

  it("refuses a name that differs only in letter case, and a name that is not a name", async () => {
    await createSegment(db, { name: "Volunteers NY", filter: volunteers, actor: actor("U1") });
    const clash = await segmentError(
      createSegment(db, { name: "volunteers ny", filter: volunteers, actor: actor("U2") }),
      "name_taken",
    );
    expect(clash.message).toBe(
      "A segment named “volunteers ny” already exists. Pick another name, or delete the old one first with /segment delete volunteers ny.",
    );
    await segmentError(createSegment(db, { name: "   ", filter: volunteers, actor: actor("U2") }), "invalid_name");
    const odd = await segmentError(
      createSegment(db, { name: "*bold*", filter: volunteers, actor: actor("U2") }),
      "invalid_name",
    );
    expect(odd.message).toContain("Start the name with a letter or number");
    expect(await db.prisma.segment.count()).toBe(1);
  });

  it("lets exactly one of two simultaneous saves of the same name (any case) through", async () => {
    const results = await Promise.allSettled([
      createSegment(db, { name: "Donors", filter: volunteers, actor: actor("U1") }),
      createSegment(db, { name: "DONORS", filter: volunteers, actor: actor("U2") }),
      createSegment(db, { name: "donors", filter: volunteers, actor: actor("U3") }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as SegmentError).reason).toBe("name_taken");
    expect(await segmentNameTaken(db, " donors ")).toBe(true);
    expect(await segmentNameTaken(db, "donor")).toBe(false);
  });

  it("finds a segment ignoring case, and suggests names on a miss", async () => {
    await createSegment(db, { name: "Volunteers NY", filter: volunteers, actor: actor("U1") });
    await createSegment(db, { name: "Volunteers NJ", filter: volunteers, actor: actor("U1") });
    const hit = await findSegment(db, "VOLUNTEERS ny");
    expect(hit).toMatchObject({ found: true, segment: { name: "Volunteers NY" } });
    expect(await findSegment(db, "Volunters NY")).toEqual({
      found: false,
      suggestions: ["Volunteers NY", "Volunteers NJ"],
    });
    expect(await findSegment(db, "zzzz")).toEqual({ found: false, suggestions: [] });
  });

  it("prefers the exact spelling when rows written around the service clash in case, and lists both otherwise", async () => {
    await db.prisma.segment.createMany({
      data: [
        { name: "Seniors", filter: volunteers, createdBy: "U1" },
        { name: "SENIORS", filter: volunteers, createdBy: "U1" },
      ],
    });
    expect(await findSegment(db, "SENIORS")).toMatchObject({ found: true, segment: { name: "SENIORS" } });
    const ambiguous = await findSegment(db, "seniors");
    expect(ambiguous.found).toBe(false);
    expect(!ambiguous.found && [...ambiguous.suggestions].sort()).toEqual(["SENIORS", "Seniors"]);
  });

  it("lists segments by name with descriptions and campaigns, without counting", async () => {
    await createSegment(db, { name: "zeta", filter: volunteers, actor: actor("U1") });
    const alpha = await createSegment(db, {
      name: "Alpha",
      filter: filter({ all: [{ state: ["NY"] }, { inCampaign: CAMPAIGN }] }),
      actor: actor("U2"),
    });
    await db.prisma.campaign.update({ where: { id: CAMPAIGN }, data: { segmentId: alpha.id } });
    await db.prisma.segment.create({ data: { name: "Broken", filter: { state: ["XX"] }, createdBy: "U3" } });
    const list = await listSegments(db);
    expect(list.map((s) => s.name)).toEqual(["Alpha", "Broken", "zeta"]);
    expect(list[0]).toMatchObject({
      description: "In NY, in campaign “Spring GOTV”",
      campaigns: ["Spring GOTV"],
      createdBy: "U2",
    });
    expect(list[1]!.description).toContain("saved filter no longer valid");
    expect(list[2]).toMatchObject({ description: "Tagged volunteer", campaigns: [] });
    expect(list[0]!.createdAt).toBeInstanceOf(Date);
  });

  it("shows the count, breakdowns and five masked samples, leaving opted-out numbers out", async () => {
    await createSegment(db, { name: "Volunteers", filter: volunteers, actor: actor("U1") });
    const shown = await showSegment(db, "volunteers");
    expect(shown).toMatchObject({ name: "Volunteers", description: "Tagged volunteer", reachable: 5, campaigns: [] });
    expect(shown.byState).toEqual([
      { value: "NJ", contacts: 2 }, // ties by name
      { value: "NY", contacts: 2 },
      { value: null, contacts: 1 },
    ]);
    expect(shown.byTimeZone).toEqual([
      { value: "America/New_York", contacts: 4 },
      { value: "America/Chicago", contacts: 1 },
    ]);
    expect(shown.sample).toHaveLength(5);
    const reachablePhones = [2, 4, 6, 8, 10].map((i) => contacts[i]!.phone.slice(-4));
    for (const c of shown.sample) {
      expect(c.maskedPhone).toMatch(/^•••-•••-\d{4}$/);
      expect(reachablePhones).toContain(c.maskedPhone.slice(-4));
    }
    expect(JSON.stringify(shown)).not.toContain("+1202555");
    expect(shown.sample.map((c) => c.name)).toContain("Voter4 Doe");
  });

  it("says what to do when asked to show an unknown segment or a broken one", async () => {
    await createSegment(db, { name: "Volunteers", filter: volunteers, actor: actor("U1") });
    const miss = await segmentError(showSegment(db, "Volunters"), "not_found");
    expect(miss.message).toBe(
      "There is no segment named “Volunters”. Did you mean “Volunteers”? Type /segment list to see them all.",
    );
    expect(miss.suggestions).toEqual(["Volunteers"]);
    await db.prisma.segment.create({ data: { name: "Broken", filter: { zipPrefix: ["abc"] }, createdBy: "U3" } });
    const broken = await segmentError(showSegment(db, "broken"), "broken_filter");
    expect(broken.message).toContain("Delete it with /segment delete Broken and create it again with /segment new.");
  });

  it("deletes a segment no campaign uses, by name or by id, once", async () => {
    const a = await createSegment(db, { name: "Alpha", filter: volunteers, actor: actor("U1") });
    await createSegment(db, { name: "Beta", filter: volunteers, actor: actor("U1") });
    expect(await prepareDeletion(db, "alpha")).toEqual({ id: a.id, name: "Alpha", description: "Tagged volunteer" });
    expect(await deleteSegment(db, { id: a.id }, actor("U1"))).toEqual({ id: a.id, name: "Alpha" });
    const again = await segmentError(deleteSegment(db, { id: a.id }, actor("U1")), "not_found");
    expect(again.message).toContain("already deleted");
    expect(await deleteSegment(db, "BETA", actor("U1"))).toMatchObject({ name: "Beta" });
    await segmentError(deleteSegment(db, "Gamma", actor("U1")), "not_found");
    await segmentError(deleteSegment(db, { id: "not-a-segment-id" }, actor("U1")), "not_found");
    expect(await db.prisma.segment.count()).toBe(0);
  });

  it("refuses to delete a segment a campaign uses, naming the campaign", async () => {
    const used = await createSegment(db, { name: "Used", filter: volunteers, actor: actor("U1") });
    await db.prisma.campaign.update({ where: { id: CAMPAIGN }, data: { segmentId: used.id } });
    const expected =
      "“Used” is the audience of campaign “Spring GOTV”. Give that campaign another audience first, then delete the segment.";
    expect((await segmentError(prepareDeletion(db, "used"), "in_use")).message).toBe(expected);
    expect((await segmentError(deleteSegment(db, { id: used.id }, actor("U1")), "in_use")).message).toBe(expected);
    expect(await db.prisma.segment.count()).toBe(1);
  });

  it("offers the most used tags, time zones present and campaigns for the form's menus", async () => {
    const choices = await segmentChoices(db);
    expect(choices).toEqual({
      tags: ["volunteer", "donor", "spanish"],
      moreTags: false,
      timeZones: ["America/New_York", "America/Chicago"],
      customFields: ["Ward", "County"],
      campaigns: [{ id: CAMPAIGN, name: "Spring GOTV" }],
    });
    expect(await segmentChoices(db, 2)).toMatchObject({ tags: ["volunteer", "donor"], moreTags: true });
    expect(await searchTags(db, "ON")).toEqual(["donor"]);
    expect(await searchTags(db, "")).toEqual(["volunteer", "donor", "spanish"]);
    expect(await searchTags(db, "%")).toEqual([]);
  });
});
