import { lintScript, type LintContext, type LintFinding } from "./script-lint";
import { applyGsmReplacements, measureSms, suggestGsmReplacements } from "./sms-length";

/*
 * What stands between a campaign and its launch: errors block it, warnings are what an organizer
 * should know first. `fix` offers a one-click rewrite of one script.
 */

export interface ReadinessFinding {
  severity: "error" | "warning";
  about: string;
  message: string;
  fix?: { label: string; scriptId: string; code: string };
}

export interface ReadinessFacts {
  segment: { name: string } | null;
  /** False when the segment's saved filter no longer parses. */
  filterValid: boolean;
  /** Contacts of the audience that may be texted (not opted out). */
  reachable: number;
  conversationChannelId: string | null;
  scripts: readonly { id: string; kind: "initial" | "follow_up"; label: string; body: string }[];
  /** How scripts are linted for this audience (fields known and how many contacts have each). */
  lint: Omit<LintContext, "kind">;
  /** Media links on the campaign, and how many of them are fetched, checked and stored. */
  media?: { links: number; ready: number };
}

export const GSM_FIX_CODE = "gsm-replacements";

const scriptTitle = (s: { kind: "initial" | "follow_up"; label: string }) =>
  s.kind === "initial" ? `Script ${s.label}` : s.label;

function findingsOf(about: string, scriptId: string, findings: LintFinding[]): ReadinessFinding[] {
  return findings.map((f) => ({
    severity: f.severity,
    about,
    message: f.message,
    ...(f.fix ? { fix: { label: f.fix.label, scriptId, code: f.code } } : {}),
  }));
}

/** Characters of a script that force UCS-2 but have GSM look-alikes (smart quotes, dashes, ellipses). */
export const replaceableCharacters = (body: string): string[] => [
  ...new Set(suggestGsmReplacements(body).map((r) => r.from)),
];

/** Every finding, errors first. */
export function readinessFindings(facts: ReadinessFacts): ReadinessFinding[] {
  const findings: ReadinessFinding[] = [];
  const error = (about: string, message: string) => findings.push({ severity: "error", about, message });
  if (!facts.segment) error("Audience", "Pick an audience: /campaign edit, then choose a segment.");
  else if (!facts.filterValid)
    error(
      "Audience",
      `The filter of segment “${facts.segment.name}” is no longer valid. Pick another segment with /campaign edit.`,
    );
  else if (facts.reachable === 0)
    error(
      "Audience",
      `Segment “${facts.segment.name}” has no reachable contact. Import contacts or pick another segment.`,
    );
  if (!facts.conversationChannelId) error("Replies", "Pick the channel where replies appear: /campaign edit.");
  if (facts.media && facts.media.ready < facts.media.links)
    error(
      "Media",
      `${facts.media.links - facts.media.ready} of ${facts.media.links} media ${facts.media.links === 1 ? "link is" : "links are"} not ready: they are still being checked, or one was refused (the message about it says why). Wait a moment, or fix the links with /campaign edit.`,
    );
  if (!facts.scripts.some((s) => s.kind === "initial"))
    error("Script", "Write at least one first message: /campaign edit.");
  for (const script of facts.scripts) {
    findings.push(
      ...findingsOf(scriptTitle(script), script.id, lintScript(script.body, { ...facts.lint, kind: script.kind })),
    );
  }
  for (const script of facts.scripts) {
    const sms = measureSms(script.body);
    if (sms.encoding !== "UCS-2") continue;
    const fixable =
      replaceableCharacters(script.body).length > 0 &&
      measureSms(applyGsmReplacements(script.body)).encoding === "GSM-7";
    findings.push({
      severity: "warning",
      about: scriptTitle(script),
      message: `${sms.nonGsmCharacters.join(" ")} ${sms.nonGsmCharacters.length === 1 ? "makes" : "make"} this a UCS-2 text: 70 characters a segment instead of 160, so it costs more.`,
      ...(fixable ? { fix: { label: "Use plain quotes and dashes", scriptId: script.id, code: GSM_FIX_CODE } } : {}),
    });
  }
  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}

/** The script with the fix the finding `code` offered applied; undefined when there is nothing (left) to fix. */
export function applyFinding(
  script: { kind: "initial" | "follow_up"; body: string },
  code: string,
  lint: Omit<LintContext, "kind">,
): string | undefined {
  const fixed =
    code === GSM_FIX_CODE
      ? applyGsmReplacements(script.body)
      : lintScript(script.body, { ...lint, kind: script.kind }).find((f) => f.code === code && f.fix)?.fix?.text;
  return fixed === script.body ? undefined : fixed;
}
