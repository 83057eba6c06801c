import { allowsAnotherText, type FrequencyCap } from "./frequency-cap";
import { localTimeLabel, sendWindowFor, type SendWindowPolicy } from "./quiet-hours";
import { contactMergeValues, renderScript, type MergeContact } from "./script";

/*
 * The gates every text a campaign initiates (first texts and follow-ups) must pass at the moment of
 * the click, in order: the number is not opted out, a follow-up's contact has not replied, the
 * recipient's sending hours are open (for at least a minute), the frequency cap leaves room, and
 * the script renders with every merge field filled. The caller reads the facts (under the
 * per-phone lock) and acts on the answer: send, skip or defer.
 */

export interface GateFacts {
  optedOut: boolean;
  recipient: MergeContact & { phone: string; zip: string | null; timeZone: string | null };
  /** Texts to this number that count toward the cap now (see frequency-cap.ts). */
  textsInCapWindow: number;
  cap: FrequencyCap;
  window: SendWindowPolicy;
  /** The script to render; null when the campaign has none left for this contact. */
  script: string | null;
  /** 0 for a first text, 1 or 2 for a follow-up. */
  step: number;
  /** Whether the contact replied since the campaign's first text (a follow-up then waits for a person). */
  repliedSinceFirstText: boolean;
}

/** Why a text was held back, for counting (reports, the daily digest); `reason` words it for the volunteer. */
export type GateCode = "opted-out" | "outside-hours" | "replied" | "cap" | "no-script" | "missing-field";

export type Gate =
  | { ok: true; body: string; validitySeconds: number }
  | { ok: false; outcome: "skipped" | "deferred"; code: GateCode; reason: string; deferredUntil?: Date };

/** Whether a text initiated at `now` may go, with its body and Twilio validity, or why not (in words for a volunteer). */
export function checkSendGates(facts: GateFacts, now: Date): Gate {
  const { recipient, cap } = facts;
  const skip = (code: GateCode, reason: string): Gate => ({ ok: false, outcome: "skipped", code, reason });
  if (facts.optedOut) return skip("opted-out", "opted out: this number is never texted");
  if (facts.step > 0 && facts.repliedSinceFirstText)
    return skip("replied", "they replied: a volunteer answers them in their conversation, not with a follow-up");
  const window = sendWindowFor(recipient, now, facts.window);
  if (!window.open) {
    const when = localTimeLabel(window.opensAt, recipient.timeZone);
    const why = window.closingSoon ? "their sending hours end in under a minute" : "outside their sending hours";
    return {
      ok: false,
      outcome: "deferred",
      code: "outside-hours",
      reason: `${why}: back in the queue ${when}`,
      deferredUntil: window.opensAt,
    };
  }
  if (!allowsAnotherText(facts.textsInCapWindow, cap)) {
    const texts = `${facts.textsInCapWindow} campaign text${facts.textsInCapWindow === 1 ? "" : "s"}`;
    return skip("cap", `frequency cap: already ${texts} in ${cap.days} days (limit ${cap.count})`);
  }
  if (facts.script === null) {
    const which = facts.step === 0 ? "a first message" : `a follow-up ${facts.step} any more`;
    return skip("no-script", `the campaign has no ${which}`);
  }
  const timeZone = recipient.timeZone ?? undefined;
  const rendered = renderScript(facts.script, contactMergeValues(recipient, { timeZone }));
  if (rendered.missing.length) {
    const fields = rendered.missing.map((m) => `{${m}}`).join(", ");
    return skip("missing-field", `held back: no ${fields} for this contact`);
  }
  return { ok: true, body: rendered.text, validitySeconds: window.validitySeconds };
}
