import {
  MAX_SEGMENT_NAME,
  normalizeSegmentName,
  segmentNameKey,
  segmentNameProblem,
} from "../../../src/domain/segment-name";

describe("segment names", () => {
  it("tidies spaces and compares without letter case", () => {
    expect(normalizeSegmentName("  Volunteers \t  NY ")).toBe("Volunteers NY");
    expect(segmentNameKey(" VOLUNTEERS  ny")).toBe(segmentNameKey("Volunteers NY"));
  });

  it("accepts everyday names, including accents and punctuation organizers use", () => {
    for (const name of [
      "Volunteers NY",
      "Ward 4 & 5",
      "Hispanohablantes (Bronx)",
      "GOTV: week 1!",
      "K-12 parents / guardians",
      "Nuñez's list",
    ]) {
      expect(segmentNameProblem(name)).toBeNull();
    }
  });

  it("explains what is wrong with a blank, long or oddly written name", () => {
    expect(segmentNameProblem("")).toBe("Give the segment a name, like “Volunteers NY”.");
    expect(segmentNameProblem("x".repeat(MAX_SEGMENT_NAME + 1))).toBe(
      `Keep the name to ${MAX_SEGMENT_NAME} characters or fewer (this one has ${MAX_SEGMENT_NAME + 1}).`,
    );
    for (const name of ["*bold*", "`code`", "<@U123>", "-dash first", "tab\there"]) {
      expect(segmentNameProblem(name)).toMatch(
        /^Start the name with a letter or number, and use only letters, numbers, spaces and/,
      );
    }
  });
});
