import type { Database } from "../../src/db/database";

/*
 * A small campaign whose report was counted by hand (the figures in REPORT_FIXTURE_EXPECTED).
 * Times are UTC; the organization is in New York (EST, UTC-5 in November).
 *
 * Variant A: c1 (Nov 2, replied after 10 min, answered by V1 in 4 min, "pledged"), c2 (Nov 2, no
 * reply; its number was opted out the day before its text, which is not this campaign's opt-out),
 * c3 (Nov 3, undelivered with 30007), c4 (Twilio refused its text with 21211: never texted).
 * Variant B: c5 (Nov 2, answered STOP after 30 min: opted out), c6 (Nov 2, two texts after 20 and
 * 25 min, answered by V2 20 min after the first, then again by V1 1 min after a third; "pledged"),
 * c7 (Nov 3, replied after 5 min, nobody answered yet; "pledged"), c8 (texted 22:30 on Nov 3 in New
 * York, which is Nov 4 in UTC; a follow-up by V1 the next day; no reply).
 * V1 also sent c1 a reply Twilio refused (21610). Another campaign texted c1 and c2: none of it counts.
 */

export const V1 = "U0VOLONE";
export const V2 = "U0VOLTWO";
const MIN = 60_000;
const D1 = Date.parse("2026-11-02T15:00:00Z");
const D2 = Date.parse("2026-11-03T15:00:00Z");
const at = (base: number, minutes: number) => new Date(base + minutes * MIN);
const C8_FIRST = new Date("2026-11-04T03:30:00Z");

export const REPORT_FIXTURE_EXPECTED = {
  outbound: {
    attempted: 13,
    sent: 11,
    delivered: 9,
    failed: 3,
    failures: [
      { code: 21211, count: 1 },
      { code: 21610, count: 1 },
      { code: 30007, count: 1 },
    ],
  },
  contacts: { texted: 7, replied: 4, optedOut: 1, outcomes: 3, clicked: null },
  goal: { outcomeTag: "pledged", target: 4, reached: 3, share: 0.75 },
  /** Replies after 5, 10, 20 and 30 minutes. */
  medianFirstReplySeconds: 15 * 60,
  variants: [
    { label: "A", texted: 3, replied: 1, optedOut: 0, outcomes: 1 },
    { label: "B", texted: 4, replied: 3, optedOut: 1, outcomes: 2 },
  ],
  daily: [
    { date: "2026-11-02", label: "A", texted: 2, replied: 1, optedOut: 0 },
    { date: "2026-11-02", label: "B", texted: 2, replied: 2, optedOut: 1 },
    { date: "2026-11-03", label: "A", texted: 1, replied: 0, optedOut: 0 },
    { date: "2026-11-03", label: "B", texted: 2, replied: 1, optedOut: 0 },
  ],
  volunteers: [
    { volunteer: V1, textsSent: 4, repliesAnswered: 2, medianAnswerSeconds: 150 },
    { volunteer: V2, textsSent: 4, repliesAnswered: 1, medianAnswerSeconds: 1200 },
  ],
};

