import { listCampaigns } from "../../../src/services/campaign-list";
import fc from "fast-check";
import type { Database } from "../../../src/db/database";
import {
  EMPTY_CAMPAIGN_FORM,
  validateCampaignForm,
  type CampaignDraft,
  type CampaignForm,
} from "../../../src/domain/campaign-form";
import { mergeFieldsFor } from "../../../src/domain/script";
import {
  campaignById,
  CampaignError,
  campaignFormChoices,
  changeCampaignStatus,
  createCampaign,
  findCampaign,
  formOfCampaign,
  requireCampaign,
  updateCampaign,
} from "../../../src/services/campaigns";
import { applyScriptFix, launchCampaign } from "../../../src/services/campaign-launch";
import { campaignReport } from "../../../src/services/campaign-report";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { actor } from "../../support/actors";

const ORGANIZER = "U0ORGANIZER";
/** The organizer, as the services see who acts. */
const BY = actor(ORGANIZER);
const PRICE = { pricePerSegmentUsd: 0.01, now: new Date(), timeZone: "America/New_York", actor: BY };

async function campaignError(promise: Promise<unknown>, reason: CampaignError["reason"]): Promise<CampaignError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CampaignError);
  expect((error as CampaignError).reason).toBe(reason);
  return error as CampaignError;
}

// Ten volunteers in NY (i = 0..9): i = 9 has no first name, i = 8 is opted out; Ward only for i < 5.
const contacts = Array.from({ length: 10 }, (_, i) => ({
  phone: `+1212555${String(1000 + i)}`,
  firstName: i === 9 ? null : `Voter${i}`,
  lastName: "Doe",
  state: "NY",
  timeZone: "America/New_York",
  tags: ["volunteer"],
  customFields: i < 5 ? { Ward: String(i + 1) } : {},
}));
const OPTED_OUT = contacts[8]!.phone;

