import { DEFAULT_SEND_WINDOW } from "../../../src/domain/quiet-hours";
import { checkSendGates, type GateFacts } from "../../../src/domain/send-gates";

// Wednesday 15:00 in New York: inside the default window.
const NOW = new Date("2026-11-04T20:00:00Z");
const facts = (over: Partial<GateFacts> = {}): GateFacts => ({
  optedOut: false,
  recipient: { phone: "+12125550143", zip: "10001", timeZone: "America/New_York", firstName: "Ana" },
  textsInCapWindow: 0,
  cap: { count: 3, days: 7 },
  window: DEFAULT_SEND_WINDOW,
  script: "Hi {firstName}, it's Sam for Lee. Can we count on your vote? Reply STOP to opt out.",
  step: 0,
  repliedSinceFirstText: false,
  ...over,
});

describe("the send gates", () => {
  it("let a text through with its body and how long Twilio may hold it", () => {
    expect(checkSendGates(facts(), NOW)).toEqual({
      ok: true,
      body: "Hi Ana, it's Sam for Lee. Can we count on your vote? Reply STOP to opt out.",
      validitySeconds: 5 * 3_600,
    });
  });

  it("check the opt-out first, whatever else holds", () => {
    const gate = checkSendGates(
      facts({ optedOut: true, textsInCapWindow: 9, script: null }),
      new Date("2026-11-04T05:00:00Z"),
    );
    expect(gate).toMatchObject({ ok: false, outcome: "skipped", reason: "opted out: this number is never texted" });
  });

  it("defer outside the recipient's hours until they open, before counting the cap", () => {
    const gate = checkSendGates(facts({ textsInCapWindow: 9 }), new Date("2026-11-04T05:00:00Z"));
    expect(gate).toMatchObject({ ok: false, outcome: "deferred", deferredUntil: new Date("2026-11-04T14:00:00Z") });
  });

  it("skip a number at its cap, and a contact missing a field without fallback", () => {
    expect(checkSendGates(facts({ textsInCapWindow: 3 }), NOW)).toMatchObject({
      ok: false,
      outcome: "skipped",
      reason: "frequency cap: already 3 campaign texts in 7 days (limit 3)",
    });
    const noName = facts({ recipient: { phone: "+12125550143", zip: "10001", timeZone: null, firstName: "null" } });
    expect(checkSendGates(noName, NOW)).toMatchObject({
      ok: false,
      reason: "held back: no {firstName} for this contact",
    });
  });
});
