import type { Database } from "../../../src/db/database";
import { reconcileUnconfirmedSends } from "../../../src/services/send-results";
import type { SmsGateway } from "../../../src/services/sms-gateway";
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

    expect(await reconcileUnconfirmedSends({ db, sms: failing, logger }, now)).toEqual({
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
    expect(await reconcileUnconfirmedSends({ db, sms: gateway, logger }, now)).toEqual({
      confirmed: 0,
      notSent: 1,
      failed: 0,
    });
  });
});