describe.each(BACKENDS)("campaigns (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let runs = 0;
  let segmentId: string;
  let emptySegmentId: string;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    await db.prisma.contact.createMany({ data: contacts });
    await db.prisma.optOut.create({ data: { phone: OPTED_OUT, source: "keyword" } });
    segmentId = (
      await db.prisma.segment.create({
        data: { name: "Volunteers", filter: { tags: { any: ["volunteer"] } }, createdBy: ORGANIZER },
      })
    ).id;
    emptySegmentId = (
      await db.prisma.segment.create({
        data: { name: "Donors", filter: { tags: { any: ["donor"] } }, createdBy: ORGANIZER },
      })
    ).id;
  });
  afterAll(() => db?.dispose());

  function draft(overrides: Partial<CampaignForm> = {}): CampaignDraft {
    const form: CampaignForm = {
      ...EMPTY_CAMPAIGN_FORM,
      name: "GOTV",
      goalType: "turnout",
      goalTarget: "5",
      goalOutcomeTag: "pledged",
      callToAction: "Will you vote on Nov 3?",
      senderIdentity: "Sam with Neighbors for B",
      scripts: [
        "Hi {firstName|friend}, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
        "",
        "",
        "",
      ],
      channelId: "C0REPLIES",
      segmentId,
      ...overrides,
    };
    const result = validateCampaignForm(form, { knownFields: mergeFieldsFor(["Ward"]) });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result.draft;
  }

  it("creates a draft with its scripts, and refuses a name taken in other letter case", async () => {
    const saved = await createCampaign(
      db,
      draft({ name: "Spring Drive", followUps: ["Hi {firstName|friend}, any thoughts?", ""] }),
      BY,
    );
    const campaign = (await campaignById(db, saved.id))!;
    expect(campaign).toMatchObject({
      name: "Spring Drive",
      status: "draft",
      goalTarget: 5,
      goalOutcomeTag: "pledged",
      createdBy: ORGANIZER,
      segment: { id: segmentId },
    });
    expect(campaign.scripts.map((s) => [s.kind, s.label])).toEqual([
      ["initial", "A"],
      ["follow_up", "Follow-up 1"],
    ]);
    const taken = await campaignError(createCampaign(db, draft({ name: "SPRING drive" }), BY), "name_taken");
    expect(taken.message).toBe(
      "A campaign named “SPRING drive” already exists. Pick another name (campaign names are unique, ignoring capitals).",
    );
    expect(formOfCampaign(campaign)).toMatchObject({
      name: "Spring Drive",
      goalTarget: "5",
      sendWindow: "standard",
      segmentId,
      followUps: ["Hi {firstName|friend}, any thoughts?", ""],
      digestTime: "570",
    });
  });

  it("saves the daily digest time and fills it back into the form, 9:30 when none is stored", async () => {
    const saved = await createCampaign(db, draft({ name: "Evening Digest", digestTime: "1170" }), BY);
    const campaign = (await campaignById(db, saved.id))!;
    expect(campaign.digestMinute).toBe(1170);
    expect(formOfCampaign(campaign).digestTime).toBe("1170");
    await updateCampaign(db, saved.id, draft({ name: "Evening Digest", digestTime: null }), BY);
    const cleared = (await campaignById(db, saved.id))!;
    expect(cleared.digestMinute).toBeNull();
    expect(formOfCampaign(cleared).digestTime).toBe("570");
  });

  it("property: of many concurrent creations with names differing only in case, exactly one is saved", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("race", "RACE", "Race", "rAcE"), { minLength: 2, maxLength: 5 }),
        async (names) => {
          // A fresh name every run, shrinking included: a name left by an earlier run would fail them all.
          const salt = ++runs;
          const base = `Race ${salt}`;
          const results = await Promise.allSettled(
            names.map((n) => createCampaign(db, draft({ name: `${n} ${salt}` }), BY)),
          );
          expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
          for (const r of results)
            if (r.status === "rejected") expect((r.reason as CampaignError).reason).toBe("name_taken");
          expect(await db.prisma.campaign.count({ where: { name: { equals: base, mode: "insensitive" } } })).toBe(1);
        },
      ),
      { numRuns: 5 },
    );
  });

  it("finds campaigns by name in any case, and suggests names for unknown or partial ones", async () => {
    await createCampaign(db, draft({ name: "GOTV Nov 3" }), BY);
    await createCampaign(db, draft({ name: "GOTV Early Vote" }), BY);
    expect(await findCampaign(db, "gotv nov 3")).toMatchObject({ found: true, campaign: { name: "GOTV Nov 3" } });
    const partial = await findCampaign(db, "gotv");
    expect(partial).toMatchObject({ found: false });
    if (!partial.found) expect(partial.suggestions.slice(0, 2).sort()).toEqual(["GOTV Early Vote", "GOTV Nov 3"]);
    const error = await campaignError(requireCampaign(db, "GOTV Nov 4"), "not_found");
    expect(error.message).toMatch(/^There is no campaign named “GOTV Nov 4”\. Did you mean “GOTV Nov 3”/);
  });

  it("reports the audience, previews each variant for real contacts, estimates cost and lists launch blockers", async () => {
    const saved = await createCampaign(
      db,
      draft({
        name: "Report",
        scripts: [
          "Hi {firstName}, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
          "Hi {firstName|friend}, this is Sam with Neighbors for B. Ward {Ward} votes Nov 3 — will you? Reply STOP to opt out.",
          "",
          "",
        ],
      }),
      BY,
    );
    const report = await campaignReport(db, (await campaignById(db, saved.id))!, PRICE);
    expect(report.audience).toEqual({ reachable: 9, description: "Tagged volunteer" });
    const [a, b] = report.variants;
    expect(a).toMatchObject({ label: "A", contacts: 5, sms: { encoding: "GSM-7", segments: 1 } });
    expect(b).toMatchObject({ label: "B", contacts: 4, sms: { encoding: "UCS-2" }, replaceable: ["—"] });
    expect(a!.previews).toHaveLength(3);
    expect(a!.previews[0]).toMatchObject({
      contactName: "Voter0 Doe",
      maskedPhone: expect.stringMatching(/1000$/),
      text: expect.stringMatching(/^Hi Voter0, this is Sam/),
    });
    expect(a!.previews[0]!.maskedPhone).not.toContain("555");
    expect(a!.estimatedSegments).toBe(5);
    expect(a!.estimatedCostUsd).toBe(0.05);
    const messages = report.findings.map((f) => `${f.severity} ${f.about}: ${f.message}`);
    expect(messages).toHaveLength(3);
    expect(messages).toContain(
      "warning Script A: 1 of 9 contacts have no {firstName} and will be held back. Add a fallback like {firstName|friend} to text them too.",
    );
    expect(messages).toContain(
      "warning Script B: 4 of 9 contacts have no {Ward} and will be held back. Add a fallback like {Ward|your ward} to text them too.",
    );
    expect(messages).toContain(
      "warning Script B: — makes this a UCS-2 text: 70 characters a segment instead of 160, so it costs more.",
    );
    expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
  });

  it("applies an offered fix to the script, once", async () => {
    const saved = await createCampaign(
      db,
      draft({
        name: "Fixable",
        scripts: [
          "Hi {firstName}, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
          "Hi {firstName|friend}, this is Sam with Neighbors for B. Nov 3 — will you vote? Reply STOP to opt out.",
          "",
          "",
        ],
      }),
      BY,
    );
    const report = await campaignReport(db, (await campaignById(db, saved.id))!, PRICE);
    const fallback = report.findings.find((f) => f.fix?.code === "field-missing-for-some")!.fix!;
    const dash = report.findings.find((f) => f.fix?.code === "gsm-replacements")!.fix!;
    const fixed = await applyScriptFix(db, fallback, BY);
    expect(fixed.scripts.find((s) => s.label === "A")!.body).toMatch(/^Hi \{firstName\|friend\}, this is Sam/);
    await campaignError(applyScriptFix(db, fallback, BY), "fix_gone");
    const plain = await applyScriptFix(db, dash, BY);
    expect(plain.scripts.find((s) => s.label === "B")!.body).toContain("Nov 3 - will you vote?");
    const after = await campaignReport(db, plain, PRICE);
    expect(after.findings).toEqual([]);
    expect(after.variants.map((v) => v.sms.encoding)).toEqual(["GSM-7", "GSM-7"]);
  });

  it("blocks launch with what to fix, then launches: the reachable audience split evenly across variants", async () => {
    const blocked = await createCampaign(db, draft({ name: "Empty audience", segmentId: emptySegmentId }), BY);
    const refused = await launchCampaign(db, (await campaignById(db, blocked.id))!, PRICE);
    expect(refused.launched).toBe(false);
    expect(refused.report.findings[0]).toMatchObject({
      severity: "error",
      about: "Audience",
      message: "Segment “Donors” has no reachable contact. Import contacts or pick another segment.",
    });
    expect(await db.prisma.campaignContact.count({ where: { campaignId: blocked.id } })).toBe(0);
    expect((await campaignById(db, blocked.id))!.status).toBe("draft");

    const ward = await createCampaign(
      db,
      draft({
        name: "Ward only",
        segmentId: emptySegmentId,
        scripts: [
          "Hi {firstName|friend}, Sam with Neighbors for B: ward {Ward}. Will you vote on Nov 3? Reply STOP to opt out.",
          "",
          "",
          "",
        ],
      }),
      BY,
    );
    await db.prisma.campaign.update({
      where: { id: ward.id },
      data: {
        segmentId: (
          await db.prisma.segment.create({
            data: { name: "No ward", filter: { field: "Ward", op: "empty" }, createdBy: ORGANIZER },
          })
        ).id,
      },
    });
    const noWard = await launchCampaign(db, (await campaignById(db, ward.id))!, PRICE);
    expect(noWard.launched).toBe(false);
    expect(noWard.report.findings[0]).toMatchObject({
      severity: "error",
      about: "Script A",
      message: expect.stringMatching(/^No contact in this audience has \{Ward\}: all 4 would be held back/),
    });

    const ab = await createCampaign(
      db,
      draft({
        name: "AB",
        scripts: [
          "Hi {firstName|friend}, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
          "Hello {firstName|friend}! Sam with Neighbors for B here. Will you vote on Nov 3? Reply STOP to opt out.",
          "Hey, Sam with Neighbors for B here. Will you vote on Nov 3? Reply STOP to opt out.",
          "",
        ],
      }),
      BY,
    );
    const launched = await launchCampaign(db, (await campaignById(db, ab.id))!, PRICE);
    expect(launched).toMatchObject({ launched: true, queued: 9 });
    const queue = await db.prisma.campaignContact.findMany({
      where: { campaignId: ab.id },
      include: { contact: true, variant: true },
    });
    expect(queue.map((q) => q.contact.phone)).not.toContain(OPTED_OUT);
    expect(queue.every((q) => q.status === "pending")).toBe(true);
    const perVariant = new Map<string, number>();
    for (const q of queue) perVariant.set(q.variant!.label, (perVariant.get(q.variant!.label) ?? 0) + 1);
    expect([...perVariant.entries()].sort()).toEqual([
      ["A", 3],
      ["B", 3],
      ["C", 3],
    ]);
    expect(queue.every((q) => /^[0-9a-f]{8}-[0-9a-f]{4}-7/.test(q.id))).toBe(true);

    const again = await campaignError(launchCampaign(db, (await campaignById(db, ab.id))!, PRICE), "wrong_status");
    expect(again.message).toBe("“AB” cannot be launched. It is already running: volunteers send with /campaign send.");
    const list = await listCampaigns(db);
    expect(list[0]).toMatchObject({ name: "AB", status: "running", audience: 9, sent: 0, segmentName: "Volunteers" });
  });

  it("property: concurrent launches of one draft queue its audience once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), async (clicks) => {
        const salt = ++runs;
        const saved = await createCampaign(db, draft({ name: `Launch race ${salt}` }), BY);
        const campaign = (await campaignById(db, saved.id))!;
        const results = await Promise.allSettled(
          Array.from({ length: clicks }, () => launchCampaign(db, campaign, PRICE)),
        );
        expect(results.filter((r) => r.status === "fulfilled" && r.value.launched)).toHaveLength(1);
        expect(await db.prisma.campaignContact.count({ where: { campaignId: saved.id } })).toBe(9);
      }),
      { numRuns: 3 },
    );
  });

  it("pauses, resumes and archives only from the states that allow it, and edits only when not running", async () => {
    const saved = await createCampaign(db, draft({ name: "Lifecycle" }), BY);
    expect((await campaignError(changeCampaignStatus(db, "lifecycle", "pause", BY), "wrong_status")).message).toBe(
      "“Lifecycle” cannot be paused. It is a draft that was never launched: /campaign launch Lifecycle checks it and starts it.",
    );
    await launchCampaign(db, (await campaignById(db, saved.id))!, PRICE);
    await campaignError(updateCampaign(db, saved.id, draft({ name: "Lifecycle" }), BY), "wrong_status");
    expect((await changeCampaignStatus(db, "Lifecycle", "pause", BY)).status).toBe("paused");
    expect((await campaignError(changeCampaignStatus(db, "Lifecycle", "pause", BY), "wrong_status")).message).toBe(
      "“Lifecycle” cannot be paused. It is already paused.",
    );
    await updateCampaign(
      db,
      saved.id,
      draft({
        name: "Lifecycle",
        scripts: [
          "Hi {firstName|friend}, this is Sam with Neighbors for B. Can you vote early, before Nov 3? Reply STOP to opt out.",
          "",
          "",
          "",
        ],
      }),
      BY,
    );
    const edited = (await campaignById(db, saved.id))!;
    expect(edited.scripts[0]!.body).toMatch(/vote early/);
    // The variant kept its id, so the queued contacts keep it.
    expect(
      await db.prisma.campaignContact.count({ where: { campaignId: saved.id, variantId: edited.scripts[0]!.id } }),
    ).toBe(9);
    expect((await changeCampaignStatus(db, "Lifecycle", "resume", BY)).status).toBe("running");
    expect((await changeCampaignStatus(db, "Lifecycle", "archive", BY)).status).toBe("archived");
    expect((await campaignError(changeCampaignStatus(db, "Lifecycle", "resume", BY), "wrong_status")).message).toBe(
      "“Lifecycle” cannot be resumed. It is archived, which is final.",
    );
    expect((await listCampaigns(db)).map((c) => c.name)).not.toContain("Lifecycle");
  });

  it("offers the newest segments and the contacts' custom fields to the form", async () => {
    const choices = await campaignFormChoices(db);
    expect(choices.customFields).toEqual(["Ward"]);
    expect(choices.segments.map((s) => s.name)).toEqual(expect.arrayContaining(["Volunteers", "Donors"]));
  });
});
