import fc from "fast-check";
import { OUTBOUND_STATUSES, isStatusAdvance, type OutboundStatus } from "../../../src/domain/message-status";
import { recordDeliveryStatus, recordInboundSms, type InboundSms } from "../../../src/services/inbound-sms";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

let sidCounter = 0;
const nextSid = () => `SM${(++sidCounter).toString(16).padStart(32, "0")}`;

function inbound(overrides: Partial<InboundSms> = {}): InboundSms {
  const sid = overrides.sid ?? nextSid();
  return {
    sid,
    from: "+15555550123",
    to: "+15555550999",
    body: "Yes, count me in!",
    media: [],
    raw: { MessageSid: sid, Body: "Yes, count me in!" },
    ...overrides,
  };
}

describe.each(BACKENDS)("inbound texts and delivery callbacks (%s)", (_name, create) => {
  let db: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    db = await openMigratedDatabase(create);
  });
  afterAll(() => db?.dispose());

  it("stores an inbound text once, however often it is delivered, and keeps the raw webhook", async () => {
    const sms = inbound({ media: [{ url: "https://api.twilio.com/media/ME1", contentType: "image/jpeg" }] });
    // Dated by the app's clock (here a Monday morning of the past), not by the database's.
    const receivedAt = new Date("2026-11-30T15:00:00.123Z");
    const results = await Promise.all(Array.from({ length: 8 }, () => recordInboundSms(db.sql, sms, receivedAt)));
    expect(results.filter((r) => r.stored)).toHaveLength(1);
    const messages = await db.prisma.message.findMany({ where: { twilioSid: sms.sid } });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      direction: "inbound",
      body: "Yes, count me in!",
      mediaUrls: ["https://api.twilio.com/media/ME1"],
      status: "received",
      contactId: null,
      createdAt: receivedAt,
    });
    const events = await db.prisma.inboundEvent.findMany({ where: { source: "twilio.sms", externalId: sms.sid } });
    expect(events).toHaveLength(1);
    // The neutral message is what services read; Twilio's parameters are kept verbatim inside it.
    expect(events[0]?.payload).toEqual({ ...sms, raw: sms.raw });
    expect(events[0]?.processedAt).toBeNull();
  });

  it("links an inbound text to the contact with that phone number", async () => {
    const contact = await db.prisma.contact.create({ data: { phone: "+15555550177", firstName: "Ana" } });
    const result = await recordInboundSms(db.sql, inbound({ from: "+15555550177" }), new Date());
    expect(result).toMatchObject({ stored: true, contactId: contact.id });
  });

  async function outbound(status: OutboundStatus = "accepted") {
    const sid = nextSid();
    await db.prisma.message.create({
      data: {
        direction: "outbound",
        fromPhone: "+15555550999",
        toPhone: "+15555550123",
        body: "Hi",
        twilioSid: sid,
        status,
      },
    });
    return sid;
  }

  it("moves a message forward on callbacks, records the error code, and ignores repeats", async () => {
    const sid = await outbound();
    expect(await recordDeliveryStatus(db.prisma, { sid, status: "sent", errorCode: null, raw: {} })).toBe("updated");
    expect(await recordDeliveryStatus(db.prisma, { sid, status: "sent", errorCode: null, raw: {} })).toBe("duplicate");
    expect(await recordDeliveryStatus(db.prisma, { sid, status: "undelivered", errorCode: 30007, raw: {} })).toBe(
      "updated",
    );
    expect(await db.prisma.message.findUnique({ where: { twilioSid: sid } })).toMatchObject({
      status: "undelivered",
      errorCode: 30007,
    });
  });

  it("never lets a late callback move a delivered message backwards", async () => {
    const sid = await outbound();
    await recordDeliveryStatus(db.prisma, { sid, status: "delivered", errorCode: null, raw: {} });
    expect(await recordDeliveryStatus(db.prisma, { sid, status: "sent", errorCode: null, raw: {} })).toBe("unchanged");
    expect((await db.prisma.message.findUnique({ where: { twilioSid: sid } }))?.status).toBe("delivered");
  });

  it("keeps a callback for a message it has not stored yet, unprocessed, instead of dropping it", async () => {
    const sid = nextSid();
    expect(
      await recordDeliveryStatus(db.prisma, { sid, status: "sent", errorCode: null, raw: { MessageSid: sid } }),
    ).toBe("unknown-message");
    const event = await db.prisma.inboundEvent.findUnique({
      where: { source_externalId: { source: "twilio.status", externalId: `${sid}:sent` } },
    });
    expect(event).toMatchObject({ processedAt: null, payload: { sid, status: "sent" } });
  });

  it("ends at the most advanced status whatever order the callbacks arrive in (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...OUTBOUND_STATUSES), { minLength: 1, maxLength: 5 }),
        async (arrivals) => {
          const sid = await outbound("accepted");
          await Promise.all(
            arrivals.map((status) => recordDeliveryStatus(db.prisma, { sid, status, errorCode: null, raw: {} })),
          );
          const stored = (await db.prisma.message.findUnique({ where: { twilioSid: sid } }))?.status as OutboundStatus;
          // Nothing that arrived outranks the stored status, and the stored one is accepted or one that arrived.
          expect(arrivals.some((s) => isStatusAdvance(stored, s))).toBe(false);
          expect(stored === "accepted" || arrivals.includes(stored)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});
