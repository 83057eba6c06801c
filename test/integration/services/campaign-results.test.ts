import type { Database } from "../../../src/db/database";
import { abVerdict } from "../../../src/domain/ab-test";
import { RoleRefused } from "../../../src/services/actors";
import { campaignResults } from "../../../src/services/campaign-results";
import { campaignById } from "../../../src/services/campaigns";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { REPORT_FIXTURE_EXPECTED as EXPECTED, seedReportFixture, V1, V2 } from "../../support/report-fixture";

const ZONE = { timeZone: "America/New_York" };

describe.each(BACKENDS)("campaign results (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let campaignId: string;
  let contactIds: string[];

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    ({ campaignId, contactIds } = await seedReportFixture(db));
  });
  afterAll(() => db?.dispose());

  const results = async (who = actor("U0ORGANIZER")) =>
    campaignResults(db, (await campaignById(db, campaignId))!, who, ZONE);

  it("count the hand-counted figures", async () => {
    const r = await results();
    expect(r.outbound).toEqual(EXPECTED.outbound);
    expect(r.contacts).toEqual(EXPECTED.contacts);
    expect(r.goal).toEqual(EXPECTED.goal);
    expect(r.medianFirstReplySeconds).toBeCloseTo(EXPECTED.medianFirstReplySeconds, 6);
    expect(
      r.variants.map(({ label, texted, replied, optedOut, outcomes }) => ({
        label,
        texted,
        replied,
        optedOut,
        outcomes,
      })),
    ).toEqual(EXPECTED.variants);
    expect(
      r.daily.map(({ date, label, texted, replied, optedOut }) => ({ date, label, texted, replied, optedOut })),
    ).toEqual(EXPECTED.daily);
    expect(r.volunteers).toEqual(EXPECTED.volunteers);
  });

  it("judge B against A for replies and outcomes", async () => {
    const r = await results();
    expect(r.variants[0]!.replyVerdict).toBeNull();
    expect(r.variants[1]!.replyVerdict).toEqual(abVerdict({ sent: 3, successes: 1 }, { sent: 4, successes: 3 }));
    expect(r.variants[1]!.replyVerdict?.kind).toBe("not-enough-data");
    expect(r.variants[1]!.outcomeVerdict).toEqual(abVerdict({ sent: 3, successes: 1 }, { sent: 4, successes: 2 }));
  });

  it("count clicks once the campaign's texts carry tracked links", async () => {
    const link = await db.prisma.shortLink.create({
      data: {
        code: `fixture${contactIds[5]!.slice(0, 8)}`,
        targetUrl: "https://example.org/vote",
        campaignId,
        contactId: contactIds[5]!,
      },
    });
    await db.prisma.linkClick.createMany({
      data: [
        { shortLinkId: link.id, contactId: contactIds[5]! },
        { shortLinkId: link.id, contactId: contactIds[5]! },
      ],
    });
    const r = await results();
    expect(r.contacts.clicked).toBe(1);
    expect(r.variants.map((v) => v.clicked)).toEqual([0, 1]);
  });

  it("show a volunteer the report of a campaign they text for, and no other", async () => {
    await expect(results(actor(V2, "volunteer"))).resolves.toMatchObject({ contacts: { texted: 7 } });
    await expect(results(actor(V1, "volunteer"))).resolves.toMatchObject({ contacts: { texted: 7 } });
    await expect(results(actor("U0STRANGER", "volunteer"))).rejects.toThrow(RoleRefused);
    await expect(results(actor("U0GUEST", "outsider"))).rejects.toThrow(RoleRefused);
    const refusals = await db.prisma.auditEvent.findMany({ where: { outcome: "refused", campaignId } });
    expect(refusals.map((e) => e.actor).sort()).toEqual(["U0GUEST", "U0STRANGER"]);
  });
});
