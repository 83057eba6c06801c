import {
  blockActionsPayload,
  interactionBody,
  postToSlackApp,
  slashCommandBody,
  viewSubmissionPayload,
} from "../fakes/signing";
import { EMPTY_CAMPAIGN_FORM, validateCampaignForm } from "../../src/domain/campaign-form";
import { mergeFieldsFor } from "../../src/domain/script";
import { createCampaign } from "../../src/services/campaigns";
import { startHarness, SIGNING_SECRET, type Harness } from "../support/app-harness";
import { BACKENDS } from "../support/databases";

const CHANNEL = "C0ORGANIZE";
const REPLIES = "C0REPLIES";
const ORGANIZER = "U0ORGANIZER";

// Six volunteers (one opted out, one without a first name) and a donor; Ward for some.
const CONTACTS = [
  {
    phone: "+12125550101",
    firstName: "Ana",
    lastName: "Nguyen",
    state: "NY",
    tags: ["volunteer"],
    customFields: { Ward: "4" },
  },
  {
    phone: "+12125550102",
    firstName: "Ben",
    lastName: "Smith",
    state: "NY",
    tags: ["volunteer"],
    customFields: { Ward: "5" },
  },
  { phone: "+12125550103", firstName: "Cy", lastName: "Lee", state: "NY", tags: ["volunteer"] },
  { phone: "+12015550104", firstName: "Dee", lastName: "Diaz", state: "NJ", tags: ["volunteer"] },
  { phone: "+12125550105", firstName: null, lastName: "Ong", state: "NY", tags: ["volunteer"] },
  { phone: "+12125550106", firstName: "Fay", lastName: "Wu", state: "NY", tags: ["volunteer"] },
  { phone: "+14155550107", firstName: "Gus", lastName: "Roe", state: "CA", tags: ["donor"] },
];
const OPTED_OUT = "+12125550106";

type View = Record<string, unknown> & { blocks: Array<Record<string, unknown>>; private_metadata: string };
type StateValues = Record<string, Record<string, Record<string, unknown>>>;

const action = (block: string) => `campaign.${block}`;
const typed = (block: string, value: string): StateValues => ({
  [block]: { [action(block)]: { type: "plain_text_input", value } },
});
const numberTyped = (block: string, value: string): StateValues => ({
  [block]: { [action(block)]: { type: "number_input", value } },
});
const chosen = (block: string, value: string | null): StateValues => ({
  [block]: {
    [action(block)]: {
      type: "static_select",
      selected_option: value === null ? null : { text: { type: "plain_text", text: value }, value },
    },
  },
});
const channel = (id: string | null): StateValues => ({
  channel: { [action("channel")]: { type: "conversations_select", selected_conversation: id } },
});
const ticked = (yes: boolean): StateValues => ({
  addMissing: { [action("addMissing")]: { type: "checkboxes", selected_options: yes ? [{ value: "yes" }] : [] } },
});

const SCRIPT_A =
  "Hi {firstName|friend}, this is Sam with Neighbors for B. Can we count on your vote on Nov 3? Reply STOP to opt out.";
const SCRIPT_B =
  "Hello {firstName|there}! Sam with Neighbors for B here. Can we count on your vote on Nov 3? Reply STOP to opt out.";

