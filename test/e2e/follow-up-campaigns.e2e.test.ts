import { interactionBody, postToSlackApp, slashCommandBody, viewSubmissionPayload } from "../fakes/signing";
import { launchedCampaign } from "../support/campaigns";
import { startHarness, SIGNING_SECRET, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

const CHANNEL = "C0ORGANIZE";
const REPLIES = "C0REPLIES";
const ORGANIZER = "U0ORGANIZER";
const SENT_AT = new Date("2026-03-02T15:00:00Z");

/**
 * Six volunteers "Spring GOTV" texted: 0 and 1 replied and were tagged pledged (1 also moved), 2
 * replied without a tag, 3 and 4 never replied, 5 replied and was tagged pledged; 4 and 5 then
 * opted out. One donor, texted by "Quiet drive", never replied.
 */
const VOLUNTEERS = Array.from({ length: 6 }, (_, i) => ({
  phone: `+1212555${String(3000 + i)}`,
  firstName: `Voter${i}`,
  lastName: "Doe",
  state: "NY",
  tags: ["volunteer"],
  customFields: { Ward: String(i + 1) },
}));
const DONOR = { phone: "+14155553100", firstName: "Gus", state: "CA", tags: ["donor"] };
const REPLIED: Record<number, string[]> = { 0: ["pledged"], 1: ["pledged", "moved"], 2: [], 5: ["pledged"] };
const OPTED_OUT = [VOLUNTEERS[4]!.phone, VOLUNTEERS[5]!.phone];

type Block = Record<string, unknown> & {
  block_id?: string;
  element?: Record<string, unknown>;
  elements?: { text: string }[];
};
type Option = { value: string; text: { text: string }; description?: { text: string } };
type Element = Record<string, unknown> & {
  options?: Option[];
  initial_option?: Option;
  initial_value?: string;
  initial_conversation?: string;
};
type View = Record<string, unknown> & { blocks: Block[]; private_metadata: string; callback_id: string };
type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const picked = (block: string, value: string): StateValues => ({
  [block]: {
    [`followup.${block}`]: {
      type: block === "state" ? "radio_buttons" : "static_select",
      selected_option: { text: { type: "plain_text", text: value }, value },
    },
  },
});

/** What Slack submits for a modal nobody touched: each input's initial value. */
function untouched(view: View): StateValues {
  const values: StateValues = {};
  for (const block of view.blocks) {
    const el = block.element;
    if (block.type !== "input" || !el || !block.block_id) continue;
    const state: Record<string, unknown> = { type: el.type };
    if (el.type === "plain_text_input" || el.type === "number_input") state.value = el.initial_value ?? null;
    else if (el.type === "static_select") state.selected_option = el.initial_option ?? null;
    else if (el.type === "conversations_select") state.selected_conversation = el.initial_conversation ?? null;
    else if (el.type === "checkboxes") state.selected_options = el.initial_options ?? [];
    values[block.block_id] = { [String(el.action_id)]: state };
  }
  return values;
}

const element = (view: View, id: string) => view.blocks.find((b) => b.block_id === id)?.element as Element;

describe.each(BACKENDS)("follow-up campaigns through Slack (%s)", (_name, create) => {
  let h: Harness;
  let springId: string;

  beforeAll(async () => {
    h = await startHarness(create);
    const db = h.app.db;
    await db.prisma.contact.createMany({ data: [...VOLUNTEERS, DONOR] });
    const spring = await launchedCampaign(db, {
      name: "Spring GOTV",
      tag: "volunteer",
      createdBy: ORGANIZER,
      form: {
        channelId: REPLIES,
        sendWindow: "daytime",
        capCount: "2",
        capDays: "14",
        helpText: "Sam for B. STOP ends.",
      },
    });
    springId = spring.id;
    const quiet = await launchedCampaign(db, { name: "Quiet drive", tag: "donor", createdBy: ORGANIZER });
    // What volunteers' clicks, voters' replies and thread tags leave behind.
    await db.prisma.campaignContact.updateMany({
      where: { campaignId: { in: [spring.id, quiet.id] } },
      data: { status: "sent", firstTextAt: SENT_AT, lastTextAt: SENT_AT },
    });
    for (const [i, tags] of Object.entries(REPLIED)) {
      const { id, phone } = await db.prisma.contact.findUniqueOrThrow({
        where: { phone: VOLUNTEERS[Number(i)]!.phone },
      });
      await db.prisma.conversation.create({ data: { campaignId: spring.id, contactId: id, tags } });
      await db.prisma.message.create({
        data: {
          direction: "inbound",
          contactId: id,
          fromPhone: phone,
          toPhone: "+15555550000",
          body: "Yes",
          status: "received",
          createdAt: new Date(SENT_AT.getTime() + 3_600_000),
        },
      });
    }
    await db.prisma.optOut.createMany({ data: OPTED_OUT.map((phone) => ({ phone, source: "keyword" as const })) });
    await db.prisma.campaign.create({ data: { name: "Fall draft", createdBy: ORGANIZER } });
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const command = (text: string, triggerId = "1.2.followup") =>
    slack(
      slashCommandBody({
        command: "/campaign",
        text,
        channel_id: CHANNEL,
        user_id: ORGANIZER,
        trigger_id: triggerId,
        response_url: h.slack.responseUrl("r"),
      }),
    );
  const submit = (callbackId: string, view: View, values: StateValues) =>
    slack(
      interactionBody(
        viewSubmissionPayload({
          callbackId,
          privateMetadata: view.private_metadata,
          blocks: view.blocks,
          values,
          userId: ORGANIZER,
        }),
      ),
    );

  /** `/campaign followup <name>`, then the form the app puts in place of the loading view. */
  async function openForm(name: string): Promise<View> {
    const res = await command(`followup ${name}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    return (await h.slack.waitFor("views.update")).args.view as View;
  }

  it("opens at once, then offers each group with how many can be texted, and the campaign's tags", async () => {
    const view = await openForm("spring gotv");
    const open = await h.slack.waitFor("views.open");
    expect(open.args).toMatchObject({ trigger_id: "1.2.followup", view: { callback_id: "campaign_followup" } });
    expect((open.args.view as View).submit).toBeUndefined();
    expect(view.callback_id).toBe("campaign_followup");
    expect(element(view, "state").options!.map((o) => `${o.value}: ${o.text.text} (${o.description?.text})`)).toEqual([
      "replied_tagged: Replied, and were tagged… (2 reachable)",
      "replied_untagged: Replied, with no tag (1 reachable)",
      "no_reply: Were texted, never replied (1 reachable)",
      "clicked_link: Clicked a link (0 reachable)",
    ]);
    expect(element(view, "tag").options!.map((o) => o.text.text)).toEqual([
      "pledged · 2 reachable",
      "moved · 1 reachable",
    ]);
    expect(JSON.parse(view.private_metadata)).toEqual({ channelId: CHANNEL, campaignId: springId, fields: ["Ward"] });
  });

  it("keeps the form open with the problem under the group or the tag, saving nothing", async () => {
    const view = await openForm("Spring GOTV");
    const segments = await h.app.db.prisma.segment.count();
    expect((await submit("campaign_followup", view, {})).json).toEqual({
      response_action: "errors",
      errors: {
        state:
          "Pick who to text: people who replied and were tagged, replied without a tag, never replied, or clicked a link.",
      },
    });
    expect((await submit("campaign_followup", view, picked("state", "replied_tagged"))).json).toEqual({
      response_action: "errors",
      errors: { tag: "Pick the tag: the follow-up goes to people whose conversation has it." },
    });
    expect(await h.app.db.prisma.segment.count()).toBe(segments);
  });

  it("turns into the campaign form filled in from the first campaign, and saves the draft texting the group", async () => {
    const view = await openForm("Spring GOTV");
    const res = await submit("campaign_followup", view, {
      ...picked("state", "replied_tagged"),
      ...picked("tag", "pledged"),
    });
    expect(res.json).toMatchObject({ response_action: "update", view: { callback_id: "campaign_form" } });
    const form = (res.json as { view: View }).view;
    const segment = await h.app.db.prisma.segment.findUniqueOrThrow({
      where: { name: "Spring GOTV - replied: pledged" },
    });
    expect(segment.filter).toEqual({ response: { campaign: springId, state: "replied_tagged", tag: "pledged" } });
    expect(JSON.stringify(form.blocks[0])).toContain("Saved the segment *Spring GOTV - replied: pledged*");
    // Closing the form keeps the segment, and the note says how to remove it.
    expect(JSON.stringify(form.blocks[0])).toContain("`/segment delete Spring GOTV - replied: pledged` removes it");
    expect(element(form, "name").initial_value).toBe("Spring GOTV follow-up");
    expect(element(form, "segment").initial_option).toMatchObject({ value: segment.id });
    expect(element(form, "goalType").initial_option).toMatchObject({ value: "turnout" });
    expect(element(form, "goalOutcomeTag").initial_value).toBe("pledged");
    expect(element(form, "callToAction").initial_value).toBe("Will you vote on Nov 3?");
    expect(element(form, "senderIdentity").initial_value).toBe("Sam with Neighbors for B");
    expect(element(form, "channel").initial_conversation).toBe(REPLIES);
    expect(element(form, "sendWindow").initial_option).toMatchObject({ value: "daytime" });
    expect(element(form, "capCount").initial_value).toBe("2");
    expect(element(form, "capDays").initial_value).toBe("14");
    expect(element(form, "helpText").initial_value).toBe("Sam for B. STOP ends.");
    expect(element(form, "scriptA").initial_value).toBeUndefined();
    expect(element(form, "followUp1").initial_value).toBeUndefined();
    expect(JSON.parse(form.private_metadata)).toEqual({ channelId: CHANNEL, mode: "new", fields: ["Ward"] });

    // The organizer writes the first text and saves, changing nothing else.
    const saved = await submit("campaign_form", form, {
      ...untouched(form),
      scriptA: {
        "campaign.scriptA": {
          type: "plain_text_input",
          value: "Thanks {firstName|friend}! Sam with Neighbors for B: will you vote on Nov 3? Reply STOP to opt out.",
        },
      },
    });
    expect(saved.status).toBe(200);
    expect(saved.text).toBe("");
    expect(
      await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "Spring GOTV follow-up" } }),
    ).toMatchObject({
      status: "draft",
      segmentId: segment.id,
      conversationChannelId: REPLIES,
      frequencyCapCount: 2,
      frequencyCapDays: 14,
      helpText: "Sam for B. STOP ends.",
      createdBy: ORGANIZER,
    });
    const summary = await h.slack.waitFor("chat.postEphemeral", (c) =>
      String(c.args.text).startsWith("Spring GOTV follow-up ("),
    );
    expect(summary.args).toMatchObject({ channel: CHANNEL, user: ORGANIZER });
    const text = JSON.stringify(summary.args.blocks);
    expect(text).toContain("Saved draft campaign *Spring GOTV follow-up*");
    expect(text).toContain("*2 reachable contacts* in segment “Spring GOTV - replied: pledged”");
    expect(text).toContain("Thanks Voter0!");
  });

  it("names the next follow-up of the same group with a number", async () => {
    const view = await openForm("Spring GOTV");
    const res = await submit("campaign_followup", view, {
      ...picked("state", "replied_tagged"),
      ...picked("tag", "pledged"),
    });
    const form = (res.json as { view: View }).view;
    expect(element(form, "name").initial_value).toBe("Spring GOTV follow-up (2)");
    expect(
      await h.app.db.prisma.segment.findUnique({ where: { name: "Spring GOTV - replied: pledged (2)" } }),
    ).not.toBeNull();
  });

  it("has no tag menu for a campaign without tags, and says so under the groups", async () => {
    const view = await openForm("Quiet drive");
    expect(element(view, "tag")).toBeUndefined();
    expect(view.blocks.find((b) => b.block_id === "tag_none")?.elements?.[0]?.text).toBe(
      "No conversation of this campaign has a tag yet.",
    );
    expect((await submit("campaign_followup", view, picked("state", "replied_tagged"))).json).toEqual({
      response_action: "errors",
      errors: { state: "No conversation of this campaign has a tag yet: pick another group." },
    });
    const res = await submit("campaign_followup", view, picked("state", "no_reply"));
    const form = (res.json as { view: View }).view;
    expect(element(form, "name").initial_value).toBe("Quiet drive follow-up");
    expect(element(form, "segment").initial_option?.text.text).toBe("Quiet drive - no reply");
  });

  it("refuses a draft and suggests names for a typo, opening nothing", async () => {
    expect((await command("followup fall draft")).json).toEqual({
      response_type: "ephemeral",
      text: ":warning: “Fall draft” is a draft that was never launched: nobody was texted yet, so there is no one to follow up with. Launch it first with /campaign launch Fall draft.",
      blocks: [expect.objectContaining({ type: "section" })],
    });
    expect((await command("followup sprng gotv")).json).toMatchObject({
      text: ":warning: There is no campaign named “sprng gotv”. Did you mean “Spring GOTV”? Type /campaign list to see them all.",
    });
    expect((await command("followup")).json).toMatchObject({
      text: expect.stringContaining("Give the campaign's name, e.g. `/campaign followup GOTV Nov 3`"),
    });
    expect(h.slack.callsTo("views.open")).toHaveLength(0);
    expect(JSON.stringify((await command("help")).json)).toContain("`/campaign followup <name>`");
  });
});
