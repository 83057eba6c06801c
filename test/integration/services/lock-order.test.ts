import type { Database } from "../../../src/db/database";
import { recordOptOut } from "../../../src/services/opt-outs";
import { sendCard } from "../../../src/services/send-card";
import { drawCard } from "../../../src/services/texting";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { launchedCampaign } from "../../support/campaigns";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/*
 * The send path and recordOptOut both touch one number's rows under the per-phone lock; both take
 * that lock first (services/opt-outs.ts), so running them at once never deadlocks. Here a Send
 * that Twilio answers with 21610 (the carrier's opt-out, recorded in the send's failure
 * transaction) races a voter's STOP for the same number, round after round.
 */

const SENDER = "+12125550199";
const ROUNDS = 25;
const contacts = Array.from({ length: ROUNDS }, (_, i) => ({
  phone: `+1212555${String(2000 + i)}`,
  zip: "10001",
  firstName: `Voter${i}`,
  tags: ["race"],
}));

describe.each(BACKENDS)("the send path racing an opt-out (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let campaignId: string;
  // Wednesday 15:00 in New York: inside every sending window.
  const now = new Date("2026-03-04T20:00:00Z");
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio({ now: () => now });
    await db.prisma.contact.createMany({ data: contacts });
    campaignId = (await launchedCampaign(db, { name: "Race", tag: "race", createdBy: "U0ORG" })).id;
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  it("never deadlocks, and every round ends with the number opted out once and the entry set aside", async () => {
    const gateway = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
      { retry: { attempts: 1 } },
    );
    const failures: unknown[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const draw = await drawCard(db, { campaignId, volunteer: "U0ANA", role: "volunteer", now });
      if (draw.kind !== "card") throw new Error(`round ${round}: no card (${draw.kind})`);
      const phone = contacts.find((c) => c.firstName === draw.card.contactName)!.phone;
      twilio.failNext({ code: 21610 });
      const results = await Promise.allSettled([
        sendCard(
          db,
          gateway,
          {
            campaignContactId: draw.card.campaignContactId,
            intentId: draw.card.intentId,
            volunteer: "U0ANA",
            role: "volunteer",
            now,
          },
          { sender: SENDER },
        ),
        db.prisma.$transaction((tx) => recordOptOut(tx, phone, "reply_phrase", "STOP", now)),
      ]);
      failures.push(...results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason));
      expect(await db.prisma.optOut.count({ where: { phone } })).toBe(1);
      const entry = await db.prisma.campaignContact.findUniqueOrThrow({ where: { id: draw.card.campaignContactId } });
      expect(["skipped", "sent"]).toContain(entry.status);
      if (entry.status === "sent") throw new Error(`round ${round}: a text reported opted out stayed 'sent'`);
    }
    expect(failures).toEqual([]);
    expect(twilio.messages).toHaveLength(0);
  }, 120_000);
});
