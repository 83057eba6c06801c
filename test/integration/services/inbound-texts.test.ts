import pino from "pino";
import type { Database } from "../../../src/db/database";
import { AUTOMATIC_TEXT_LIMIT } from "../../../src/domain/automatic-texts";
import { ConversationInbox } from "../../../src/services/conversation-inbox";
import { type ConversationDeps } from "../../../src/services/conversation-threads";
import { recordInboundSms, type CarrierKeyword } from "../../../src/services/inbound-sms";
import { slackThreadRenderer } from "../../../src/slack/blocks/conversation";
import { createTwilioGateway } from "../../../src/sms/twilio-gateway";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio-api";
import { BACKENDS, openMigratedDatabase } from "../../support/databases";

/** Every reply's author is a member of the workspace (roles are tested in test/e2e/roles.e2e.test.ts). */
const MEMBERS = { roleOf: async () => "volunteer" as const };

const SENDER = "+12125550199";
const CHANNEL = "C0REPLIES";
const HELP_TEXT = "Neighbors for B texts about Measure B. Reply STOP to opt out.";

describe.each(BACKENDS)("the app's own answers to voters' texts (%s)", (_name, create) => {
  let db: Database & { dispose(): Promise<void> };
  let twilio: FakeTwilio;
  let deps: ConversationDeps;
  let now = new Date("2026-11-30T15:00:00Z");
  let sids = 0;
  let threads = 0;

  beforeAll(async () => {
    db = await openMigratedDatabase(create);
    twilio = await startFakeTwilio();
    const sms = createTwilioGateway(
      { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: SENDER, apiUrl: twilio.url },
      "https://texting.example.org",
    );
    deps = {
      db,
      sms,
      sender: SENDER,
      clock: () => now,
      render: slackThreadRenderer,
      unmatchedChannel: "C0UNMATCHED",
      logger: pino({ level: "silent" }),
    };
  });
  afterAll(async () => {
    await twilio?.close();
    await db?.dispose();
  });

  /** A voter in a campaign conversation whose thread is open. */
  async function voter(phone: string) {
    const contact = await db.prisma.contact.create({ data: { phone, firstName: "Dana" } });
    const campaign = await db.prisma.campaign.create({
      data: { name: `Answers ${phone}`, createdBy: "U0ORG", helpText: HELP_TEXT, conversationChannelId: CHANNEL },
    });
    await db.prisma.conversation.create({
      data: {
        campaignId: campaign.id,
        contactId: contact.id,
        slackChannelId: CHANNEL,
        slackThreadTs: `1795000000.${String(++threads).padStart(6, "0")}`,
      },
    });
    return phone;
  }

  /** The voter texts `body`; the inbox processes it. */
  async function texts(phone: string, body: string, carrierKeyword: CarrierKeyword | null = null) {
    const sid = `SM${String(++sids).padStart(32, "0")}`;
    await recordInboundSms(db.sql, { sid, from: phone, to: SENDER, body, media: [], carrierKeyword, raw: {} }, now);
    await new ConversationInbox(deps, MEMBERS).drain();
    const message = await db.prisma.message.findUniqueOrThrow({ where: { twilioSid: sid } });
    const notes = await db.prisma.slackOutbox.findMany({
      where: { dedupeKey: { startsWith: `sms-note:${message.id}:` } },
      select: { payload: true },
    });
    return notes.map((n) => (n.payload as { text: string }).text);
  }
  const sentTo = (phone: string) => twilio.messages.filter((m) => m.to === phone).map((m) => m.body);

  it("sends no help text to an opted-out number", async () => {
    const phone = await voter("+13125550201");
    await db.prisma.optOut.create({ data: { phone, source: "admin", adminLock: true } });
    expect(await texts(phone, "Help?")).toEqual([
      ":information_source: They asked for help; they are opted out, so no help text was sent.",
    ]);
    expect(sentTo(phone)).toEqual([]);
  });

  it("sends no help text when Twilio answered its own HELP or INFO keyword", async () => {
    const phone = await voter("+13125550202");
    const twilioAnswered =
      ":information_source: They asked for help; Twilio answered with its own help text, so the campaign's was not sent.";
    expect(await texts(phone, "help", "help")).toEqual([twilioAnswered]);
    expect(await texts(phone, " INFO ")).toEqual([twilioAnswered]);
    // Words Twilio does not answer itself get the campaign's help text.
    expect(await texts(phone, "Help?")).toEqual([
      expect.stringMatching(/^:information_source: They asked for help; the campaign's help text was sent/),
    ]);
    expect(sentTo(phone)).toEqual([HELP_TEXT]);
  });

  it(`sends a number at most ${AUTOMATIC_TEXT_LIMIT.count} automatic texts in ${AUTOMATIC_TEXT_LIMIT.hours} hours, and says so in the thread`, async () => {
    const phone = await voter("+13125550203");
    for (let i = 0; i < AUTOMATIC_TEXT_LIMIT.count; i++) await texts(phone, "Help?");
    expect(await texts(phone, "ayuda")).toEqual([
      ":information_source: They asked for help; the help text was not sent: this number already had 3 automatic texts from us in 24 hours. Answer in this thread if they need it.",
    ]);
    // The opt-out itself is recorded all the same; only its confirmation is held back.
    expect(await texts(phone, "please stop texting me")).toEqual([
      ":no_entry_sign: Opted out (no confirmation texted: this number already had 3 automatic texts from us in 24 hours): this number gets no more texts from any campaign.",
    ]);
    expect(await db.prisma.optOut.findUnique({ where: { phone } })).not.toBeNull();
    expect(sentTo(phone)).toEqual(Array(AUTOMATIC_TEXT_LIMIT.count).fill(HELP_TEXT));

    // Once 24 hours have passed since those, there is room again.
    now = new Date(now.getTime() + AUTOMATIC_TEXT_LIMIT.hours * 3_600_000 + 1);
    await db.prisma.optOut.delete({ where: { phone } });
    expect(await texts(phone, "please stop texting me")).toEqual([
      ":no_entry_sign: Opted out (we texted them a confirmation): this number gets no more texts from any campaign.",
    ]);
    expect(sentTo(phone).at(-1)).toBe("You're unsubscribed and will get no more texts.");
  });
});
