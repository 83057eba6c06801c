import pino from "pino";
import { UserError } from "../../../src/domain/user-error";
import { SegmentError } from "../../../src/services/segments";
import { answerFailure, failureText } from "../../../src/slack/answer-failure";

/** A pino logger writing its lines into an array. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe("answering a failure", () => {
  it("shows a UserError's message as it is, escaped, with the warning sign", () => {
    const { logger, lines } = recordingLogger();
    const error = new SegmentError("not_found", "There is no segment named “<!channel> & @here”.");
    const answer = answerFailure(logger, error, { what: "counting the segment", context: { user: "U1" } });
    const text = ":warning: There is no segment named “&lt;!channel&gt; &amp; @\u2060here”.";
    expect(answer).toEqual({
      response_type: "ephemeral",
      text,
      blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
    });
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(lines).toEqual([expect.objectContaining({ level: 30, user: "U1", reason: error.message })]);
  });

  it("gives a modal field a UserError's message unescaped, since field errors are plain text", () => {
    const { logger } = recordingLogger();
    expect(failureText(logger, new UserError("Name “A & B” is taken."), { what: "saving the segment" })).toBe(
      "Name “A & B” is taken.",
    );
  });

  it("logs any other error with its context and answers generically, naming what failed", () => {
    const { logger, lines } = recordingLogger();
    const error = new Error("connection reset <secret>");
    const answer = answerFailure(logger, error, {
      what: "deleting the segment",
      context: { user: "U1", segmentId: "s1" },
      consequence: "nothing was deleted",
    });
    expect(answer.text).toBe(
      ":x: Deleting the segment failed on our side: nothing was deleted. Try again in a minute; if it keeps failing, tell your admin.",
    );
    expect(JSON.stringify(answer)).not.toContain("connection reset");
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        msg: "deleting the segment failed",
        user: "U1",
        segmentId: "s1",
        err: expect.objectContaining({ message: "connection reset <secret>" }),
      }),
    ]);
    expect(failureText(logger, "thrown string", { what: "listing the segments" })).toBe(
      "Listing the segments failed on our side. Try again in a minute; if it keeps failing, tell your admin.",
    );
  });
});
