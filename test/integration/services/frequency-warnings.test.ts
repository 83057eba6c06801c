import type { Database } from "../../../src/db/database";
import { campaignById, requireCampaign } from "../../../src/services/campaigns";
import {
  capExposure,
  dailyCapWarnings,
  dailyCapWarningsFor,
  launchNeedsConfirmation,
} from "../../../src/services/frequency-warnings";
import { sendCard } from "../../../src/services/send-card";
import { drawCard } from "../../../src/services/texting";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { launchedCampaign } from "../../support/campaigns";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

const SENDER = "+12125550199";
const HOUR = 3_600_000;
/** Wednesday 15:00 in New York. */
const NOW = new Date("2026-11-04T20:00:00Z");

describe.each(BACKENDS)("frequency-limit warnings (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio({ now: () => NOW });
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  /** `texts` campaign texts to `phone`, `hoursAgo` each. */
  async function earlierTexts(phone: string, hoursAgo: number[]): Promise<void> {
    await db.prisma.message.createMany({
      data: hoursAgo.map((h) => ({
        direction: "outbound" as const,
        initiated: true,
        fromPhone: SENDER,
        toPhone: phone,
        body: "earlier",
        status: "delivered",
        createdAt: new Date(NOW.getTime() - h * HOUR),
      })),
    });
  }

  it("count who is at the cap, who would be capped by the plan, and when they free up: what the cards then skip", async () => {
    const phones = Array.from({ length: 6 }, (_, i) => `+1212555${String(3000 + i)}`);
    await db.prisma.contact.createMany({
      data: phones.map((phone, i) => ({ phone, firstName: `C${i}`, zip: "10001", tags: ["cap-w"] })),
    });
    // Cap 3 per 7 days. C0 and C1 at the cap (their oldest counting texts 100 h and 50 h ago), C2 one
    // from it, C3 one text (its plan of first text + follow-up fits), C4 and C5 none.
    await earlierTexts(phones[0]!, [100, 30, 10]);
    await earlierTexts(phones[1]!, [50, 40, 20, 5]);
    await earlierTexts(phones[2]!, [60, 20]);
    await earlierTexts(phones[3]!, [24]);
    const saved = await launchedCampaign(db, {
      name: "Warned",
      tag: "cap-w",
      createdBy: "U0ORG",
      form: { followUps: ["Checking in: will you vote? Reply STOP to opt out.", ""], capCount: "3", capDays: "7" },
    });
    const campaign = (await campaignById(db, saved.id))!;
    const exposure = await capExposure(db, campaign, NOW);
    expect(exposure).toEqual({
      considered: 6,
      plannedTexts: 2,
      atCap: 2,
      // C2 (2 + 2 > 3) too.
      wouldBeCapped: 3,
      freesUp: {
        // C0's 100-hour-old text leaves the 7-day window first; C1 needs its 40-hour-old one gone.
        first: new Date(NOW.getTime() + (168 - 100) * HOUR),
        last: new Date(NOW.getTime() + (168 - 40) * HOUR),
      },
    });
    // Before launch the same counts come from the segment's reachable contacts.
    expect(await capExposure(db, { ...campaign, status: "draft" }, NOW)).toEqual(exposure);
    expect(launchNeedsConfirmation(exposure)).toBe(false);
    expect(launchNeedsConfirmation({ ...exposure!, atCap: 4 })).toBe(true);
    expect(
      await dailyCapWarnings(db, campaign, { since: new Date(NOW.getTime() - 24 * HOUR), until: NOW, now: NOW }),
    ).toMatchObject({
      skippedForCap: 0,
      oneFromCap: 1,
    });

    // The send cards skip exactly those at the cap.
    const gateway = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
      { retry: { attempts: 1 } },
    );
    let capped = 0;
    for (;;) {
      const draw = await drawCard(db, { campaignId: campaign.id, volunteer: "U0ANA", role: "volunteer", now: NOW });
      capped += draw.notes.filter((n) => n.reason.startsWith("frequency cap")).length;
      if (draw.kind !== "card") break;
      await sendCard(
        db,
        gateway,
        {
          campaignContactId: draw.card.campaignContactId,
          intentId: draw.card.intentId,
          volunteer: "U0ANA",
          role: "volunteer",
          now: NOW,
        },
        { sender: SENDER },
      );
    }
    expect(capped).toBe(exposure!.atCap);
    const after = await dailyCapWarnings(db, campaign, {
      since: new Date(NOW.getTime() - HOUR),
      until: new Date(NOW.getTime() + HOUR),
      now: NOW,
    });
    expect(after.skippedForCap).toBe(2);
  });

  it("name the running campaigns that share a large part of the audience", async () => {
    const phones = Array.from({ length: 10 }, (_, i) => `+1312555${String(4000 + i)}`);
    await db.prisma.contact.createMany({
      data: phones.map((phone, i) => ({
        phone,
        firstName: `O${i}`,
        zip: "60601",
        tags: i < 4 ? ["ov-a", "ov-b"] : ["ov-a"],
      })),
    });
    const a = await launchedCampaign(db, { name: "Overlap A", tag: "ov-a", createdBy: "U0ORG" });
    await launchedCampaign(db, { name: "Overlap B", tag: "ov-b", createdBy: "U0ORG" });
    const warnings = await dailyCapWarnings(db, (await campaignById(db, a.id))!, { since: NOW, until: NOW, now: NOW });
    expect(warnings.overlaps).toEqual([{ campaign: "Overlap B", shared: 4, share: 0.4 }]);
  });

  it("count for many campaigns at once exactly what each counts alone, whatever their cap", async () => {
    await launchedCampaign(db, {
      name: "Warned Short",
      tag: "cap-w",
      createdBy: "U0ORG",
      form: { capCount: "2", capDays: "2" },
    });
    const all = await Promise.all(
      ["Warned", "Warned Short", "Overlap A", "Overlap B"].map((name) => requireCampaign(db, name)),
    );
    const window = { since: new Date(NOW.getTime() - 24 * HOUR), until: new Date(NOW.getTime() + HOUR), now: NOW };
    const together = await dailyCapWarningsFor(db, all, window);
    for (const campaign of all) expect(together.get(campaign.id)).toEqual(await dailyCapWarnings(db, campaign, window));
    expect(together.get(all[0]!.id)!.skippedForCap).toBe(2);
    expect(together.get(all[1]!.id)!.overlaps).toEqual([{ campaign: "Warned", shared: 6, share: 1 }]);
    expect([...together.values()].some((w) => w.oneFromCap > 0)).toBe(true);
  });
});
