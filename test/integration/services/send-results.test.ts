import type { Database } from "../../../src/db/database";
import { reconcileUnconfirmedSends } from "../../../src/services/send-results";
import type { SmsGateway } from "../../../src/services/sms-gateway";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";
import { recordingLogger } from "../../support/outbox";

const SENDER = "+12125550199";

describe.each(BACKENDS)("reconciling texts whose answer was lost (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let gateway: SmsGateway;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio();
    gateway = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
    );
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  /** A text whose answer was lost `agoMs` before now: stored unconfirmed, without a SID. */
  const unconfirmed = (to: string, body: string, createdAt: Date) =>
    db.prisma.message.create({
      data: { direction: "outbound", fromPhone: SENDER, toPhone: to, body, status: "unconfirmed", createdAt },
    });

  it("gives two alike texts to one number two different SIDs, and goes on past a text whose check fails", async () => {
    const now = new Date();
    const before = new Date(now.getTime() - 90_000);
    const body = "Hi Dana, polls are open until 8 tonight.";
    // The oldest of them, to a number whose lookup fails: it must not stop the others.
    const broken = await unconfirmed("+13125550300", body, new Date(before.getTime() - 1_000));
    const first = await unconfirmed("+13125550301", body, before);
    const second = await unconfirmed("+13125550301", body, new Date(before.getTime() + 1_000));
    // Both reached Twilio; their answers were lost.
    await gateway.send({ to: "+13125550301", body });
    await gateway.send({ to: "+13125550301", body });
    const failing: SmsGateway = {
      ...gateway,
      findSent: (query) =>
        query.to === "+13125550300" ? Promise.reject(new Error("Twilio is down")) : gateway.findSent(query),
    };
    const { logger, lines } = recordingLogger();

    expect(await reconcileUnconfirmedSends({ db, sms: failing, logger, render: slackThreadRenderer }, now)).toEqual({
      confirmed: 2,
      notSent: 0,
      failed: 1,
    });
    const sids = await db.prisma.message.findMany({
      where: { id: { in: [first.id, second.id] } },
      select: { twilioSid: true },
    });
    expect(sids.map((m) => m.twilioSid).sort()).toEqual(twilio.messages.map((m) => m.sid).sort());
    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: broken.id } })).toMatchObject({
      status: "unconfirmed",
      twilioSid: null,
    });
    expect(lines()).toContainEqual(expect.objectContaining({ level: 50, message: broken.id }));

    // The next run tries it again; the confirmed ones are done.
    expect(await reconcileUnconfirmedSends({ db, sms: gateway, logger, render: slackThreadRenderer }, now)).toEqual({
      confirmed: 0,
      notSent: 1,
      failed: 0,
    });
  });

  it("sets aside the campaign entry of a text the campaign initiated when Twilio never took it", async () => {
    const now = new Date();
    const contact = await db.prisma.contact.create({ data: { phone: "+13125550310" } });
    const campaign = await db.prisma.campaign.create({ data: { name: "Never took", createdBy: "U0ORG" } });
    await db.prisma.campaignContact.create({
      data: { campaignId: campaign.id, contactId: contact.id, status: "sent" },
    });
    await db.prisma.message.create({
      data: {
        direction: "outbound",
        fromPhone: SENDER,
        toPhone: contact.phone,
        body: "Hi, this is Sam with Neighbors for B.",
        status: "claimed",
        initiated: true,
        sentBy: "U0ANA",
        campaignId: campaign.id,
        contactId: contact.id,
        createdAt: new Date(now.getTime() - 90_000),
      },
    });
    const { logger } = recordingLogger();
    expect(await reconcileUnconfirmedSends({ db, sms: gateway, logger, render: slackThreadRenderer }, now)).toEqual({
      confirmed: 0,
      notSent: 1,
      failed: 0,
    });
    expect(
      await db.prisma.campaignContact.findFirstOrThrow({ where: { campaignId: campaign.id, contactId: contact.id } }),
    ).toMatchObject({ status: "skipped", skipCode: "unconfirmed" });
  });
});
