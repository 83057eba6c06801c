import pino from "pino";
import { linkTemplate, permalinkWebClient, WebClientPermalinks } from "../../../src/slack/permalinks";
import { startFakeSlack, type FakeSlack } from "../../fakes/slack-api";

const TOKEN = "xoxb-permalinks";
const silent = pino({ level: "silent" });
const ts = (i: number) => `1700000000.${String(100 + i).padStart(6, "0")}`;

describe("thread links for the digest, against the fake Slack", () => {
  let slack: FakeSlack;
  let links: WebClientPermalinks;
  beforeAll(async () => {
    slack = await startFakeSlack({ tokens: [TOKEN] });
  });
  afterAll(() => slack.close());
  beforeEach(() => {
    slack.reset();
    links = new WebClientPermalinks(permalinkWebClient(TOKEN, { apiUrl: slack.apiUrl, logger: silent }), silent);
  });

  it("asks Slack once per channel and gives every thread the link Slack would give", async () => {
    const asked = await Promise.all(
      [...Array(8).keys()].map((i) => links.permalink(i % 2 === 0 ? "C0EVEN" : "C0ODD", ts(i))),
    );
    expect(slack.callsTo("chat.getPermalink")).toHaveLength(2);
    // A fresh client knows no form and asks Slack: its answer is the derived link.
    for (const [i, link] of asked.entries()) {
      expect(link).not.toBeNull();
      const fresh = new WebClientPermalinks(
        permalinkWebClient(TOKEN, { apiUrl: slack.apiUrl, logger: silent }),
        silent,
      );
      expect(await fresh.permalink(i % 2 === 0 ? "C0EVEN" : "C0ODD", ts(i))).toBe(link);
    }
  });

  it("a failed lookup teaches nothing: the channel's next thread asks Slack again", async () => {
    slack.failNext("chat.getPermalink", { error: "channel_not_found" });
    expect(await links.permalink("C0GONE", ts(1))).toBeNull();
    const second = await links.permalink("C0GONE", ts(2));
    const third = await links.permalink("C0GONE", ts(3));
    expect(second).toMatch(/\/archives\/C0GONE\/p1700000000000102$/);
    expect(third).toMatch(/\/archives\/C0GONE\/p1700000000000103$/);
    expect(slack.callsTo("chat.getPermalink")).toHaveLength(2);
  });
});

describe("linkTemplate", () => {
  it("learns the channel's link form from an answer of the usual form", () => {
    expect(linkTemplate("C1", "1700000000.000100", "https://team.slack.com/archives/C1/p1700000000000100")).toBe(
      "https://team.slack.com/archives/C1/",
    );
    expect(
      linkTemplate("C1", "1700000000.000100", "https://org.enterprise.slack.com/archives/C1/p1700000000000100"),
    ).toBe("https://org.enterprise.slack.com/archives/C1/");
  });

  it.each([
    ["another channel", "https://team.slack.com/archives/C2/p1700000000000100"],
    ["another message", "https://team.slack.com/archives/C1/p1700000000000999"],
    ["a query string", "https://team.slack.com/archives/C1/p1700000000000100?thread_ts=1&cid=C1"],
    ["another path", "https://team.slack.com/messages/C1/p1700000000000100"],
    ["plain http", "http://team.slack.com/archives/C1/p1700000000000100"],
  ])("keeps asking when the answer has %s", (_what, link) => {
    expect(linkTemplate("C1", "1700000000.000100", link)).toBeNull();
  });
});
