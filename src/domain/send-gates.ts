import { allowsAnotherText, type FrequencyCap } from "./frequency-cap";
import { localTimeLabel, sendWindowFor, type SendWindowPolicy } from "./quiet-hours";
import { contactMergeValues, renderScript, type MergeContact } from "./script";

/*
 * The gates every text a campaign initiates must pass at the moment of the click, in order: the
 * number is not opted out, the recipient's sending hours are open (for at least a minute), the
 * frequency cap leaves room, and the script renders with every merge field filled. The caller
 * reads the facts (under the per-phone lock) and acts on the answer: send, skip or defer.
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
}

export type Gate =
  | { ok: true; body: string; validitySeconds: number }
  | { ok: false; outcome: "skipped" | "deferred"; reason: string; deferredUntil?: Date };

/** Whether a text initiated at `now` may go, with its body and Twilio validity, or why not (in words for a volunteer). */
export function checkSendGates(facts: GateFacts, now: Date): Gate {
  const { recipient, cap } = facts;
  if (facts.optedOut) return { ok: false, outcome: "skipped", reason: "opted out: this number is never texted" };
  const window = sendWindowFor(recipient, now, facts.window);
  if (!window.open) {
    const when = localTimeLabel(window.opensAt, recipient.timeZone);
    const why = window.closingSoon ? "their sending hours end in under a minute" : "outside their sending hours";
    return {
      ok: false,
      outcome: "deferred",
      reason: `${why}: back in the queue ${when}`,
      deferredUntil: window.opensAt,
    };
  }
  if (!allowsAnotherText(facts.textsInCapWindow, cap)) {
    return {
      ok: false,
      outcome: "skipped",
      reason: `frequency cap: already ${facts.textsInCapWindow} first texts in ${cap.days} days (limit ${cap.count})`,
    };
  }
  if (facts.script === null) return { ok: false, outcome: "skipped", reason: "the campaign has no first message" };
  const rendered = renderScript(
    facts.script,
    contactMergeValues(recipient, { timeZone: recipient.timeZone ?? undefined }),
  );
  if (rendered.missing.length) {
    const fields = rendered.missing.map((m) => `{${m}}`).join(", ");
    return { ok: false, outcome: "skipped", reason: `held back: no ${fields} for this contact` };
  }
  return { ok: true, body: rendered.text, validitySeconds: window.validitySeconds };
}
