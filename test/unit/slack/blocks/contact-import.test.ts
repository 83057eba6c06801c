import {
  importProgressMessage,
  importRejectedMessage,
  importSummaryMessage,
  invalidRowsCsv,
} from "../../../../src/slack/blocks/contact-import";
import type { ImportSummary } from "../../../../src/services/contact-import";

const summary = (customFields: string[] = []): ImportSummary => ({
  rowsRead: 12,
  imported: 10,
  updated: 1,
  invalid: 1,
  invalidRows: [],
  duplicates: 0,
  suppressed: 0,
  customFields,
});

const sectionText = (message: { blocks: unknown[] }) => (message.blocks[0] as { text: { text: string } }).text.text;

describe("import messages with a hostile file name or header", () => {
  const hostile = "<!channel> <https://evil.example|payroll> @here " + "x".repeat(10_000) + ".csv";

  it("cut a long file name short, so the counts are still shown", () => {
    const text = sectionText(importSummaryMessage(hostile, summary(), 1.2));
    expect(text).toContain("Rows read: *12*");
    expect(text).toContain("Opted-out numbers");
    expect(text.length).toBeLessThan(1_000);
  });

  it("escape the file name: no ping, no disguised link, in every message and its fallback", () => {
    for (const message of [
      importProgressMessage(hostile, 0, "reading"),
      importSummaryMessage(hostile, summary(), 1),
      importRejectedMessage(hostile, "No phone column found."),
    ]) {
      for (const text of [message.text, sectionText(message)]) {
        expect(text).toContain("&lt;!channel&gt; &lt;https://evil.example|payroll&gt; @\u2060here");
        expect(text).not.toMatch(/<[!h]/);
      }
    }
  });

  it("list at most 30 custom fields, escaped and without backticks that would break the code span", () => {
    const fields = ["<@U0BOSS>", "a`b", ...Array.from({ length: 148 }, (_, i) => `Field ${i}`)];
    const text = sectionText(importSummaryMessage("list.csv", summary(fields), 1));
    expect(text).toContain("`&lt;@U0BOSS&gt;`, `a'b`, `Field 0`");
    expect(text).toContain("`Field 27` and 120 more");
    expect(text).not.toContain("Field 28`");
  });

  it("clip a long rejection reason", () => {
    const text = sectionText(importRejectedMessage("list.csv", "r".repeat(10_000)));
    expect(text.length).toBeLessThanOrEqual(2_100);
    expect(text).toMatch(/r…$/);
  });
});

describe("the skipped-rows CSV", () => {
  it("never hands a spreadsheet a formula", () => {
    const csv = invalidRowsCsv(
      [
        { line: 2, phone: '=HYPERLINK("https://evil.example","call")', reason: "not a phone" },
        { line: 3, phone: "@SUM(A1:A9)", reason: "-1+2" },
        { line: 4, phone: "+1 555", reason: "=cmd" },
        { line: 5, phone: "(212) 555", reason: "too short" },
      ],
      4,
    );
    expect(csv.split("\n")).toEqual([
      "line,phone,reason",
      `2,"'=HYPERLINK(""https://evil.example"",""call"")",not a phone`,
      "3,'@SUM(A1:A9),'-1+2",
      "4,'+1 555,'=cmd",
      "5,(212) 555,too short",
      "",
    ]);
  });
});
