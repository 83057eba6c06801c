import { isStatusAdvance, statusesReplacedBy } from "../../../src/domain/message-status";

describe("message status order", () => {
  it("moves forward along Twilio's lifecycle", () => {
    expect(isStatusAdvance("accepted", "queued")).toBe(true);
    expect(isStatusAdvance("sent", "delivered")).toBe(true);
    expect(isStatusAdvance("sending", "failed")).toBe(true);
  });

  it("never moves backwards or sideways between outcomes", () => {
    expect(isStatusAdvance("delivered", "sent")).toBe(false);
    expect(isStatusAdvance("undelivered", "delivered")).toBe(false);
    expect(isStatusAdvance("sent", "sent")).toBe(false);
  });

  it("lists the statuses a callback may overwrite", () => {
    expect(statusesReplacedBy("sent").sort()).toEqual(["accepted", "queued", "scheduled", "sending"]);
    expect(statusesReplacedBy("accepted")).toEqual([]);
  });
});
