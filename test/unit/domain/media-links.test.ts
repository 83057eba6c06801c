import {
  mediaCountProblem,
  MAX_MEDIA_PER_TEXT,
  parseMediaLinks,
  splitMediaLinks,
} from "../../../src/domain/media-links";

describe("media links typed into a form", () => {
  it("reads https links one per line (spaces and commas too), and none from an empty field", () => {
    expect(parseMediaLinks("https://a.org/1.jpg\n https://b.org/2.mp4, https://c.org/3.png\n")).toEqual({
      urls: ["https://a.org/1.jpg", "https://b.org/2.mp4", "https://c.org/3.png"],
      problem: null,
    });
    expect(parseMediaLinks("  \n")).toEqual({ urls: [], problem: null });
  });

  it("refuses a link that is not https, naming it", () => {
    expect(parseMediaLinks("https://a.org/1.jpg\nhttp://b.org/2.jpg").problem).toBe(
      "“http://b.org/2.jpg” is not an https link. Twilio fetches media from public https links, one per line.",
    );
    expect(parseMediaLinks("flyer.jpg").problem).toMatch(/is not an https link/);
  });

  it("quotes at most 80 characters of a bad link, so a pasted page does not flood the form", () => {
    const long = `http://example.org/${"x".repeat(200)}`;
    expect(splitMediaLinks(long).problem).toBe(
      `“${long.slice(0, 80)}” is not an https link. Twilio fetches media from public https links, one per line.`,
    );
  });

  it("reports a bad link before counting, and splitting alone never counts", () => {
    const many = Array.from({ length: 12 }, (_, i) => `https://a.org/${i}.jpg`);
    expect(splitMediaLinks(many.join("\n"))).toEqual({ urls: many, problem: null });
    expect(parseMediaLinks([...many, "ftp://a.org/x.jpg"].join("\n")).problem).toMatch(/“ftp:\/\/a.org\/x.jpg” is not/);
  });

  it("says how many to remove when links and files together pass the limit", () => {
    expect(mediaCountProblem(MAX_MEDIA_PER_TEXT)).toBeNull();
    expect(mediaCountProblem(13)).toBe(
      "A text carries at most 10 pictures or videos; links and files together make 13. Remove 3.",
    );
  });

  it("counts files attached beside the links against the limit of a text", () => {
    const links = Array.from({ length: 4 }, (_, i) => `https://a.org/${i}.jpg`).join("\n");
    expect(parseMediaLinks(links, MAX_MEDIA_PER_TEXT - 4).problem).toBeNull();
    expect(parseMediaLinks(links, MAX_MEDIA_PER_TEXT - 3).problem).toBe(
      "A text carries at most 10 pictures or videos; links and files together make 11. Remove 1.",
    );
  });
});
