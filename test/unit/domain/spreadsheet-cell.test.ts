import fc from "fast-check";
import { neutralizeSpreadsheetCell } from "../../../src/domain/spreadsheet-cell";

describe("neutralizeSpreadsheetCell", () => {
  it.each([
    ['=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'],
    ["+15551234567", "'+15551234567"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tcmd", "'\tcmd"],
    ["\rcmd", "'\rcmd"],
  ])("prefixes %j with an apostrophe", (input, expected) => {
    expect(neutralizeSpreadsheetCell(input)).toBe(expected);
  });

  it.each(["", "Ana", "555-1234", "a=b", " =x"])("leaves %j as it is", (input) => {
    expect(neutralizeSpreadsheetCell(input)).toBe(input);
  });

  it("never returns a cell that starts a formula, and keeps the text after the apostrophe", () => {
    fc.assert(
      fc.property(fc.string(), (input) => {
        const cell = neutralizeSpreadsheetCell(input);
        expect(["=", "+", "-", "@", "\t", "\r"]).not.toContain(cell[0]);
        expect(cell === input || cell === `'${input}`).toBe(true);
      }),
    );
  });
});
