import pino from "pino";
import type { Database } from "../../../src/db/database";
import { ConversationInbox, type ConversationDeps } from "../../../src/services/conversations";
import { recordInboundSms } from "../../../src/services/inbound-sms";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

describe.each(BACKENDS)("the conversation inbox (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let deps: ConversationDeps;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio();
    const sms = createTwilioGateway({ accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: "+12125550199", apiUrl: twilio.url }, "https://texting.example.org");
    deps = { db, sms, sender: "+12125550199", clock: () => new Date(), render: slackThreadRenderer, unmatchedChannel: "C0UNMATCHED", logger: pino({ level: "silent" }) };
  });
  afterAll(async () => {
    await twilio.close();
    await db.dispose();
  });

  it("sets aside events that keep failing, so they never starve the ones behind them", async () => {
    // 60 broken events, older than a good one: more than one batch of 50.
    const old = new Date(Date.now() - 60_000);
    await db.prisma.inboundEvent.createMany({
      data: Array.from({ length: 60 }, (_, i) => ({ source: "slack.reply", externalId: `broken:${i}`, payload: {}, receivedAt: old })),
    });
    await recordInboundSms(db.prisma, { sid: "SM0000000000000000000000000000good", from: "+13125550100", to: "+12125550199", body: "who is this?", media: [], raw: { MessageSid: "SM0000000000000000000000000000good" } });
    const inbox = new ConversationInbox(deps);
    for (let tick = 0; tick < 10; tick++) await inbox.drain();
    const good = await db.prisma.inboundEvent.findFirstOrThrow({ where: { externalId: "SM0000000000000000000000000000good" } });
    expect(good.processedAt).not.toBeNull();
    expect(await db.prisma.slackOutbox.count({ where: { channel: "C0UNMATCHED" } })).toBe(1);
    // The broken ones stay stored and unprocessed: nothing is dropped.
    expect(await db.prisma.inboundEvent.count({ where: { source: "slack.reply", processedAt: null } })).toBe(60);
  });
});
