import { campaignMediaMessage } from "../../../src/slack/blocks/campaign-media";
import type { CampaignMediaReport } from "../../../src/services/campaign-media";

const item = (url: string) =>
  ({ url, ok: true, id: url, contentType: "image/jpeg", originalBytes: 2_000_000, bytes: 400_000 }) as const;

const report = (over: Partial<CampaignMediaReport>): CampaignMediaReport => ({
  campaignId: "c1",
  campaignName: "Flyer drive",
  items: [item("https://example.org/flyer.jpg")],
  ready: true,
  variants: [{ label: "A", textOnly: false }],
  followUps: 0,
  ...over,
});

const head = (r: CampaignMediaReport) => campaignMediaMessage(r).text.split("\n")[0];

describe("the campaign's media-ready message", () => {
  it("says every text carries the media when no variant is text only", () => {
    expect(
      head(
        report({
          variants: [
            { label: "A", textOnly: false },
            { label: "B", textOnly: false },
          ],
        }),
      ),
    ).toBe(":frame_with_picture: Media for *Flyer drive* checked and ready: each text carries this picture as an MMS.");
  });

  it("names the variants that carry the media and those that go text only (A/B)", () => {
    const items = [item("https://example.org/1.jpg"), item("https://example.org/2.jpg")];
    expect(
      head(
        report({
          items,
          variants: [
            { label: "A", textOnly: false },
            { label: "B", textOnly: true },
          ],
        }),
      ),
    ).toBe(
      ":frame_with_picture: Media for *Flyer drive* checked and ready: the first texts of script A carry these 2 items as an MMS; script B goes text only.",
    );
    expect(
      head(
        report({
          variants: [
            { label: "A", textOnly: false },
            { label: "B", textOnly: true },
            { label: "C", textOnly: false },
            { label: "D", textOnly: true },
          ],
          followUps: 2,
        }),
      ),
    ).toBe(
      ":frame_with_picture: Media for *Flyer drive* checked and ready: the first texts of scripts A and C carry this picture as an MMS, and so does every follow-up; scripts B and D go text only.",
    );
  });

  it("lists each item's size before and after", () => {
    expect(campaignMediaMessage(report({})).text.split("\n")[1]).toBe(
      "1. :white_check_mark: https://example.org/flyer.jpg: 1.9 MB → *391 KB* JPEG",
    );
  });
});
