import { parse } from "csv-parse/sync";
import { postToSlackApp, slashCommandBody } from "../fakes/signing";
import { SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { BACKENDS } from "../support/databases";

const ORGANIZER = "U0ORGANIZER";
const VOLUNTEER = "U0VOLUNTEER";
const FORMULA = '=HYPERLINK("http://evil.example","click")';

describe.each(BACKENDS)("/campaign export (%s)", (_name, create) => {
  let h: Harness;
  let campaignId: string;

  beforeAll(async () => {
    h = await startHarness(create);
    h.slack.addUser({ id: VOLUNTEER });
    const db = h.app.db.prisma;
    const ada = await db.contact.create({
      data: { phone: "+12125557001", firstName: "@SUM(1+1)", lastName: "Lovelace", tags: ["export"] },
    });
    const bob = await db.contact.create({ data: { phone: "+12125557002", firstName: "Bob", tags: ["export"] } });
    campaignId = (await launchedCampaign(h.app.db, { name: "Export me", tag: "export", createdBy: ORGANIZER })).id;
    const conversation = await db.conversation.create({
      data: { campaignId, contactId: ada.id, tags: ["pledged", "needs ride"] },
    });
    await db.message.createMany({
      data: [
        {
          direction: "outbound",
          conversationId: conversation.id,
          contactId: ada.id,
          campaignId,
          fromPhone: "+12125550199",
          toPhone: ada.phone,
          body: "Hi Ada, will you vote?",
          status: "delivered",
          initiated: true,
          step: 0,
          segments: 1,
        },
        {
          direction: "inbound",
          conversationId: conversation.id,
          contactId: ada.id,
          fromPhone: ada.phone,
          toPhone: "+12125550199",
          body: FORMULA,
          status: "received",
        },
      ],
    });
    await db.optOut.create({ data: { phone: bob.phone, source: "admin", adminLock: true } });
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const run = (user: string, text: string, responseId: string) =>
    postToSlackApp(h.app.localUrl, {
      secret: SIGNING_SECRET,
      body: slashCommandBody({
        command: "/campaign",
        text,
        user_id: user,
        response_url: h.slack.responseUrl(responseId),
      }),
    });
  const csvOf = (bytes: Buffer) => parse(bytes, { columns: true, bom: true }) as Record<string, string>[];

  it("uploads contacts and messages as CSV files to the organizer's direct message, formulas neutralized", async () => {
    const answer = await run(ORGANIZER, "export Export me", "export-ok");
    expect(JSON.stringify(answer.json)).toContain("direct messages");
    await h.slack.waitFor("response_url", (c) => c.args.responseId === "export-ok", 15_000);
    const completes = h.slack.calls.filter((c) => c.method === "files.completeUploadExternal" && !c.error);
    expect(completes).toHaveLength(2);
    const opened = h.slack.calls.find((c) => c.method === "conversations.open");
    expect(opened?.args.users).toBe(ORGANIZER);
    for (const call of completes) expect(String(call.args.channel_id)).toMatch(/^D/);

    const files = [...h.slack.uploads.values()].map(csvOf);
    const contacts = files.find((rows) => rows[0] && "opted_out" in rows[0])!;
    const messages = files.find((rows) => rows[0] && "body" in rows[0])!;
    expect(contacts).toHaveLength(2);
    const ada = contacts.find((r) => r.last_name === "Lovelace")!;
    expect(ada).toMatchObject({
      phone: "'+12125557001",
      first_name: "'@SUM(1+1)",
      conversation_tags: "pledged; needs ride",
      goal_outcome: "yes",
      replies: "1",
      opted_out: "no",
    });
    const bob = contacts.find((r) => r.first_name === "Bob")!;
    expect(bob).toMatchObject({ opted_out: "yes", opt_out_source: "admin", opt_out_locked: "yes", goal_outcome: "no" });
    expect(messages.map((m) => m.direction).sort()).toEqual(["inbound", "outbound"]);
    expect(messages.find((m) => m.direction === "inbound")!.body).toBe(`'${FORMULA}`);
    const audit = await h.app.db.prisma.auditEvent.findFirst({ where: { action: "campaign.export", campaignId } });
    expect(audit).toMatchObject({ actor: ORGANIZER, after: { contacts: 2, messages: 2 } });
  });

  it("refuses volunteers in one line, uploads nothing and records the refusal", async () => {
    const answer = await run(VOLUNTEER, "export Export me", "export-refused");
    expect(JSON.stringify(answer.json)).toMatch(/Exporting a campaign is for organizers/);
    expect(h.slack.calls.some((c) => c.method.startsWith("files."))).toBe(false);
    const refusal = await h.app.db.prisma.auditEvent.findFirst({
      where: { actor: VOLUNTEER, action: "campaigns.export", outcome: "refused" },
    });
    expect(refusal).not.toBeNull();
  });
});