export async function seedReportFixture(
  db: Database,
  name = "Report Fixture",
  phonePrefix = "+1917555",
): Promise<{ campaignId: string; contactIds: string[] }> {
  const { prisma } = db;
  const campaign = await prisma.campaign.create({
    data: {
      name,
      status: "running",
      goalType: "turnout",
      goalTarget: 4,
      goalOutcomeTag: "pledged",
      conversationChannelId: "C0REPLIES",
      createdBy: "U0ORGANIZER",
      scripts: {
        create: [
          { kind: "initial", label: "A", body: "Hi, this is Sam. Will you vote? Reply STOP to opt out.", position: 0 },
          { kind: "initial", label: "B", body: "Hello from Sam! Will you vote? Reply STOP to opt out.", position: 1 },
          { kind: "follow_up", label: "Follow-up 1", body: "Just checking in.", position: 2, delayDays: 1 },
        ],
      },
    },
    include: { scripts: true },
  });
  const other = await prisma.campaign.create({
    data: { name: `${name} (other)`, status: "running", createdBy: "U0ORGANIZER" },
  });
  const [a, b] = ["A", "B"].map((label) => campaign.scripts.find((s) => s.label === label)!.id);
  const phones = Array.from({ length: 8 }, (_, i) => `${phonePrefix}${String(1001 + i)}`);
  const contacts: { id: string; phone: string }[] = [];
  for (const phone of phones) contacts.push(await prisma.contact.create({ data: { phone, firstName: "Voter" } }));
  const c = (n: number) => contacts[n - 1]!;

  const firstText: Record<number, Date | null> = {
    1: at(D1, 0),
    2: at(D1, 1),
    3: at(D2, 0),
    4: null,
    5: at(D1, 2),
    6: at(D1, 3),
    7: at(D2, 2),
    8: C8_FIRST,
  };
  for (let n = 1; n <= 8; n++) {
    await prisma.campaignContact.create({
      data: {
        campaignId: campaign.id,
        contactId: c(n).id,
        variantId: n <= 4 ? a : b,
        status: n === 4 ? "skipped" : "sent",
        assignedTo: n <= 4 ? V1 : V2,
        firstTextAt: firstText[n],
        lastTextAt: firstText[n],
      },
    });
  }
  const tags: Record<number, string[]> = { 1: ["pledged"], 6: ["pledged", "moved"], 7: ["pledged"] };
  const conversation: Record<number, string> = {};
  for (let n = 1; n <= 8; n++) {
    const cv = await prisma.conversation.create({
      data: { campaignId: campaign.id, contactId: c(n).id, tags: tags[n] ?? [], assignee: n <= 4 ? V1 : V2 },
    });
    conversation[n] = cv.id;
  }
  let sid = 0;
  const out = (
    n: number,
    createdAt: Date,
    status: string,
    by: string,
    extra: { initiated?: boolean; step?: number; errorCode?: number } = {},
  ) => ({
    direction: "outbound" as const,
    conversationId: conversation[n]!,
    contactId: c(n).id,
    campaignId: campaign.id,
    fromPhone: "+12125550199",
    toPhone: c(n).phone,
    body: "text",
    twilioSid: `SMfixture${name.length}${String(++sid).padStart(6, "0")}${phonePrefix.slice(-3)}`,
    status,
    sentBy: by,
    initiated: extra.initiated ?? false,
    step: extra.step ?? null,
    errorCode: extra.errorCode ?? null,
    createdAt,
  });
  const first = { initiated: true, step: 0 };
  const inbound = (n: number, createdAt: Date) => ({
    direction: "inbound" as const,
    conversationId: conversation[n]!,
    contactId: c(n).id,
    fromPhone: c(n).phone,
    toPhone: "+12125550199",
    body: "reply",
    twilioSid: `SMinbound${name.length}${String(++sid).padStart(6, "0")}${phonePrefix.slice(-3)}`,
    status: "received",
    createdAt,
  });
  await prisma.message.createMany({
    data: [
      out(1, at(D1, 0), "delivered", V1, first),
      out(2, at(D1, 1), "delivered", V1, first),
      out(3, at(D2, 0), "undelivered", V1, { ...first, errorCode: 30007 }),
      out(4, at(D2, 1), "failed", V1, { ...first, errorCode: 21211 }),
      out(5, at(D1, 2), "delivered", V2, first),
      out(6, at(D1, 3), "delivered", V2, first),
      out(7, at(D2, 2), "sent", V2, first),
      out(8, C8_FIRST, "delivered", V2, first),
      out(8, new Date(C8_FIRST.getTime() + 24 * 60 * MIN), "delivered", V1, { initiated: true, step: 1 }),
      inbound(1, at(D1, 10)),
      out(1, at(D1, 14), "delivered", V1),
      out(1, at(D1, 20), "failed", V1, { errorCode: 21610 }),
      inbound(5, at(D1, 32)),
      inbound(6, at(D1, 23)),
      inbound(6, at(D1, 28)),
      out(6, at(D1, 43), "delivered", V2),
      inbound(6, at(D1, 63)),
      out(6, at(D1, 64), "delivered", V1),
      inbound(7, at(D2, 7)),
    ],
  });
  await prisma.optOut.createMany({
    data: [
      { phone: c(5).phone, source: "keyword", createdAt: at(D1, 32) },
      { phone: c(2).phone, source: "import", createdAt: at(D1, -24 * 60) },
    ],
  });
  // Another campaign's conversation with c1 and c2: its texts, replies and tags are not this campaign's.
  for (const n of [1, 2]) {
    const cv = await prisma.conversation.create({
      data: { campaignId: other.id, contactId: c(n).id, tags: ["pledged"] },
    });
    conversation[n] = cv.id;
  }
  await prisma.message.createMany({
    data: [
      out(1, at(D2, 100), "delivered", V2, first),
      inbound(1, at(D2, 101)),
      out(1, at(D2, 102), "delivered", V2),
      out(2, at(D2, 100), "failed", V2, { ...first, errorCode: 30034 }),
    ].map((m) => ({ ...m, ...(m.direction === "outbound" ? { campaignId: other.id } : {}) })),
  });
  return { campaignId: campaign.id, contactIds: contacts.map((x) => x.id) };
}
