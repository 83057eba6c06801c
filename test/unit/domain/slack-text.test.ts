import fc from "fast-check";
import { escapeForSlack, quoteForSlack, slackToPlainText } from "../../../src/domain/slack-text";

describe("voter text shown in Slack", () => {
  it("cannot ping, mention, link or format", () => {
    expect(escapeForSlack("<!channel> hi <@U123> see <https://evil.example|your bank> & @here")).toBe(
      "&lt;!channel&gt; hi &lt;@U123&gt; see &lt;https://evil.example|your bank&gt; &amp; @\u2060here",
    );
  });

  it("quotes every line so a reply cannot break out of the quote", () => {
    expect(quoteForSlack("yes\n\nI'll vote")).toBe(">yes\n>\n>I'll vote");
    expect(quoteForSlack("   ")).toBe(">(empty message)");
  });

  it("property: escaped text never holds a Slack control sequence", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("<", ">", "&", "!", "@", "#", "|", "a", " ", "channel", "here") }),
        (text) => {
          const escaped = escapeForSlack(text);
          expect(escaped).not.toMatch(/[<>]/);
          expect(escaped).not.toMatch(/@(channel|here|everyone)\b/i);
          expect(escaped.replace(/&(amp|lt|gt);/g, "")).not.toContain("&");
        },
      ),
    );
  });
});

describe("a volunteer's Slack reply as SMS", () => {
  it.each([
    ["Hi <@U0ANA>! see <https://vote.org|vote.org>", "Hi @Ana! see https://vote.org"],
    ["Details: <https://vote.org/find|where to vote>", "Details: where to vote (https://vote.org/find)"],
    ["mail <mailto:help@b.org|help@b.org>", "mail help@b.org"],
    ["<!here> *Thanks* _so_ much ~not~ `really`", "Thanks so much not really"],
    ["Ask in <#C0GEN|general> &amp; call &lt;555&gt;", "Ask in #general & call <555>"],
    ["snake_case_name stays and 2*3*4 stays", "snake_case_name stays and 2*3*4 stays"],
    ["  spaced   out \n  lines  ", "spaced out\nlines"],
  ])("%j → %j", (slack, sms) => {
    expect(slackToPlainText(slack, { U0ANA: "Ana" })).toBe(sms);
  });

  it("drops a mention it cannot name", () => {
    expect(slackToPlainText("thanks <@U0NOBODY>!")).toBe("thanks !");
  });
});
