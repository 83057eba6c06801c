import { randomBytes } from "node:crypto";
import fc from "fast-check";
import {
  isPersonClick,
  isShortCode,
  linksIn,
  previewShortLinks,
  rewriteLinks,
  shortCodeFrom,
  SHORT_CODE_LENGTH,
} from "../../../src/domain/short-links";

const BASE = "https://texting.example.org";

describe("links in a script", () => {
  it("finds http(s) and www. links, without the sentence's punctuation", () => {
    const text = "Plan: https://vote.example.org/plan?x=1. Or (www.example.org/b), or http://a.io!";
    expect(linksIn(text, BASE).map((l) => l.url)).toEqual([
      "https://vote.example.org/plan?x=1",
      "https://www.example.org/b",
      "http://a.io",
    ]);
  });

  it("finds bare domains as phones do, but not an e-mail address's domain", () => {
    const text = "Find your polls at vote.org/find or write to sam@neighbors.org.";
    expect(linksIn(text, BASE).map((l) => l.url)).toEqual(["https://vote.org/find"]);
  });

  it("leaves the app's own short links alone", () => {
    expect(linksIn(`Go: ${BASE}/l/AbCdEfGhIj now`, BASE)).toEqual([]);
  });

  it("rewrites each link and keeps every other character", () => {
    const out = rewriteLinks("A https://x.org/1 B https://y.org/2.", BASE, (url) => (url.includes("x") ? "X" : "Y"));
    expect(out).toBe(`A ${BASE}/l/X B ${BASE}/l/Y.`);
  });

  it("previews with a placeholder as long as a real code, so segment counts match what is sent", () => {
    fc.assert(
      fc.property(fc.string(), fc.webUrl(), fc.string(), (before, url, after) => {
        const text = `${before} ${url} ${after}`;
        const real = rewriteLinks(text, BASE, () => shortCodeFrom(randomBytes));
        expect(previewShortLinks(text, BASE).length).toBe(real.length);
      }),
    );
  });
});

describe("short codes", () => {
  it("are 10 characters of [0-9A-Za-z], skipping bytes that would bias them", () => {
    const code = shortCodeFrom(randomBytes);
    expect(code).toHaveLength(SHORT_CODE_LENGTH);
    expect(isShortCode(code)).toBe(true);
    // Only bytes below 248 are used: 248..255 would make the first 8 characters likelier.
    let call = 0;
    const biased = shortCodeFrom((size) => new Uint8Array(size).fill(call++ === 0 ? 250 : 61));
    expect(biased).toBe("z".repeat(SHORT_CODE_LENGTH));
  });

  it("refuse anything else without a lookup", () => {
    for (const text of ["", "short", "AAAAAAAAAA/", "AAAAAAAAA-", "A".repeat(11), "../../etc"])
      expect(isShortCode(text)).toBe(false);
  });
});

describe("what counts as a click", () => {
  it("a person's GET counts; HEAD, previews, bots and agentless requests do not", () => {
    const phone = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36";
    expect(isPersonClick("GET", phone)).toBe(true);
    expect(isPersonClick("HEAD", phone)).toBe(false);
    for (const bot of [
      "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
      "facebookexternalhit/1.1",
      "Twitterbot/1.0",
      "WhatsApp/2.23.20.0 A",
      "Mozilla/5.0 (compatible; Googlebot/2.1)",
      undefined,
      " ",
    ])
      expect(isPersonClick("GET", bot)).toBe(false);
  });
});
