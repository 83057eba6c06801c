import { isWorkingTime, waitAction } from "../../../src/domain/waiting-replies";

const settings = { nudgeAfterMinutes: 20, releaseAfterMinutes: 90 };
const at = (time: string) => new Date(`2026-11-30T${time}:00Z`);

describe("voters waiting for an answer", () => {
  const waiting = { waitingSince: at("15:00"), nudgedAt: null, assignee: "U0ANA", assignedAt: at("14:00") };

  it("are nudged once after the nudge delay, then released after the release delay", () => {
    expect(waitAction(waiting, at("15:19"), settings)).toBeNull();
    expect(waitAction(waiting, at("15:20"), settings)).toBe("nudge");
    expect(waitAction({ ...waiting, nudgedAt: at("15:20") }, at("16:00"), settings)).toBeNull();
    expect(waitAction({ ...waiting, nudgedAt: at("15:20") }, at("16:30"), settings)).toBe("release");
  });

  it("nudge again for a new wait, not for one already nudged", () => {
    // Nudged during an earlier wait, answered, then the voter spoke again at 15:00.
    expect(waitAction({ ...waiting, nudgedAt: at("12:00") }, at("15:25"), settings)).toBe("nudge");
  });

  it("count a volunteer's 90 minutes from when they took the conversation, if after the voter spoke", () => {
    const taken = { ...waiting, nudgedAt: at("15:20"), assignedAt: at("16:00") };
    expect(waitAction(taken, at("16:40"), settings)).toBeNull();
    expect(waitAction(taken, at("17:30"), settings)).toBe("release");
  });

  it("never release a conversation nobody holds", () => {
    expect(waitAction({ ...waiting, assignee: null, nudgedAt: at("15:20") }, at("23:00"), settings)).toBeNull();
  });

  it("happen only in the organization's working hours, in its own time zone", () => {
    // 14:00 UTC is 9:00 in New York (open) and 6:00 in Los Angeles (closed).
    expect(isWorkingTime("America/New_York", at("14:00"))).toBe(true);
    expect(isWorkingTime("America/Los_Angeles", at("14:00"))).toBe(false);
  });
});