describe.each(BACKENDS)("campaigns through Slack (%s)", (_name, create) => {
  let h: Harness;
  let volunteersId: string;

  beforeAll(async () => {
    h = await startHarness(create);
    await h.app.db.prisma.contact.createMany({ data: CONTACTS });
    await h.app.db.prisma.optOut.create({ data: { phone: OPTED_OUT, source: "keyword" } });
    volunteersId = (
      await h.app.db.prisma.segment.create({
        data: { name: "Volunteers", filter: { tags: { any: ["volunteer"] } }, createdBy: ORGANIZER },
      })
    ).id;
  });
  afterAll(() => h?.close());
  beforeEach(() => h.slack.reset());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const command = (text: string, responseId = "r") =>
    slack(
      slashCommandBody({
        command: "/campaign",
        text,
        channel_id: CHANNEL,
        user_id: ORGANIZER,
        response_url: h.slack.responseUrl(responseId),
      }),
    );
  const responseTo = (responseId: string) => h.slack.waitFor("response_url", (c) => c.args.responseId === responseId);
  const metadata = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ channelId: CHANNEL, mode: "new", fields: ["Ward"], ...extra });

  function validForm(name: string): StateValues {
    return {
      ...typed("name", name),
      ...chosen("goalType", "turnout"),
      ...numberTyped("goalTarget", "500"),
      ...typed("goalOutcomeTag", "pledged to vote"),
      ...typed("callToAction", "Can we count on your vote on Nov 3?"),
      ...typed("senderIdentity", "Sam with Neighbors for B"),
      ...typed("scriptA", SCRIPT_A),
      ...typed("scriptB", SCRIPT_B),
      ...typed("scriptC", ""),
      ...typed("scriptD", ""),
      ...ticked(false),
      ...typed("followUp1", "Hi {firstName|friend}, just checking: will you vote Nov 3?"),
      ...typed("followUp2", ""),
      ...channel(REPLIES),
      ...chosen("segment", volunteersId),
      ...chosen("sendWindow", "standard"),
      ...numberTyped("capCount", "3"),
      ...numberTyped("capDays", "7"),
      ...typed("helpText", ""),
      ...typed("mediaUrls", ""),
    };
  }

  const submit = (values: StateValues, privateMetadata = metadata()) =>
    slack(
      interactionBody(
        viewSubmissionPayload({ callbackId: "campaign_form", privateMetadata, values, userId: ORGANIZER }),
      ),
    );

  const summaryFor = (name: string) =>
    h.slack.waitFor("chat.postEphemeral", (c) => String(c.args.text).startsWith(`${name} (`));
  const allText = (args: Record<string, unknown>) => JSON.stringify(args.blocks);

  it("/campaign new opens a form at once, then offers the segments, the channel typed in, and the contacts' fields", async () => {
    const res = await slack(
      slashCommandBody({
        command: "/campaign",
        text: "new",
        channel_id: CHANNEL,
        user_id: ORGANIZER,
        trigger_id: "1.2.campaign",
      }),
    );
    expect(res.status).toBe(200);
    const open = await h.slack.waitFor("views.open");
    expect(open.args).toMatchObject({ trigger_id: "1.2.campaign", view: { callback_id: "campaign_form" } });
    const view = (await h.slack.waitFor("views.update")).args.view as View;
    const element = (id: string) =>
      (view.blocks.find((b) => b.block_id === id) as { element: Record<string, unknown> }).element;
    expect((element("segment").options as { value: string }[]).map((o) => o.value)).toEqual([volunteersId]);
    expect(element("channel")).toMatchObject({ type: "conversations_select", initial_conversation: CHANNEL });
    expect(element("sendWindow").initial_option).toMatchObject({ value: "standard" });
    expect(element("capCount")).toMatchObject({ type: "number_input", initial_value: "3" });
    expect(element("capDays")).toMatchObject({ initial_value: "7" });
    expect(JSON.stringify(view.blocks)).toContain("{Ward}");
    expect(JSON.parse(view.private_metadata)).toEqual({ channelId: CHANNEL, mode: "new", fields: ["Ward"] });
  });

  it("saves a valid form as a draft and posts the summary: audience, previews for real contacts, cost per variant", async () => {
    const res = await submit(validForm("GOTV Nov 3"));
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({
      where: { name: "GOTV Nov 3" },
      include: { scripts: { orderBy: [{ kind: "asc" }, { position: "asc" }] } },
    });
    expect(campaign).toMatchObject({
      status: "draft",
      goalType: "turnout",
      goalTarget: 500,
      goalOutcomeTag: "pledged to vote",
      conversationChannelId: REPLIES,
      segmentId: volunteersId,
      createdBy: ORGANIZER,
      frequencyCapCount: 3,
      frequencyCapDays: 7,
    });
    expect(campaign.scripts.map((s) => `${s.kind}:${s.label}`)).toEqual([
      "initial:A",
      "initial:B",
      "follow_up:Follow-up 1",
    ]);

    const summary = await summaryFor("GOTV Nov 3");
    expect(summary.args).toMatchObject({ channel: CHANNEL, user: ORGANIZER });
    const text = allText(summary.args);
    expect(text).toContain("Saved draft campaign *GOTV Nov 3*");
    expect(text).toContain("*5 reachable contacts* in segment “Volunteers”");
    expect(text).toContain("Hi Ana, this is Sam with Neighbors for B.");
    expect(text).toContain("Hello Ben! Sam with Neighbors for B here.");
    expect(text).toMatch(/\*Script A\* · GSM-7 · 1\.0 on average segments · ~3 contacts · ~3 segments · ~\$0\.03/);
    expect(text).toMatch(/\*Script B\* · GSM-7 · 1\.0 on average segments · ~2 contacts · ~2 segments · ~\$0\.02/);
    expect(text).not.toContain("0106"); // the opted-out volunteer is never previewed
    expect(text).toContain(`"action_id":"campaign_launch"`);
  });

  it("keeps the form open with a message under every field left empty, saving nothing", async () => {
    const before = await h.app.db.prisma.campaign.count();
    const res = await submit({ ...typed("name", ""), ...chosen("sendWindow", null), ...channel(null) });
    expect(res.json).toMatchObject({ response_action: "errors" });
    const errors = (res.json as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual(
      [
        "name",
        "goalType",
        "goalTarget",
        "goalOutcomeTag",
        "callToAction",
        "senderIdentity",
        "scriptA",
        "channel",
        "segment",
        "sendWindow",
        "capCount",
        "capDays",
      ].sort(),
    );
    expect(errors.channel).toBe("Pick the channel where voters' replies will appear as threads.");
    expect(await h.app.db.prisma.campaign.count()).toBe(before);
  });

  it.each([
    [
      "a taken name, in other letter case",
      { ...typed("name", "gotv NOV 3") },
      "name",
      /^A campaign named “gotv NOV 3” already exists/,
    ],
    ["a name Slack would mangle", typed("name", "`launch`"), "name", /^Start the name with a letter or number/],
    [
      "a goal target that is not a number",
      numberTyped("goalTarget", "1.5"),
      "goalTarget",
      /^Enter the goal as a whole number/,
    ],
    [
      "a misspelled merge field",
      typed("scriptA", SCRIPT_A.replace("{firstName|friend}", "{frstName}")),
      "scriptA",
      /^\{frstName\} is not a field\. Did you mean \{firstName\}\?$/,
    ],
    [
      "a custom field that does not exist",
      typed("followUp1", "Hi, your ward is {Wrd}."),
      "followUp1",
      /^\{Wrd\} is not a field\. Did you mean \{Ward\}\?$/,
    ],
    [
      "a first message without opt-out language",
      typed("scriptA", SCRIPT_A.replace(" Reply STOP to opt out.", "")),
      "scriptA",
      /^Say how to opt out.*Or tick “Add what's missing for me”/,
    ],
    [
      "a first message without a sender",
      typed("scriptA", "Hi {firstName|friend}! Can we count on your vote on Nov 3? Reply STOP to opt out."),
      "scriptA",
      /^Say who is texting and for whom/,
    ],
    [
      "a first message without a call to action",
      typed("scriptA", "Hi {firstName|friend}, this is Sam with Neighbors for B. Reply STOP to opt out."),
      "scriptA",
      /^No call to action/,
    ],
    ["a variant that repeats another", typed("scriptB", SCRIPT_A), "scriptB", /^Script B is the same as script A/],
    [
      "a text over 1,600 characters",
      typed("scriptB", `${SCRIPT_B} ${"More. ".repeat(280)}`),
      "scriptB",
      /texts over 1,600 are rejected/,
    ],
    [
      "Mustache braces",
      typed("scriptA", SCRIPT_A.replace("{firstName|friend}", "{{firstName}}")),
      "scriptA",
      /would be sent with its braces/,
    ],
    ["no frequency cap", numberTyped("capCount", "0"), "capCount", /^Enter the number of texts from 1 to 10\.$/],
    [
      "a cap window over 90 days",
      numberTyped("capDays", "120"),
      "capDays",
      /^Enter the number of days from 1 to 90\.$/,
    ],
    [
      "an unknown sending-hours choice",
      chosen("sendWindow", "always"),
      "sendWindow",
      /^Pick the hours texts may go out/,
    ],
    ["a media link without https", typed("mediaUrls", "http://example.org/a.jpg"), "mediaUrls", /is not an https link/],
    [
      "a HELP answer over 300 characters",
      typed("helpText", "x".repeat(301)),
      "helpText",
      /^Keep this to 300 characters/,
    ],
  ])("shows the problem with %s under its field and saves nothing", async (_what, change, field, message) => {
    const before = await h.app.db.prisma.campaign.count();
    const res = await submit({ ...validForm("Problem campaign"), ...change });
    expect(res.json).toEqual({ response_action: "errors", errors: { [field]: expect.stringMatching(message) } });
    expect(await h.app.db.prisma.campaign.count()).toBe(before);
  });

  it("tells the organizer, under the audience field, when the segment was deleted while the form was open", async () => {
    const res = await submit({ ...validForm("Orphan"), ...chosen("segment", "0190f0f0-0000-7000-8000-00000000dead") });
    expect(res.json).toEqual({
      response_action: "errors",
      errors: {
        segment: "That segment was deleted meanwhile. Pick another one, or create it again with /segment new.",
      },
    });
  });

  it("inserts missing compliance text when the organizer ticks the box, and says what it added", async () => {
    await submit({
      ...validForm("Fixed for me"),
      ...typed("scriptA", "Hi {firstName|friend}, the election is Nov 3."),
      ...ticked(true),
    });
    const script = await h.app.db.prisma.scriptVariant.findFirstOrThrow({
      where: { campaign: { name: "Fixed for me" }, label: "A" },
    });
    expect(script.body).toBe(
      "Hi {firstName|friend}, this is Sam with Neighbors for B. The election is Nov 3. Can we count on your vote on Nov 3? Reply STOP to opt out.",
    );
    const text = allText((await summaryFor("Fixed for me")).args);
    expect(text).toContain("*Added for you:*");
    expect(text).toContain("Script A: added “Reply STOP to opt out.”");
  });

  it("lists campaigns, and shows one with previews; unknown and partial names get suggestions", async () => {
    const list = await command("list");
    expect(list.json).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("GOTV Nov 3") });
    expect(JSON.stringify(list.json)).toContain(
      "*GOTV Nov 3* (draft) · Turnout (get out the vote): 500 × “pledged to vote” · audience Volunteers · not launched",
    );

    await command("show gotv nov 3", "show");
    const shown = await responseTo("show");
    expect(shown.args).toMatchObject({ response_type: "ephemeral" });
    expect(allText(shown.args)).toContain("Hi Ana, this is Sam");

    await command("show gotv", "partial");
    expect((await responseTo("partial")).args.text).toMatch(
      /There is no campaign named “gotv”\. Did you mean “GOTV Nov 3”/,
    );
    expect((await command("launch")).json).toMatchObject({
      text: expect.stringContaining("Give the campaign's name, e.g. `/campaign launch GOTV Nov 3`"),
    });
  });

  it("opens /campaign edit filled in with the campaign, and saves the edit", async () => {
    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "GOTV Nov 3" } });
    await command("edit GOTV Nov 3");
    const view = (await h.slack.waitFor("views.update")).args.view as View;
    const element = (id: string) =>
      (view.blocks.find((b) => b.block_id === id) as { element: Record<string, unknown> }).element;
    expect(element("name").initial_value).toBe("GOTV Nov 3");
    expect(element("scriptB").initial_value).toBe(SCRIPT_B);
    expect(element("segment").initial_option).toMatchObject({ value: volunteersId });
    expect(JSON.parse(view.private_metadata)).toMatchObject({ mode: "edit", campaignId: campaign.id });

    const edited = await submit(
      { ...validForm("GOTV Nov 3"), ...numberTyped("goalTarget", "600") },
      view.private_metadata,
    );
    expect(edited.text).toBe("");
    expect((await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).goalTarget).toBe(600);
    expect(allText((await summaryFor("GOTV Nov 3")).args)).toContain("Saved changes to *GOTV Nov 3*");
  });

  it("refuses to launch while something blocks it, fixes a script in one click, then launches from the button", async () => {
    await submit({
      ...validForm("Ward drive"),
      ...typed(
        "scriptA",
        "Hi {firstName}, this is Sam with Neighbors for B. Ward {Ward|your ward} votes Nov 3: can we count on your vote on Nov 3? Reply STOP to opt out.",
      ),
      ...typed("scriptB", ""),
    });
    await summaryFor("Ward drive");
    await h.app.db.prisma.optOut.createMany({
      data: CONTACTS.filter((c) => c.tags.includes("volunteer") && c.phone !== OPTED_OUT).map((c) => ({
        phone: c.phone,
        source: "admin" as const,
      })),
    });
    try {
      await command("launch Ward drive", "blocked");
      const blocked = await responseTo("blocked");
      expect(allText(blocked.args)).toContain("*Ward drive* cannot launch yet: 1 thing to fix.");
      expect(allText(blocked.args)).toContain("Segment “Volunteers” has no reachable contact.");
    } finally {
      await h.app.db.prisma.optOut.deleteMany({ where: { source: "admin" } });
    }
    const campaign = await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "Ward drive" } });
    expect(campaign.status).toBe("draft");

    h.slack.reset();
    await command("show Ward drive", "warned");
    const warned = await responseTo("warned");
    const fix = JSON.parse(allText(warned.args)) as Array<{ accessory?: { action_id: string; value: string } }>;
    const button = fix.find((b) =>
      b.accessory?.action_id.startsWith("campaign_fix.field-missing-for-some"),
    )!.accessory!;
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: button.action_id,
          value: button.value,
          userId: ORGANIZER,
          responseUrl: h.slack.responseUrl("fixed"),
        }),
      ),
    );
    const fixed = await responseTo("fixed");
    expect(fixed.args.replace_original).toBe(true);
    expect((await h.app.db.prisma.scriptVariant.findFirstOrThrow({ where: { campaignId: campaign.id } })).body).toMatch(
      /^Hi \{firstName\|friend\}/,
    );

    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: "campaign_launch",
          value: campaign.id,
          userId: ORGANIZER,
          responseUrl: h.slack.responseUrl("launched"),
        }),
      ),
    );
    expect((await responseTo("launched")).args.text).toBe(
      ":rocket: *Ward drive* is running: 5 contacts are queued. Nothing is sent automatically: volunteers send each text with `/campaign send Ward drive`.",
    );
    expect(await h.app.db.prisma.campaignContact.count({ where: { campaignId: campaign.id } })).toBe(5);
  });

  it("shows the audience against the frequency cap, and asks before launching when most of it is capped", async () => {
    const phones = Array.from({ length: 4 }, (_, i) => `+1415555${String(7000 + i)}`);
    await h.app.db.prisma.contact.createMany({
      data: phones.map((phone, i) => ({ phone, firstName: `Cap${i}`, tags: ["capped"] })),
    });
    // Three of the four got three campaign texts this week: at the default cap of 3 per 7 days.
    const recent = new Date(Date.now() - 2 * 86_400_000);
    await h.app.db.prisma.message.createMany({
      data: phones.slice(0, 3).flatMap((phone) =>
        [0, 1, 2].map((i) => ({
          direction: "outbound" as const,
          initiated: true,
          fromPhone: "+12125550199",
          toPhone: phone,
          body: `earlier ${i}`,
          status: "delivered",
          createdAt: new Date(recent.getTime() + i * 60_000),
        })),
      ),
    });
    const segment = await h.app.db.prisma.segment.create({
      data: { name: "Capped", filter: { tags: { any: ["capped"] } }, createdBy: ORGANIZER },
    });
    const result = validateCampaignForm(
      {
        ...EMPTY_CAMPAIGN_FORM,
        name: "Capped drive",
        goalType: "turnout",
        goalTarget: "3",
        goalOutcomeTag: "yes",
        callToAction: "Can we count on your vote on Nov 3?",
        senderIdentity: "Sam with Neighbors for B",
        scripts: [SCRIPT_A, "", "", ""],
        channelId: REPLIES,
        segmentId: segment.id,
      },
      { knownFields: mergeFieldsFor([]) },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const draft = await createCampaign(h.app.db, result.draft, {
      userId: ORGANIZER,
      role: "organizer",
      at: new Date(),
    });

    await command("show Capped drive", "cap-show");
    expect(allText((await responseTo("cap-show")).args)).toContain(
      "3 of 4 (75%) are at the cap now: their texts would be skipped today.",
    );
    await command("launch Capped drive", "cap-launch");
    const asked = await responseTo("cap-launch");
    expect(allText(asked.args)).toContain("most of its audience is at the frequency cap");
    expect(allText(asked.args)).toContain(`"action_id":"campaign_launch_confirmed"`);
    expect((await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe("draft");
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: "campaign_launch_confirmed",
          value: draft.id,
          userId: ORGANIZER,
          responseUrl: h.slack.responseUrl("cap-confirmed"),
        }),
      ),
    );
    expect((await responseTo("cap-confirmed")).args.text).toMatch(
      /^:rocket: \*Capped drive\* is running: 4 contacts are queued/,
    );
  });

  it("launches by command, then pauses, resumes and archives, answering what cannot be done", async () => {
    await command("launch GOTV Nov 3", "launch");
    expect((await responseTo("launch")).args.text).toMatch(
      /^:rocket: \*GOTV Nov 3\* is running: 5 contacts are queued, split evenly across 2 script variants\./,
    );
    expect((await command("edit GOTV Nov 3")).json).toMatchObject({
      text: expect.stringContaining("is running. Pause it first with /campaign pause GOTV Nov 3"),
    });
    expect((await command("resume GOTV Nov 3")).json).toMatchObject({
      text: ":warning: “GOTV Nov 3” cannot be resumed. It is already running.",
    });
    expect((await command("pause gotv nov 3")).json).toMatchObject({
      text: expect.stringMatching(/^:double_vertical_bar: Paused \*GOTV Nov 3\*/),
    });
    expect((await h.app.db.prisma.campaign.findUniqueOrThrow({ where: { name: "GOTV Nov 3" } })).status).toBe("paused");
    expect((await command("resume GOTV Nov 3")).json).toMatchObject({
      text: expect.stringMatching(/^:arrow_forward: Resumed/),
    });
    expect((await command("archive GOTV Nov 3")).json).toMatchObject({
      text: expect.stringMatching(/^:file_cabinet: Archived/),
    });
    expect((await command("pause Ward drve")).json).toMatchObject({
      text: ":warning: There is no campaign named “Ward drve”. Did you mean “Ward drive”? Type /campaign list to see them all.",
    });
    expect(h.twilio.messages).toHaveLength(0); // launching never sends: volunteers do, one click at a time
  });
});
