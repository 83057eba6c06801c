import {
  blockActionsPayload,
  eventBody,
  interactionBody,
  messageEvent,
  postToSlackApp,
  slashCommandBody,
} from "../fakes/signing";
import { SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { BACKENDS } from "../support/databases";

/*
 * Who may do what, through signed Slack requests against the real app: every slash command and the
 * actions that change something, as an organizer (a workspace admin, or a member of the organizer
 * user group), a volunteer (a plain member), and people who may do nothing (guests, a user of
 * another organization, a deactivated user).
 */

const ADMIN = "U0ORGANIZER";
const GROUPIE = "U0GROUPIE";
const VOLUNTEER = "U0VOLUNTEER";
const OUTSIDERS = { guest: "U0GUEST", singleGuest: "U0SINGLE", otherOrganization: "U0EXTERNAL", deactivated: "U0GONE" };
const REPLIES = "C0REPLIES";

const FOR_ORGANIZERS = /is for organizers: ask a workspace admin or someone in the organizers' user group\.$/;
const FOR_MEMBERS =
  /is for members of this workspace; guests and people from other organizations can't use the texting console\.$/;

/** Every subcommand, with a name that does not exist where one is needed: only the role check is at stake. */
const COMMANDS: { command: string; text: string; volunteer: boolean }[] = [
  { command: "/campaign", text: "new", volunteer: false },
  { command: "/campaign", text: "list", volunteer: true },
  { command: "/campaign", text: "show Nope", volunteer: true },
  { command: "/campaign", text: "edit Nope", volunteer: false },
  { command: "/campaign", text: "launch Nope", volunteer: false },
  { command: "/campaign", text: "send Nope", volunteer: true },
  { command: "/campaign", text: "replies Nope", volunteer: false },
  { command: "/campaign", text: "followup Nope", volunteer: false },
  { command: "/campaign", text: "report Nope", volunteer: true },
  { command: "/campaign", text: "audit Nope", volunteer: false },
  { command: "/campaign", text: "export Nope", volunteer: false },
  { command: "/campaign", text: "pause Nope", volunteer: false },
  { command: "/campaign", text: "resume Nope", volunteer: false },
  { command: "/campaign", text: "archive Nope", volunteer: false },
  { command: "/segment", text: "new", volunteer: false },
  { command: "/segment", text: "list", volunteer: true },
  { command: "/segment", text: "show Nope", volunteer: true },
  { command: "/segment", text: "delete Nope", volunteer: false },
  { command: "/contacts", text: "import", volunteer: false },
  { command: "/contacts", text: "unlock +12125550000", volunteer: false },
];

describe.each(BACKENDS)("roles (%s)", (_name, create) => {
  let h: Harness;
  let campaignId: string;

  beforeAll(async () => {
    h = await startHarness(create, {}, { organizerGroup: "organizers" });
    h.slack.addUser({ id: VOLUNTEER });
    h.slack.addUser({ id: GROUPIE });
    h.slack.addUsergroup({ handle: "organizers", users: [GROUPIE] });
    h.slack.addUser({ id: OUTSIDERS.guest, is_restricted: true, is_admin: true });
    h.slack.addUser({ id: OUTSIDERS.singleGuest, is_ultra_restricted: true });
    h.slack.addUser({ id: OUTSIDERS.otherOrganization, team_id: "T0OTHER", is_admin: true });
    h.slack.addUser({ id: OUTSIDERS.deactivated, deleted: true });
    await h.app.db.prisma.contact.create({ data: { phone: "+12125556001", firstName: "Rita", tags: ["roles"] } });
    campaignId = (await launchedCampaign(h.app.db, { name: "Roles drive", tag: "roles", createdBy: ADMIN })).id;
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const run = async (user: string, command: string, text: string) => {
    const answer = await slack(slashCommandBody({ command, text, user_id: user, response_url: h.slack.responseUrl() }));
    return JSON.stringify(answer.json ?? "");
  };
  const responseTo = async (id: string) =>
    (await h.slack.waitFor("response_url", (c) => c.args.responseId === id)).args as { text?: string };

  it("let organizers (admins and the organizer group) run every command", async () => {
    for (const user of [ADMIN, GROUPIE]) {
      for (const { command, text } of COMMANDS) {
        const answer = await run(user, command, text);
        expect([user, command, text, answer]).not.toEqual([
          user,
          command,
          text,
          expect.stringMatching(/is for (organizers|members)/),
        ]);
      }
    }
  });

  it("let volunteers read campaigns and segments and text, and refuse the rest in one line", async () => {
    for (const { command, text, volunteer } of COMMANDS) {
      const answer = await run(VOLUNTEER, command, text);
      if (volunteer) expect(answer).not.toMatch(/is for (organizers|members)/);
      else expect(JSON.parse(answer)).toMatchObject({ text: expect.stringMatching(FOR_ORGANIZERS) });
    }
  });

  it("refuse guests, other organizations and deactivated users everything, and record each refusal", async () => {
    const before = await h.app.db.prisma.auditEvent.count({ where: { outcome: "refused" } });
    for (const user of Object.values(OUTSIDERS)) {
      for (const { command, text } of COMMANDS) {
        expect(JSON.parse(await run(user, command, text))).toMatchObject({ text: expect.stringMatching(FOR_MEMBERS) });
      }
    }
    const refusals = await h.app.db.prisma.auditEvent.findMany({ where: { outcome: "refused" }, skip: before });
    expect(refusals).toHaveLength(Object.keys(OUTSIDERS).length * COMMANDS.length);
    expect(new Set(refusals.map((r) => r.role))).toEqual(new Set(["outsider"]));
  });

  it("check the same roles on buttons: a volunteer cannot launch or delete, a guest cannot take a conversation", async () => {
    const segment = await h.app.db.prisma.segment.create({
      data: { name: "Keep me", filter: { tags: { any: ["roles"] } }, createdBy: ADMIN },
    });
    const draft = await h.app.db.prisma.campaign.create({
      data: { name: "Roles draft", createdBy: ADMIN, segmentId: segment.id },
    });
    const click = (user: string, actionId: string, value: string, id: string) =>
      slack(
        interactionBody(blockActionsPayload({ actionId, value, userId: user, responseUrl: h.slack.responseUrl(id) })),
      );

    await click(VOLUNTEER, "campaign_launch", draft.id, "launch");
    expect((await responseTo("launch")).text).toMatch(FOR_ORGANIZERS);
    expect((await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe("draft");

    await click(VOLUNTEER, "segment_delete_confirm", segment.id, "delete");
    expect((await responseTo("delete")).text).toMatch(FOR_ORGANIZERS);
    expect(await h.app.db.prisma.segment.count({ where: { id: segment.id } })).toBe(1);

    const contact = await h.app.db.prisma.contact.findFirstOrThrow({ where: { phone: "+12125556001" } });
    const conversation = await h.app.db.prisma.conversation.create({
      data: { campaignId, contactId: contact.id, slackChannelId: REPLIES, slackThreadTs: "1700000000.000900" },
    });
    await click(OUTSIDERS.guest, "thread_assign", conversation.id, "guest-assign");
    expect((await responseTo("guest-assign")).text).toMatch(FOR_MEMBERS);
    await click(VOLUNTEER, "thread_assign", conversation.id, "volunteer-assign");
    await h.slack.waitFor("chat.update", undefined, 10_000);
    expect((await h.app.db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).assignee).toBe(
      VOLUNTEER,
    );
  });

  it("never texts a guest's reply in a voter's thread, and says why; a volunteer's goes out", async () => {
    const contact = await h.app.db.prisma.contact.create({ data: { phone: "+12125556002", firstName: "Sol" } });
    const threadTs = "1700000000.000950";
    await h.app.db.prisma.conversation.create({
      data: { campaignId, contactId: contact.id, slackChannelId: REPLIES, slackThreadTs: threadTs },
    });
    const reply = (user: string, text: string) =>
      slack(eventBody(messageEvent({ channel: REPLIES, user, threadTs, text })));
    await reply(OUTSIDERS.otherOrganization, "Hi from a partner org");
    const note = await h.slack.waitFor(
      "chat.postMessage",
      (c) => String(c.args.text).includes("only members of this workspace"),
      10_000,
    );
    expect(note.args).toMatchObject({ channel: REPLIES, thread_ts: threadTs });
    await reply(VOLUNTEER, "Hi Sol, thanks for writing back!");
    await h.slack.waitFor("reactions.add", undefined, 10_000);
    expect(h.twilio.messages.filter((m) => m.to === "+12125556002").map((m) => m.body)).toEqual([
      "Hi Sol, thanks for writing back!",
    ]);
  });

  it("records organizer actions, and shows a campaign's trail only to organizers", async () => {
    await run(ADMIN, "/campaign", "pause Roles drive");
    // A volunteer's click on a Launch button left in a channel is refused, and recorded on the campaign.
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: "campaign_launch",
          value: campaignId,
          userId: VOLUNTEER,
          responseUrl: h.slack.responseUrl("late"),
        }),
      ),
    );
    expect((await responseTo("late")).text).toMatch(FOR_ORGANIZERS);
    const trail = JSON.parse(await run(ADMIN, "/campaign", "audit Roles drive")) as {
      blocks: { text?: { text: string } }[];
    };
    const text = trail.blocks.map((b) => b.text?.text ?? "").join("\n");
    expect(text).toContain(`<@${ADMIN}> (organizer) paused the campaign`);
    expect(text).toContain(`<@${ADMIN}> (organizer) launched the campaign`);
    expect(text).toContain(`<@${VOLUNTEER}> (volunteer) was *refused* launching a campaign: Roles drive`);
    const paused = await h.app.db.prisma.auditEvent.findFirstOrThrow({
      where: { campaignId, action: "campaign.pause" },
    });
    expect(paused).toMatchObject({
      actor: ADMIN,
      role: "organizer",
      before: { status: "running" },
      after: { status: "paused" },
    });
    expect(JSON.parse(await run(VOLUNTEER, "/campaign", "audit Roles drive"))).toMatchObject({
      text: expect.stringMatching(FOR_ORGANIZERS),
    });
  });
});
