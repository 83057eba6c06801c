import type { Database } from "../../../src/db/database";
import { validateCampaignForm } from "../../../src/domain/campaign-form";
import { mergeFieldsFor } from "../../../src/domain/script";
import { UserError } from "../../../src/domain/user-error";
import { campaignById, CampaignError, createCampaign } from "../../../src/services/campaigns";
import {
  followUpStates,
  followUpTags,
  requireFollowUpSource,
  startFollowUpCampaign,
} from "../../../src/services/follow-up-campaigns";
import { showSegment } from "../../../src/services/segments";
import { actor } from "../../support/actors";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { FIRST_TEXT, launchedCampaign } from "../../support/campaigns";

const ORGANIZER = "U0ORGANIZER";
const SENT_AT = new Date("2026-03-02T15:00:00Z");

/**
 * Eight volunteers texted by "Spring GOTV": 0–2 replied and were tagged pledged (1 also moved),
 * 3 replied without a tag, 4–6 never replied, 7 is opted out (replied, tagged pledged).
 */
const contacts = Array.from({ length: 8 }, (_, i) => ({
  phone: `+1415555${String(2000 + i)}`,
  firstName: `Voter${i}`,
  tags: ["volunteer"],
}));
const TAGS: Record<number, string[]> = {
  0: ["pledged"],
  1: ["pledged", "moved"],
  2: ["pledged"],
  3: [],
  7: ["pledged"],
};

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe.each(BACKENDS)("follow-up campaigns (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let source: { id: string; name: string };

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    await db.prisma.contact.createMany({ data: contacts });
    await db.prisma.optOut.create({ data: { phone: contacts[7]!.phone, source: "keyword" } });
    source = await launchedCampaign(db, {
      name: "Spring GOTV",
      tag: "volunteer",
      createdBy: ORGANIZER,
      form: { sendWindow: "weekdays", capCount: "2", capDays: "10", helpText: "Sam for B. STOP to end." },
    });
    // What volunteers' clicks and voters' replies leave behind: the entries sent, texts in, tagged conversations.
    const people = await db.prisma.contact.findMany({ orderBy: { phone: "asc" } });
    await db.prisma.campaignContact.updateMany({
      where: { campaignId: source.id },
      data: { status: "sent", firstTextAt: SENT_AT, lastTextAt: SENT_AT },
    });
    for (const [i, tags] of Object.entries(TAGS)) {
      const person = people[Number(i)]!;
      await db.prisma.conversation.create({ data: { campaignId: source.id, contactId: person.id, tags } });
      await db.prisma.message.create({
        data: {
          direction: "inbound",
          contactId: person.id,
          fromPhone: person.phone,
          toPhone: "+15555550000",
          body: "yes",
          status: "received",
          createdAt: new Date(SENT_AT.getTime() + 60_000),
        },
      });
    }
  });
  afterAll(() => db?.dispose());

  it("counts who stands where in the campaign, and its tags, without opted-out numbers", async () => {
    const campaign = await requireFollowUpSource(db, "spring gotv");
    expect(await followUpStates(db, campaign)).toEqual([
      { state: "replied_tagged", reachable: 3 },
      { state: "replied_untagged", reachable: 1 },
      { state: "no_reply", reachable: 3 },
      { state: "clicked_link", reachable: 0 },
    ]);
    expect(await followUpTags(db, campaign)).toEqual([
      { tag: "pledged", reachable: 3 },
      { tag: "moved", reachable: 1 },
    ]);
  });

  it("saves the group as a segment and returns the first campaign's settings under a free name, scripts empty", async () => {
    const start = await startFollowUpCampaign(db, {
      campaignId: source.id,
      state: "replied_tagged",
      tag: "Pledged",
      actor: actor(ORGANIZER),
    });
    expect(start.segment.name).toBe("Spring GOTV - replied: pledged");
    const saved = await showSegment(db, start.segment.name);
    expect(saved).toMatchObject({
      filter: { response: { campaign: source.id, state: "replied_tagged", tag: "pledged" } },
      description: "Replied to campaign “Spring GOTV”, tagged “pledged”",
      createdBy: ORGANIZER,
      reachable: 3,
    });
    const first = (await campaignById(db, source.id))!;
    expect(start.form).toEqual({
      name: "Spring GOTV follow-up",
      goalType: "turnout",
      goalTarget: "10",
      goalOutcomeTag: "pledged",
      callToAction: "Will you vote on Nov 3?",
      senderIdentity: "Sam with Neighbors for B",
      scripts: ["", "", "", ""],
      followUps: ["", ""],
      followUpDelays: ["2", "5"],
      channelId: "C0REPLIES",
      sendWindow: "weekdays",
      capCount: "2",
      capDays: "10",
      segmentId: start.segment.id,
      helpText: "Sam for B. STOP to end.",
      mediaUrls: "",
      mediaFiles: [],
      attachedMediaIds: [],
      textOnly: [],
      addMissing: false,
      digestTime: "570", // the first campaign's daily digest time
    });
    expect(first.scripts.map((s) => s.body)).toEqual([FIRST_TEXT]); // the first campaign is left as it was
    expect(start.segments[0]).toEqual(start.segment);
    expect(start.segments.map((s) => s.name)).toContain("Spring GOTV audience");

    // Filled in and saved through the campaign form's own rules, it is a draft texting the group.
    const result = validateCampaignForm(
      {
        ...start.form,
        scripts: [
          "Thanks for pledging, {firstName|friend}! This is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.",
          "",
          "",
          "",
        ],
      },
      { knownFields: mergeFieldsFor([]) },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const draft = await createCampaign(db, result.draft, actor(ORGANIZER));
    expect(await campaignById(db, draft.id)).toMatchObject({
      name: "Spring GOTV follow-up",
      status: "draft",
      segment: { id: start.segment.id },
      frequencyCapCount: 2,
      frequencyCapDays: 10,
    });
  });

  it("numbers the names when they are taken, ignoring letter case", async () => {
    await db.prisma.segment.create({
      data: { name: "spring gotv - NO REPLY", filter: { tags: { any: ["x"] } }, createdBy: ORGANIZER },
    });
    const start = await startFollowUpCampaign(db, {
      campaignId: source.id,
      state: "no_reply",
      actor: actor(ORGANIZER),
    });
    expect(start.segment.name).toBe("Spring GOTV - no reply (2)");
    expect(start.form.name).toBe("Spring GOTV follow-up (2)"); // the draft above took the first
    const again = await startFollowUpCampaign(db, {
      campaignId: source.id,
      state: "no_reply",
      actor: actor(ORGANIZER),
    });
    expect(again.segment.name).toBe("Spring GOTV - no reply (3)");
  });

  it("asks for the group and the tag, and saves nothing without them", async () => {
    const before = await db.prisma.segment.count();
    const noTag = await rejection(
      startFollowUpCampaign(db, { campaignId: source.id, state: "replied_tagged", actor: actor(ORGANIZER) }),
    );
    expect(noTag).toBeInstanceOf(UserError);
    expect(noTag.message).toBe("Pick the tag: the follow-up goes to people whose conversation has it.");
    const noState = await rejection(
      startFollowUpCampaign(db, { campaignId: source.id, state: null, actor: actor(ORGANIZER) }),
    );
    expect(noState).toBeInstanceOf(UserError);
    expect(await db.prisma.segment.count()).toBe(before);
  });

  it("refuses a draft: nobody was texted yet", async () => {
    const draft = await db.prisma.campaign.create({ data: { name: "Fall draft", createdBy: ORGANIZER } });
    const message =
      "“Fall draft” is a draft that was never launched: nobody was texted yet, so there is no one to follow up with. Launch it first with /campaign launch Fall draft.";
    for (const attempt of [
      requireFollowUpSource(db, "Fall draft"),
      followUpStates(db, draft),
      followUpTags(db, draft),
      startFollowUpCampaign(db, { campaignId: draft.id, state: "no_reply", actor: actor(ORGANIZER) }),
    ]) {
      const error = await rejection(attempt);
      expect(error).toBeInstanceOf(CampaignError);
      expect(error.message).toBe(message);
    }
    const gone = await rejection(
      startFollowUpCampaign(db, {
        campaignId: "0190f0f0-0000-7000-8000-00000000dead",
        state: "no_reply",
        actor: actor(ORGANIZER),
      }),
    );
    expect((gone as CampaignError).reason).toBe("not_found");
  });
});
