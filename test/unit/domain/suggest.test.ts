import { suggestNames } from "../../../src/domain/suggest";

describe("suggestNames", () => {
  const known = ["new", "list", "show", "edit", "launch", "pause", "resume", "archive", "help"];

  it("suggests names that start with what was typed", () => {
    expect(suggestNames("la", known)).toEqual(["launch"]);
  });

  it("suggests close spellings for typos", () => {
    expect(suggestNames("lanuch", known)).toEqual(["launch"]);
    expect(suggestNames("PAUS", known)).toEqual(["pause"]);
    expect(suggestNames("hlep", known)).toEqual(["help"]);
  });

  it("suggests nothing for unrelated words", () => {
    expect(suggestNames("delete", known)).toEqual([]);
    expect(suggestNames("", known)).toEqual([]);
  });
});
