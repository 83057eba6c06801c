import { eventBody, postToSlackApp, slashCommandBody } from "../fakes/signing";
import { SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";
import { seedReportFixture, V1 } from "../support/report-fixture";

/*
 * `/campaign report` and the App Home tab through signed Slack requests against the real app, on
 * the hand-counted fixture (test/support/report-fixture.ts). The chart arrives at the fake Slack
 * through the real files v2 flow (getUploadURLExternal, the upload URL, completeUploadExternal).
 */

const ORGANIZER = "U0ORGANIZER";
const STRANGER = "U0STRANGER";
const GUEST = "U0GUEST";
const NAME = "Report Fixture";

type Block = { type: string; text?: { text: string }; elements?: { text?: string }[] };
const textOf = (blocks: Block[] | undefined) =>
  (blocks ?? []).map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(" ") ?? "").join("\n");

describe.each(BACKENDS)("reports and App Home through Slack (%s)", (_name, create) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(create, { clock: () => new Date("2026-11-05T15:00:00Z") });
    h.slack.addUser({ id: V1 });
    h.slack.addUser({ id: STRANGER });
    h.slack.addUser({ id: GUEST, is_restricted: true });
    await seedReportFixture(h.app.db, NAME);
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  async function report(user: string) {
    const responseUrl = h.slack.responseUrl();
    const responseId = responseUrl.split("/").pop()!;
    const ack = await slack(
      slashCommandBody({ command: "/campaign", text: `report ${NAME}`, user_id: user, response_url: responseUrl }),
    );
    expect(ack.status).toBe(200);
    const answer = await h.slack.waitFor("response_url", (c) => c.args.responseId === responseId);
    return { answer: answer.args as { text?: string; blocks?: Block[] }, responseId };
  }

  it("answers an organizer with the figures and uploads the chart to their direct messages", async () => {
    const { answer } = await report(ORGANIZER);
    const text = textOf(answer.blocks);
    expect(answer.text).toBe("Report for Report Fixture: 7 texted, 57.1% replied, 14.3% opted out");
    expect(text).toContain("*Goal:* 3 of 4 “pledged” ▓▓▓▓▓▓▓░░░ 75%");
    expect(text).toContain("*Texts:* 11 sent · 9 delivered (81.8%) · 3 failed");
    expect(text).toContain("*Replied:* 4 (57.1%) · *median time to first reply:* 15 min");
    expect(text).toContain("*Clicked a link:* not tracked yet");
    expect(text).toContain("*Error 30007* (1): The carrier filtered this text as spam");
    expect(text).toContain("*Variant B* · 4 texted · replies 75.0% · opt-outs 25.0% · outcomes 50.0%");
    expect(text).toMatch(
      /Replies: not enough data yet: about [\d,]+ more texts per variant to tell a \d+-point difference/,
    );
    expect(text).toContain(`• <@${V1}>: 4 texts sent · 2 replies answered · median answer 2.5 min`);

    const completed = await h.slack.waitFor("files.completeUploadExternal");
    const opened = h.slack.callsTo("conversations.open");
    expect(opened.map((c) => c.args.users)).toEqual([ORGANIZER]);
    expect(completed.args.channel_id).toBe(`D${ORGANIZER.slice(1)}`);
    const files = completed.args.files as { id: string; title: string }[];
    expect(files[0]!.title).toBe("Report Fixture: reply and opt-out rates by day");
    const png = h.slack.uploads.get(files[0]!.id)!;
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(960);
  });

  it("shows a volunteer the report of a campaign they text for, and refuses the others", async () => {
    const mine = await report(V1);
    expect(mine.answer.text).toContain("7 texted");
    const refused = await report(STRANGER);
    expect(refused.answer.text).toMatch(
      /^:warning: Reading the report of a campaign you don't text for is for organizers/,
    );
    const guest = await slack(slashCommandBody({ command: "/campaign", text: `report ${NAME}`, user_id: GUEST }));
    expect(JSON.stringify(guest.json)).toContain("is for members of this workspace");
    expect(h.slack.callsTo("files.completeUploadExternal").every((c) => c.args.channel_id === `D${V1.slice(1)}`)).toBe(
      true,
    );
  });

  async function home(user: string) {
    const res = await slack(eventBody({ type: "app_home_opened", user, channel: `D${user.slice(1)}`, tab: "home" }));
    expect(res.status).toBe(200);
    const published = await h.slack.waitFor("views.publish", (c) => c.args.user_id === user);
    return textOf((published.args.view as { blocks: Block[] }).blocks);
  }

  it("draws the Home tab with goal progress, rates and what needs attention, for whom may see it", async () => {
    const organizer = await home(ORGANIZER);
    expect(organizer).toContain("*Report Fixture*");
    expect(organizer).toContain("*Goal:* 3 of 4 “pledged” ▓▓▓▓▓▓▓░░░ 75%");
    expect(organizer).toContain("11 texts sent · 7 contacts texted · replies 57.1% · opt-outs 14.3%");
    expect(organizer).toContain("Every running campaign.");
    expect(organizer).toContain(`(other)`);

    const volunteer = await home(V1);
    expect(volunteer).toContain("*Report Fixture*");
    expect(volunteer).not.toContain("(other)");
    expect(await home(STRANGER)).toContain("You don't text for a running campaign yet.");
    expect(await home(GUEST)).toContain("for members of this workspace");
  });

  it("shows conversations waiting and follow-ups due as needing attention", async () => {
    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: NAME } });
    await h.app.db.prisma.conversation.updateMany({
      where: { campaignId: campaign.id, assignee: V1 },
      data: { waitingSince: new Date("2026-11-05T14:00:00Z"), followUpAt: new Date("2026-11-05T16:00:00Z") },
    });
    // V1's four conversations; c2's number is opted out, so it needs nobody.
    const text = await home(V1);
    expect(text).toMatch(
      /\*Needs attention:\* :hourglass_flowing_sand: 3 conversations waiting for a reply \(3 yours\) · :calendar: 3 threads to follow up today/,
    );
  });
});
