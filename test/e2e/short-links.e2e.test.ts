import { campaignById } from "../../src/services/campaigns";
import { followUpStates } from "../../src/services/follow-up-campaigns";
import { linkClicks } from "../../src/services/short-links";
import { PREVIEW_CODE, SHORT_CODE_LENGTH } from "../../src/domain/short-links";
import { measureSms } from "../../src/domain/sms-length";
import { blockActionsPayload, interactionBody, postToSlackApp, slashCommandBody } from "../fakes/signing";
import { PUBLIC_URL, SIGNING_SECRET, startHarness, type Harness } from "../support/app-harness";
import { launchedCampaign } from "../support/campaigns";
import { BACKENDS } from "../support/databases";

const ORGANIZER = "U0ORGANIZER";
const ANA = "U0ANA";
// Monday Nov 30 2026, 10:00 in New York: inside the default sending hours.
const NOW = new Date("2026-11-30T15:00:00Z");
const TARGET = "https://vote.example.org/plan?from=text";
const SCRIPT = `Hi {firstName}, this is Sam with Neighbors for B. Will you vote on Nov 3? Make a plan: ${TARGET}. Reply STOP to opt out.`;
const BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";

type Card = {
  text: string;
  blocks: { text?: { text: string }; elements?: { action_id?: string; value?: string }[] }[];
};

describe.each(BACKENDS)("short links and clicks (%s)", (_name, create) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(create, { clock: () => NOW });
  });
  afterAll(() => h?.close());

  const slack = (body: string) => postToSlackApp(h.app.localUrl, { secret: SIGNING_SECRET, body });
  const responseTo = async (id: string) =>
    (await h.slack.waitFor("response_url", (c) => c.args.responseId === id)).args as unknown as Card;
  const visit = (path: string, init: { method?: string; userAgent?: string } = {}) =>
    fetch(`${h.app.localUrl}${path}`, {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: init.userAgent === undefined ? {} : { "user-agent": init.userAgent },
    });

  /** Launches a campaign with a link in its script and sends the first text; returns the text Twilio got and the card shown before. */
  async function sendOne(name: string, phone: string): Promise<{ sent: string; card: Card; campaignId: string }> {
    await h.app.db.prisma.contact.create({
      data: {
        phone,
        firstName: "Dee",
        zip: "10001",
        state: "NY",
        timeZone: "America/New_York",
        tags: [name.toLowerCase()],
      },
    });
    const campaign = await launchedCampaign(h.app.db, {
      name,
      tag: name.toLowerCase(),
      createdBy: ORGANIZER,
      form: { scripts: [SCRIPT, "", "", ""] },
    });
    await slack(
      slashCommandBody({
        command: "/campaign",
        text: `send ${name}`,
        user_id: ANA,
        channel_id: "C0TEXTING",
        response_url: h.slack.responseUrl(`${name}-card`),
      }),
    );
    const card = await responseTo(`${name}-card`);
    const send = card.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === "texting_send");
    await slack(
      interactionBody(
        blockActionsPayload({
          actionId: "texting_send",
          value: send!.value!,
          userId: ANA,
          channelId: "C0TEXTING",
          responseUrl: h.slack.responseUrl(`${name}-sent`),
        }),
      ),
    );
    await responseTo(`${name}-sent`);
    const sent = h.twilio.messages.find((m) => m.to === phone);
    return { sent: String(sent?.body), card, campaignId: campaign.id };
  }

  const codeIn = (text: string) =>
    new RegExp(`${PUBLIC_URL.replace(/[.]/g, "\\.")}/l/([0-9A-Za-z]{${SHORT_CODE_LENGTH}})`).exec(text)?.[1];

  it("sends a per-contact short link, previews its short form, and counts a person's click once per visit", async () => {
    const { sent, card, campaignId } = await sendOne("Links", "+12125550301");
    const code = codeIn(sent);
    expect(code).toBeDefined();
    expect(sent).not.toContain("vote.example.org");
    // The card showed the short form with a placeholder of the same length, so its segment count is the sent one's.
    const cardText = card.blocks.map((b) => b.text?.text ?? "").join("\n");
    expect(cardText).toContain(`${PUBLIC_URL}/l/${PREVIEW_CODE}`);
    expect(sent.length).toBe(sent.replace(code!, PREVIEW_CODE).length);
    const stored = await h.app.db.prisma.message.findFirstOrThrow({ where: { toPhone: "+12125550301" } });
    expect(stored.body).toBe(sent);
    expect(stored.segments).toBe(measureSms(sent).segments);

    const first = await visit(`/l/${code}`, { userAgent: BROWSER });
    expect(first.status).toBe(302);
    expect(first.headers.get("location")).toBe(TARGET);
    expect(await linkClicks(h.app.db, campaignId)).toEqual({ clicks: 1, contacts: 1 });
    await visit(`/l/${code}`, { userAgent: BROWSER });
    expect(await linkClicks(h.app.db, campaignId)).toEqual({ clicks: 2, contacts: 1 });

    // The contact now counts as "clicked a link" in the follow-up form's audiences (0 before any click).
    const states = await followUpStates(h.app.db, (await campaignById(h.app.db, campaignId))!);
    expect(states.find((st) => st.state === "clicked_link")?.reachable).toBe(1);
  });

  it("redirects link previews, bots and HEAD requests without counting them", async () => {
    const { sent, campaignId } = await sendOne("Bots", "+12125550302");
    const code = codeIn(sent)!;
    const agents = [
      "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
      "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
      "Twitterbot/1.0",
      "WhatsApp/2.23.20.0",
      "",
    ];
    for (const userAgent of agents) {
      const answer = await visit(`/l/${code}`, { userAgent });
      expect(answer.status).toBe(302);
      expect(answer.headers.get("location")).toBe(TARGET);
    }
    const head = await visit(`/l/${code}`, { method: "HEAD", userAgent: BROWSER });
    expect(head.status).toBe(302);
    expect(await linkClicks(h.app.db, campaignId)).toEqual({ clicks: 0, contacts: 0 });
    const states = await followUpStates(h.app.db, (await campaignById(h.app.db, campaignId))!);
    expect(states.find((st) => st.state === "clicked_link")?.reachable).toBe(0);
  });

  it("answers an unknown or malformed code with a small 404 page", async () => {
    for (const path of ["/l/AAAAAAAAAA", "/l/short", "/l/%27%3Bdrop", `/l/${"z".repeat(5000)}`]) {
      const answer = await visit(path, { userAgent: BROWSER });
      expect(answer.status).toBe(404);
      expect(answer.headers.get("content-type")).toContain("text/html");
      expect(await answer.text()).toContain("doesn't lead anywhere");
    }
    expect(await h.app.db.prisma.linkClick.count({ where: { shortLink: { code: "AAAAAAAAAA" } } })).toBe(0);
  });
});
