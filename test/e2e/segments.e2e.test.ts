import { NO_CONDITION_PROBLEM } from "../../src/domain/segment-form";
import {
  blockActionsPayload,
  FAKE_VERIFICATION_TOKEN,
  interactionBody,
  postToSlackApp,
  slashCommandBody,
  viewSubmissionPayload,
} from "../fakes/signing";
import { FAKE_APP_ID, FAKE_TEAM_DOMAIN, FAKE_TEAM_ID } from "../fakes/slack-api";
import { startHarness, SIGNING_SECRET, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

const CHANNEL = "C0ORGANIZE";
const ORGANIZER = "U0USER";

/** Four volunteers (one opted out), two donors, one contact without tags; NY, NJ and CA; two with a Ward column. */
const CONTACTS = [
  {
    phone: "+12125550101",
    firstName: "Ana",
    lastName: "Nguyen",
    state: "NY",
    timeZone: "America/New_York",
    tags: ["volunteer"],
    customFields: { Ward: "4" },
  },
  {
    phone: "+12125550102",
    firstName: "Ben",
    lastName: "Smith",
    state: "NY",
    timeZone: "America/New_York",
    tags: ["volunteer", "donor"],
    customFields: { Ward: "5" },
  },
  {
    phone: "+12125550103",
    firstName: "Cy",
    lastName: "Lee",
    state: "NY",
    timeZone: "America/New_York",
    tags: ["volunteer"],
  },
  {
    phone: "+12015550104",
    firstName: "Dee",
    lastName: "Diaz",
    state: "NJ",
    timeZone: "America/New_York",
    tags: ["volunteer"],
  },
  {
    phone: "+12125550105",
    firstName: "Eve",
    lastName: "Ong",
    state: "NY",
    timeZone: "America/New_York",
    tags: ["donor"],
  },
  { phone: "+14155550106", firstName: "Fay", lastName: "Wu", state: "CA", timeZone: "America/Los_Angeles", tags: [] },
];
const OPTED_OUT = "+12125550103";

type View = Record<string, unknown> & { blocks: Array<Record<string, unknown>> };
type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const field = (block: string) => `segment_field.${block}`;
const picked = (block: string, values: string[]): StateValues => ({
  [block]: {
    [field(block)]: {
      type: "multi_static_select",
      selected_options: values.map((v) => ({ text: { type: "plain_text", text: v }, value: v })),
    },
  },
});
const typed = (block: string, value: string): StateValues => ({
  [block]: { [field(block)]: { type: "plain_text_input", value } },
});
const blockText = (view: View, blockId: string) => {
  const block = view.blocks.find((b) => b.block_id === blockId) as
    { text?: { text: string }; elements?: { text: string }[] } | undefined;
  return block?.text?.text ?? block?.elements?.map((e) => e.text).join(" ");
};

describe.each(BACKENDS)("segments through Slack (%s)", (_name, create) => {
  let h: Harness;
  let campaignId: string;

  beforeAll(async () => {
    h = await startHarness(create);
    await h.app.db.prisma.contact.createMany({ data: CONTACTS });
    await h.app.db.prisma.optOut.create({ data: { phone: OPTED_OUT, source: "keyword" } });
    campaignId = (await h.app.db.prisma.campaign.create({ data: { name: "Spring GOTV", createdBy: "U0LEAD" } })).id;
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const segmentCommand = (text: string, responseId?: string) =>
    slack(
      slashCommandBody({
        command: "/segment",
        text,
        channel_id: CHANNEL,
        user_id: ORGANIZER,
        response_url: h.slack.responseUrl(responseId),
      }),
    );
  const responseTo = (responseId: string) => h.slack.waitFor("response_url", (c) => c.args.responseId === responseId);

  /** `/segment new`, then the form the app puts in place of the loading view. */
  async function openForm(): Promise<{ view: View; viewId: string }> {
    const res = await segmentCommand("new");
    expect(res.status).toBe(200);
    const update = await h.slack.waitFor("views.update", (c) =>
      (c.args.view as View).blocks.some((b) => b.block_id === "name"),
    );
    return { view: update.args.view as View, viewId: String(update.args.view_id) };
  }

  /** A change in the form, as Slack sends it: the element that changed and the modal's whole state. */
  const changeInForm = (view: View, viewId: string, hash: string, changed: StateValues) => {
    const [blockId, actions] = Object.entries(changed)[0]!;
    const [actionId, state] = Object.entries(actions)[0]!;
    return slack(
      interactionBody(
        blockActionsPayload({
          actionId,
          blockId,
          type: String(state.type),
          view: { ...view, id: viewId, hash, state: { values: changed } },
          action: state,
        }),
      ),
    );
  };

  const submitForm = (values: StateValues) =>
    slack(
      interactionBody(
        viewSubmissionPayload({
          callbackId: "segment_new",
          privateMetadata: JSON.stringify({ channelId: CHANNEL }),
          values,
          userId: ORGANIZER,
        }),
      ),
    );

  const liveUpdate = (viewId: string) =>
    h.slack.waitFor("views.update", (c) => c.args.view_id === viewId && c.status === 200);

  it("/segment new opens a form at once, then fills its menus with the tags, zones and campaigns there are", async () => {
    const res = await slack(
      slashCommandBody({ command: "/segment", text: "new", channel_id: CHANNEL, trigger_id: "123.456.seg" }),
    );
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    const open = await h.slack.waitFor("views.open");
    expect(open.args).toMatchObject({ trigger_id: "123.456.seg", view: { type: "modal", callback_id: "segment_new" } });
    expect(blockText(open.args.view as View, "audience_count")).toBeUndefined();
    const update = await h.slack.waitFor("views.update");
    expect(update.status).toBe(200);
    const view = update.args.view as View;
    const element = (blockId: string) =>
      (view.blocks.find((b) => b.block_id === blockId) as { element: Record<string, unknown> }).element;
    const values = (options: unknown) => (options as { value: string }[]).map((o) => o.value);
    expect(values(element("tagsAny").options)).toEqual(["volunteer", "donor"]);
    expect(values(element("timeZones").options)).toEqual(["America/New_York", "America/Los_Angeles"]);
    expect(values(element("customField").options)).toEqual(["none", "Ward"]);
    const groups = element("campaign").option_groups as { options: unknown }[];
    expect(groups.map((g) => values(g.options))).toEqual([["none"], [`in:${campaignId}`], [`out:${campaignId}`]]);
    expect(blockText(view, "audience_count")).toBe(
      "Fill in at least one condition to see how many contacts it reaches.",
    );
    expect(JSON.parse(String(view.private_metadata))).toEqual({ channelId: CHANNEL });
  });

  it("tells the organizer when Slack will not open the form", async () => {
    h.slack.failNext("views.open", { error: "expired_trigger_id" });
    await segmentCommand("new", "expired");
    expect((await responseTo("expired")).args).toMatchObject({
      response_type: "ephemeral",
      text: ":x: Slack would not open the segment form (expired_trigger_id). Type `/segment new` again; forms must open within 3 seconds of the command.",
    });
    expect(h.slack.callsTo("views.update")).toHaveLength(0);
  });

  it("recounts when a tag is picked and shows exactly how many are reachable", async () => {
    const { view } = await openForm();
    const res = await changeInForm(view, "V0LIVECOUNT1", "1.fresh", picked("tagsAny", ["volunteer"]));
    expect(res.status).toBe(200);
    const update = await liveUpdate("V0LIVECOUNT1");
    expect(update.args.hash).toBe("1.fresh");
    const shown = update.args.view as View;
    expect(blockText(shown, "audience_count")).toBe("3 reachable contacts (opted-out numbers excluded)");
    expect(blockText(shown, "audience_detail")).toBe("Tagged volunteer");
    expect(shown.blocks.map((b) => b.block_id)).toEqual(view.blocks.map((b) => b.block_id));

    await changeInForm(view, "V0LIVECOUNT2", "2.fresh", {
      ...picked("tagsAny", ["volunteer"]),
      ...picked("states", ["NY"]),
    });
    expect(blockText((await liveUpdate("V0LIVECOUNT2")).args.view as View, "audience_count")).toBe(
      "2 reachable contacts (opted-out numbers excluded)",
    );

    const ward = {
      customField: { [field("customField")]: { type: "static_select", selected_option: { value: "Ward" } } },
      customFieldOp: { [field("customFieldOp")]: { type: "static_select", selected_option: { value: "in" } } },
    };
    await changeInForm(view, "V0LIVECOUNT3", "3.fresh", {
      ...typed("customFieldValue", "4, 6"),
      ...ward,
      match: { [field("match")]: { type: "radio_buttons", selected_option: { value: "any" } } },
      ...picked("states", ["CA"]),
    });
    const anyOf = (await liveUpdate("V0LIVECOUNT3")).args.view as View;
    expect(blockText(anyOf, "audience_count")).toBe("2 reachable contacts (opted-out numbers excluded)"); // Ana (Ward 4) or Fay (CA)
    expect(blockText(anyOf, "audience_detail")).toBe("In CA or “Ward” is “4” or “6”");
  });

  it("reuses a view's count while only the name changes, and counts again when the filter does", async () => {
    const { view } = await openForm();
    const volunteers = picked("tagsAny", ["volunteer"]);
    // An empty hash: the fake then accepts every update of this view, as Slack does when no hash is sent.
    await changeInForm(view, "V0CACHED", "", volunteers);
    expect(blockText((await liveUpdate("V0CACHED")).args.view as View, "audience_count")).toBe(
      "3 reachable contacts (opted-out numbers excluded)",
    );
    const newcomer = await h.app.db.prisma.contact.create({
      data: { phone: "+12125550199", state: "NY", tags: ["volunteer"] },
    });
    try {
      h.slack.reset();
      await changeInForm(view, "V0CACHED", "", { ...volunteers, ...typed("name", "Volunteers everywhere") });
      // Still 3: the newcomer is not counted until the filter changes (or a minute passes).
      expect(blockText((await liveUpdate("V0CACHED")).args.view as View, "audience_count")).toBe(
        "3 reachable contacts (opted-out numbers excluded)",
      );
      h.slack.reset();
      await changeInForm(view, "V0CACHED", "", { ...volunteers, ...picked("states", ["NY", "NJ"]) });
      expect(blockText((await liveUpdate("V0CACHED")).args.view as View, "audience_count")).toBe(
        "4 reachable contacts (opted-out numbers excluded)",
      );
    } finally {
      await h.app.db.prisma.contact.delete({ where: { id: newcomer.id } });
    }
  });

  it("shows what to fix instead of a count, warns about a taken name, and drops an update that lost a race", async () => {
    await h.app.db.prisma.segment.create({
      data: { name: "Donors", filter: { tags: { any: ["donor"] } }, createdBy: "U0LEAD" },
    });
    const { view } = await openForm();
    await changeInForm(view, "V0PROBLEM", "1.fresh", {
      ...typed("zipPrefixes", "100, 1a"),
      ...typed("name", "DONORS"),
    });
    const shown = (await liveUpdate("V0PROBLEM")).args.view as View;
    expect(blockText(shown, "audience_count")).toBe(":warning: Fix this to see the count:");
    expect(blockText(shown, "audience_detail")).toBe(
      '• ZIP code starts with: "1a" is not a ZIP prefix (1 to 5 digits, like 100 or 94110).\n:warning: A segment named “DONORS” already exists: pick another name.',
    );

    // The fake now holds V0PROBLEM with a new hash; an action carrying the old one loses.
    await changeInForm(view, "V0PROBLEM", "1.fresh", picked("tagsAny", ["donor"]));
    await h.slack.waitFor("views.update", (c) => c.args.view_id === "V0PROBLEM" && c.error === "hash_conflict");
    expect(h.slack.callsTo("chat.postEphemeral")).toHaveLength(0);
    expect(h.slack.callsTo("chat.postMessage")).toHaveLength(0);
    await h.app.db.prisma.segment.deleteMany({ where: { name: "Donors" } });
  });

  it("keeps the form open with each problem under its own field, saving nothing", async () => {
    await h.app.db.prisma.segment.create({
      data: { name: "Volunteers", filter: { tags: { any: ["volunteer"] } }, createdBy: "U0LEAD" },
    });
    const before = await h.app.db.prisma.segment.count();

    expect((await submitForm({ ...typed("name", ""), ...picked("tagsAny", ["volunteer"]) })).json).toEqual({
      response_action: "errors",
      errors: { name: "Give the segment a name, like “Volunteers NY”." },
    });
    expect((await submitForm({ ...typed("name", "volunteers"), ...picked("tagsAny", ["volunteer"]) })).json).toEqual({
      response_action: "errors",
      errors: {
        name: "A segment named “volunteers” already exists. Pick another name, or delete the old one first with /segment delete volunteers.",
      },
    });
    expect((await submitForm(typed("name", "Everyone"))).json).toEqual({
      response_action: "errors",
      errors: { match: NO_CONDITION_PROBLEM },
    });
    const badJson = await submitForm({ ...typed("name", "Nested"), ...typed("advanced", '{"any": [') });
    expect(badJson.json).toMatchObject({
      response_action: "errors",
      errors: { advanced: expect.stringMatching(/^This is not valid JSON/) },
    });
    const twoProblems = await submitForm({ ...typed("name", " "), ...typed("zipPrefixes", "abc") });
    expect(twoProblems.json).toEqual({
      response_action: "errors",
      errors: {
        name: "Give the segment a name, like “Volunteers NY”.",
        zipPrefixes: '"abc" is not a ZIP prefix (1 to 5 digits, like 100 or 94110).',
      },
    });

    expect(await h.app.db.prisma.segment.count()).toBe(before);
    expect(h.slack.callsTo("chat.postEphemeral")).toHaveLength(0);
    await h.app.db.prisma.segment.deleteMany({ where: { name: "Volunteers" } });
  });

  it("saves a valid segment, closes the form, and tells the organizer how many it reaches", async () => {
    const res = await submitForm({
      ...typed("name", "  Volunteers   NY "),
      ...picked("tagsAny", ["volunteer"]),
      ...picked("states", ["NY"]),
      match: { [field("match")]: { type: "radio_buttons", selected_option: { value: "all" } } },
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    const row = await h.app.db.prisma.segment.findUniqueOrThrow({ where: { name: "Volunteers NY" } });
    expect(row).toMatchObject({
      filter: { all: [{ tags: { any: ["volunteer"] } }, { state: ["NY"] }] },
      createdBy: ORGANIZER,
    });
    const told = await h.slack.waitFor("chat.postEphemeral");
    expect(told.args).toMatchObject({ channel: CHANNEL, user: ORGANIZER });
    expect(String(told.args.text)).toBe(
      ":white_check_mark: Saved segment *Volunteers NY*: 2 reachable contacts (opted-out numbers excluded). Tagged volunteer, in NY.",
    );
  });

  it("sends the confirmation as a DM when it cannot post in the channel", async () => {
    h.slack.failNext("chat.postEphemeral", { error: "channel_not_found" });
    const res = await submitForm({ ...typed("name", "Outside NY"), ...typed("advanced", '{"state": ["NJ", "CA"]}') });
    expect(res.text).toBe("");
    const dm = await h.slack.waitFor("chat.postMessage");
    expect(dm.args.channel).toBe(ORGANIZER);
    expect(String(dm.args.text)).toContain("2 reachable contacts (opted-out numbers excluded)");
    expect(await h.app.db.prisma.segment.findUnique({ where: { name: "Outside NY" } })).toMatchObject({
      filter: { state: ["NJ", "CA"] },
    });
  });

  it("/segment list shows every segment with its conditions", async () => {
    const res = await segmentCommand("list");
    expect(res.json).toMatchObject({ response_type: "ephemeral" });
    const text = JSON.stringify(res.json);
    expect(text).toContain("• *Outside NY*: In NJ or CA");
    expect(text).toContain("• *Volunteers NY*: Tagged volunteer, in NY");
    expect(text).toContain(`by <@${ORGANIZER}>`);
  });

  it("/segment show counts, breaks down and samples reachable contacts with masked phones", async () => {
    const res = await segmentCommand("show volunteers ny", "show-1");
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    const answer = await responseTo("show-1");
    expect(answer.args.response_type).toBe("ephemeral");
    const text = JSON.stringify(answer.args.blocks);
    expect(text).toContain("*2 reachable contacts (opted-out numbers excluded)*");
    expect(text).toContain("*By state:* NY 2");
    expect(text).toContain("*By time zone:* America/New_York 2");
    expect(text).toContain("Ana Nguyen, •••-•••-0101, NY, America/New_York");
    expect(text).toContain("Ben Smith, •••-•••-0102, NY, America/New_York");
    expect(text).not.toContain("0103"); // opted out
    for (const c of CONTACTS) expect(text).not.toContain(c.phone);
  });

  it("answers an unknown name with the names it may have meant", async () => {
    await segmentCommand("show Volunters NY", "show-2");
    expect(String((await responseTo("show-2")).args.text)).toBe(
      ":warning: There is no segment named “Volunters NY”. Did you mean “Volunteers NY”? Type /segment list to see them all.",
    );
    const del = await segmentCommand("delete outside");
    expect(del.json).toMatchObject({
      text: ":warning: There is no segment named “outside”. Did you mean “Outside NY”? Type /segment list to see them all.",
    });
    expect((await segmentCommand("show")).json).toMatchObject({
      text: expect.stringContaining("Give the segment's name, e.g. `/segment show Volunteers NY`"),
    });
  });

  it("/segment delete asks first; the button deletes once, 'Keep it' deletes nothing", async () => {
    const asked = await segmentCommand("delete OUTSIDE ny");
    const segment = await h.app.db.prisma.segment.findUniqueOrThrow({ where: { name: "Outside NY" } });
    expect(JSON.stringify(asked.json)).toContain("Delete segment *Outside NY* (In NJ or CA)?");
    expect(JSON.stringify(asked.json)).toContain(`"value":"${segment.id}"`);

    const click = (actionId: string, responseId: string) =>
      slack(
        interactionBody(
          blockActionsPayload({
            actionId,
            value: segment.id,
            responseUrl: h.slack.responseUrl(responseId),
            message: { type: "message", text: "", ts: "1.2", blocks: [] },
          }),
        ),
      );
    await click("segment_delete_cancel", "keep");
    expect((await responseTo("keep")).args).toMatchObject({ replace_original: true, text: "Nothing was deleted." });
    expect(await h.app.db.prisma.segment.count({ where: { id: segment.id } })).toBe(1);

    await click("segment_delete_confirm", "delete-1");
    expect((await responseTo("delete-1")).args).toMatchObject({
      replace_original: true,
      text: ":wastebasket: Deleted segment *Outside NY*.",
    });
    expect(await h.app.db.prisma.segment.count({ where: { id: segment.id } })).toBe(0);

    await click("segment_delete_confirm", "delete-2");
    expect(String((await responseTo("delete-2")).args.text)).toContain("That segment was already deleted.");
  });

  it("refuses to delete a segment a campaign texts, naming the campaign", async () => {
    const segment = await h.app.db.prisma.segment.findUniqueOrThrow({ where: { name: "Volunteers NY" } });
    await h.app.db.prisma.campaign.update({ where: { id: campaignId }, data: { segmentId: segment.id } });
    const res = await segmentCommand("delete Volunteers NY");
    expect(res.json).toMatchObject({
      text: ":warning: “Volunteers NY” is the audience of campaign “Spring GOTV”. Give that campaign another audience first, then delete the segment.",
    });
    expect(await h.app.db.prisma.segment.count({ where: { id: segment.id } })).toBe(1);
  });

  it("answers the tag menus' searches with matching tags, most used first", async () => {
    const payload = {
      type: "block_suggestion",
      user: { id: ORGANIZER, username: "volunteer", name: "volunteer", team_id: FAKE_TEAM_ID },
      container: { type: "view", view_id: "V0SEARCH" },
      api_app_id: FAKE_APP_ID,
      token: FAKE_VERIFICATION_TOKEN,
      action_id: field("tagsAny"),
      block_id: "tagsAny",
      value: "O",
      team: { id: FAKE_TEAM_ID, domain: FAKE_TEAM_DOMAIN },
      enterprise: null,
      is_enterprise_install: false,
      view: {
        id: "V0SEARCH",
        type: "modal",
        callback_id: "segment_new",
        private_metadata: "",
        blocks: [],
        state: { values: {} },
        hash: "1.x",
      },
    };
    const res = await slack(interactionBody(payload));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      options: [
        { text: { type: "plain_text", text: "volunteer" }, value: "volunteer" },
        { text: { type: "plain_text", text: "donor" }, value: "donor" },
      ],
    });
  });

  it("answers /segment help and unknown subcommands through the shared router", async () => {
    expect(JSON.stringify((await segmentCommand("help")).json)).toContain("`/segment show <name>`");
    expect((await segmentCommand("shwo x")).json).toMatchObject({
      text: expect.stringContaining("Did you mean `/segment show`?"),
    });
  });
});
