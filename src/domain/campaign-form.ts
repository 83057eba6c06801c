import { nameProblem, normalizeName } from "./display-name";
import { SEND_WINDOW_PRESET_IDS, type SendWindowPreset } from "./send-window-presets";
import { DEFAULT_DIGEST_MINUTE, isDigestMinute } from "./daily-digest";
import { DEFAULT_FOLLOW_UP_DELAYS } from "./follow-up";
import { lintScript, type LintFinding } from "./script-lint";
import { mediaCountProblem, splitMediaLinks } from "./media-links";

/**
 * The campaign form (what `/campaign new` and `/campaign edit` ask) checked and turned into a
 * campaign draft. Problems are reported per field, worded for an organizer, so the modal can show
 * each one under the field that caused it; warnings are what to know but need not block a save.
 */

export const GOAL_TYPES = [
  "turnout",
  "persuasion",
  "awareness",
  "fundraising",
  "volunteer_recruitment",
  "other",
] as const;
export type GoalType = (typeof GOAL_TYPES)[number];

export const GOAL_LABELS: Record<GoalType, string> = {
  turnout: "Turnout (get out the vote)",
  persuasion: "Persuasion",
  awareness: "Awareness",
  fundraising: "Fundraising",
  volunteer_recruitment: "Volunteer recruitment",
  other: "Other",
};

/** A/B variants of the first message, A always required. */
export const VARIANT_LABELS = ["A", "B", "C", "D"] as const;
export type VariantLabel = (typeof VARIANT_LABELS)[number];
export const FOLLOW_UP_LABELS = ["Follow-up 1", "Follow-up 2"] as const;

/** At most 3 initiated texts per contact per 7 days, across campaigns (issue 3); replies do not count. */
export const DEFAULT_FREQUENCY_CAP = { count: 3, days: 7 } as const;
const CAP_LIMITS = { count: { min: 1, max: 10 }, days: { min: 1, max: 90 } } as const;
const GOAL_TARGET_MAX = 10_000_000;
const TEXT_LIMITS = { callToAction: 300, senderIdentity: 120, helpText: 300, goalOutcomeTag: 40 } as const;
const FOLLOW_UP_DELAY_LIMITS = { min: 1, max: 30 };

export interface CampaignForm {
  name: string;
  goalType: string | null;
  goalTarget: string;
  goalOutcomeTag: string;
  callToAction: string;
  senderIdentity: string;
  /** First-message variants as typed, A to D ("" when left empty). */
  scripts: string[];
  followUps: string[];
  /** Days after the previous text each follow-up goes out, as typed ("2", "5"). */
  followUpDelays: string[];
  channelId: string | null;
  sendWindow: string | null;
  capCount: string;
  capDays: string;
  segmentId: string | null;
  helpText: string;
  /** Media links, one per line (MMS). */
  mediaUrls: string;
  /** Files attached in this submission (Slack file input), not read yet. */
  mediaFiles: AttachedFile[];
  /** Files attached before and stored (Media ids) that stay ticked: unticking one removes it. */
  attachedMediaIds: string[];
  /** First-message variants ticked to go without the media (A/B: media against text only). */
  textOnly: string[];
  /** Ticked: insert a missing sender, call to action or opt-out sentence instead of refusing. */
  addMissing: boolean;
  /** When the daily digest is posted, minutes after midnight in the organization's zone ("570"); null: the default. */
  digestTime: string | null;
}

/** A file as Slack describes it in a file input's state. */
export interface AttachedFile {
  id: string;
  name: string;
  mimetype: string;
}

export type ScriptField = `script${VariantLabel}`;
export type FollowUpField = "followUp1" | "followUp2";
export type FollowUpDelayField = "followUpDelay1" | "followUpDelay2";
export type CampaignField =
  | "name"
  | "goalType"
  | "goalTarget"
  | "goalOutcomeTag"
  | "callToAction"
  | "senderIdentity"
  | ScriptField
  | FollowUpField
  | FollowUpDelayField
  | "channel"
  | "sendWindow"
  | "capCount"
  | "capDays"
  | "segment"
  | "helpText"
  | "mediaUrls"
  | "mediaFiles"
  | "attachedMedia"
  | "textOnly"
  | "digestTime";

export const scriptField = (label: VariantLabel): ScriptField => `script${label}`;
export const followUpField = (index: number): FollowUpField => (index === 0 ? "followUp1" : "followUp2");
export const followUpDelayField = (index: number): FollowUpDelayField =>
  index === 0 ? "followUpDelay1" : "followUpDelay2";

export interface ScriptDraft {
  label: string;
  body: string;
  /** Follow-ups: days after the previous text. */
  delayDays?: number;
  /** Initial variants: its texts leave the campaign's media out. */
  textOnly?: boolean;
}

export interface CampaignDraft {
  name: string;
  goalType: GoalType;
  goalTarget: number;
  goalOutcomeTag: string;
  callToAction: string;
  senderIdentity: string;
  helpText: string;
  conversationChannelId: string;
  sendWindow: SendWindowPreset;
  frequencyCap: { count: number; days: number };
  segmentId: string;
  mediaUrls: string[];
  /** Stored files kept from before (Media ids); files attached in this submission are added once stored. */
  mediaFileIds: string[];
  scripts: ScriptDraft[];
  followUps: ScriptDraft[];
  /** Minutes after midnight in the organization's zone; null: the default (09:30). */
  digestMinute: number | null;
}

export const EMPTY_CAMPAIGN_FORM: CampaignForm = {
  name: "",
  goalType: null,
  goalTarget: "",
  goalOutcomeTag: "",
  callToAction: "",
  senderIdentity: "",
  scripts: ["", "", "", ""],
  followUps: ["", ""],
  followUpDelays: DEFAULT_FOLLOW_UP_DELAYS.map(String),
  channelId: null,
  sendWindow: "standard",
  capCount: String(DEFAULT_FREQUENCY_CAP.count),
  capDays: String(DEFAULT_FREQUENCY_CAP.days),
  segmentId: null,
  helpText: "",
  mediaUrls: "",
  mediaFiles: [],
  attachedMediaIds: [],
  textOnly: [],
  addMissing: false,
  digestTime: String(DEFAULT_DIGEST_MINUTE),
};

export type CampaignFormResult =
  | {
      ok: true;
      draft: CampaignDraft;
      /** What to know before launch, each starting with what it is about ("Script B: …"). */
      warnings: string[];
      /** What “add what's missing” inserted, e.g. "Script A: added “Reply STOP to opt out.”". */
      inserted: string[];
    }
  | { ok: false; problems: Partial<Record<CampaignField, string>> };

export interface CampaignFormContext {
  /** Merge fields scripts may use: standard fields plus the contacts' custom columns. */
  knownFields: string[];
}

// The compliance findings “add what's missing” may fix by inserting text (see lintScript).
const INSERTABLE = new Set(["no-call-to-action", "no-sender-identity", "no-opt-out"]);
const INSERTED_WHAT: Record<string, string> = {
  "no-call-to-action": "the call to action",
  "no-sender-identity": "who is texting",
  "no-opt-out": "“Reply STOP to opt out.”",
};

/** The script with each missing compliance sentence inserted, and what was inserted. */
function insertMissing(text: string, lint: (text: string) => LintFinding[]): { text: string; inserted: string[] } {
  const inserted: string[] = [];
  let current = text;
  for (let round = 0; round < INSERTABLE.size; round++) {
    const finding = lint(current).find((f) => INSERTABLE.has(f.code) && f.fix);
    if (!finding?.fix) break;
    current = finding.fix.text;
    inserted.push(INSERTED_WHAT[finding.code] ?? finding.code);
  }
  return { text: current, inserted };
}

/** One problem line for a field: the first two errors, so the message stays readable under it. */
function problemOf(errors: LintFinding[], addMissing: boolean): string {
  const insertable = errors.some((f) => INSERTABLE.has(f.code) && f.fix);
  const offer = insertable && !addMissing ? " Or tick “Add what's missing for me” below the scripts." : "";
  return (
    errors
      .slice(0, 2)
      .map((f) => f.message.replace(/\s*$/, ""))
      .join(" ") + offer
  );
}

function wholeNumber(raw: string, limits: { min: number; max: number }, what: string): number | string {
  const text = raw.trim().replace(/[,_\s]/g, "");
  if (!/^\d+$/.test(text))
    return `Enter ${what} as a whole number from ${limits.min} to ${limits.max.toLocaleString("en-US")}.`;
  const value = Number(text);
  if (value < limits.min || value > limits.max)
    return `Enter ${what} from ${limits.min} to ${limits.max.toLocaleString("en-US")}.`;
  return value;
}

function tooLong(text: string, max: number): string | null {
  return text.length > max ? `Keep this to ${max} characters or fewer (it has ${text.length}).` : null;
}

/** Checks the whole form; every problem found is reported at once, under its own field. */
export function validateCampaignForm(form: CampaignForm, ctx: CampaignFormContext): CampaignFormResult {
  const problems: Partial<Record<CampaignField, string>> = {};
  const warnings: string[] = [];
  const inserted: string[] = [];

  const name = normalizeName(form.name);
  const badName = nameProblem(name, { noun: "campaign", example: "GOTV Nov 3" });
  if (badName) problems.name = badName;

  const goalType = GOAL_TYPES.find((g) => g === form.goalType);
  if (!goalType) problems.goalType = "Pick what the campaign is for.";
  const target = wholeNumber(form.goalTarget, { min: 1, max: GOAL_TARGET_MAX }, "the goal");
  if (typeof target === "string") problems.goalTarget = `${target} It is how many outcomes count as success, e.g. 500.`;
  const outcome = form.goalOutcomeTag.trim().replace(/\s+/g, " ").toLowerCase();
  if (!outcome)
    problems.goalOutcomeTag = "Name the conversation tag that counts toward the goal, e.g. “pledged to vote”.";
  else problems.goalOutcomeTag = tooLong(outcome, TEXT_LIMITS.goalOutcomeTag) ?? undefined;

  const callToAction = form.callToAction.trim();
  if (!callToAction)
    problems.callToAction =
      "Say what you ask voters to do: a link, or a reply ask such as “Can we count on your vote?”.";
  else problems.callToAction = tooLong(callToAction, TEXT_LIMITS.callToAction) ?? undefined;
  const senderIdentity = form.senderIdentity.trim();
  if (!senderIdentity)
    problems.senderIdentity = "Say who is texting and for whom, e.g. “Sam with Neighbors for Measure B”.";
  else problems.senderIdentity = tooLong(senderIdentity, TEXT_LIMITS.senderIdentity) ?? undefined;

  const lintContext = { knownFields: ctx.knownFields, callToAction, senderIdentity };
  const scripts: ScriptDraft[] = [];
  VARIANT_LABELS.forEach((label, index) => {
    const typed = (form.scripts[index] ?? "").trim();
    if (!typed) {
      if (index === 0) problems.scriptA = "Write the first message volunteers will send (script A).";
      return;
    }
    // Until the sender or call to action field itself is right, scripts are not checked against it.
    const unchecked = new Set([
      ...(problems.senderIdentity ? ["no-sender-identity"] : []),
      ...(problems.callToAction ? ["no-call-to-action"] : []),
    ]);
    const lint = (text: string) =>
      lintScript(text, { ...lintContext, kind: "initial" }).filter((f) => !unchecked.has(f.code));
    const fixed = form.addMissing ? insertMissing(typed, lint) : { text: typed, inserted: [] };
    const findings = lint(fixed.text);
    const errors = findings.filter((f) => f.severity === "error");
    if (errors.length) problems[scriptField(label)] = problemOf(errors, form.addMissing);
    for (const f of findings.filter((w) => w.severity === "warning")) warnings.push(`Script ${label}: ${f.message}`);
    for (const what of fixed.inserted) inserted.push(`Script ${label}: added ${what}`);
    scripts.push({ label, body: fixed.text });
  });
  for (let i = 0; i < scripts.length; i++) {
    for (let j = i + 1; j < scripts.length; j++) {
      if (scripts[i]!.body === scripts[j]!.body) {
        problems[scriptField(scripts[j]!.label as VariantLabel)] ??=
          `Script ${scripts[j]!.label} is the same as script ${scripts[i]!.label}. Change it to test something, or leave it empty.`;
      }
    }
  }

  const followUps: ScriptDraft[] = [];
  FOLLOW_UP_LABELS.forEach((label, index) => {
    const body = (form.followUps[index] ?? "").trim();
    if (!body) return;
    if (index > 0 && followUps.length < index) {
      problems[followUpField(index)] =
        `Write ${FOLLOW_UP_LABELS[0].toLowerCase()} first: ${label.toLowerCase()} goes out after it.`;
      return;
    }
    const findings = lintScript(body, { ...lintContext, kind: "follow_up" });
    const errors = findings.filter((f) => f.severity === "error");
    if (errors.length) problems[followUpField(index)] = problemOf(errors, true);
    for (const f of findings.filter((w) => w.severity === "warning")) warnings.push(`${label}: ${f.message}`);
    const after = index === 0 ? "the first text" : FOLLOW_UP_LABELS[index - 1]!.toLowerCase();
    // Left empty, a delay takes its default: 2 days, then 5.
    const typedDelay = (form.followUpDelays[index] ?? "").trim() || String(DEFAULT_FOLLOW_UP_DELAYS[index]);
    const delay = wholeNumber(typedDelay, FOLLOW_UP_DELAY_LIMITS, `the days after ${after}`);
    if (typeof delay === "string") problems[followUpDelayField(index)] = delay;
    followUps.push({ label, body, delayDays: typeof delay === "number" ? delay : undefined });
  });

  if (!form.channelId) problems.channel = "Pick the channel where voters' replies will appear as threads.";
  const sendWindow = SEND_WINDOW_PRESET_IDS.find((id) => id === form.sendWindow);
  if (!sendWindow) problems.sendWindow = "Pick the hours texts may go out (in each voter's local time).";

  const capCount = wholeNumber(form.capCount, CAP_LIMITS.count, "the number of texts");
  if (typeof capCount === "string") problems.capCount = capCount;
  const capDays = wholeNumber(form.capDays, CAP_LIMITS.days, "the number of days");
  if (typeof capDays === "string") problems.capDays = capDays;
  if (
    typeof capCount === "number" &&
    typeof capDays === "number" &&
    capCount / capDays > DEFAULT_FREQUENCY_CAP.count / DEFAULT_FREQUENCY_CAP.days
  ) {
    warnings.push(
      `Frequency cap: ${capCount} texts per ${capDays} ${capDays === 1 ? "day" : "days"} is looser than the default ` +
        `(${DEFAULT_FREQUENCY_CAP.count} per ${DEFAULT_FREQUENCY_CAP.days} days); some states allow only 3 solicitations per 24 hours.`,
    );
  }

  if (typeof capCount === "number" && typeof capDays === "number" && followUps.length > 0) {
    // Every text of the campaign lands inside one cap window when the delays add up to less than it.
    const planned = 1 + followUps.length;
    const span = followUps.reduce((days, f) => days + (f.delayDays ?? 0), 0);
    if (planned > capCount && span < capDays) {
      warnings.push(
        `Follow-ups: this campaign plans ${planned} texts within ${span} days, but the cap allows ${capCount} per ${capDays} days: ` +
          `the last ${planned - capCount === 1 ? "one" : planned - capCount} will be skipped for every contact. Lengthen the delays or raise the cap.`,
      );
    }
  }

  if (!form.segmentId)
    problems.segment = "Pick the segment (audience) to text. Create one with /segment new if there is none.";
  const helpText = form.helpText.trim().replace(/\s+/g, " ") || defaultHelpText(senderIdentity);
  problems.helpText = tooLong(helpText, TEXT_LIMITS.helpText) ?? undefined;
  const media = splitMediaLinks(form.mediaUrls);
  if (media.problem) problems.mediaUrls = media.problem;
  const mediaProblems = checkMediaFiles(form, media.urls.length);
  Object.assign(problems, mediaProblems.problems);
  warnings.push(...mediaProblems.warnings);
  for (const script of scripts) if (form.textOnly.includes(script.label)) script.textOnly = true;

  const digestTime = (form.digestTime ?? "").trim();
  const digestMinute = digestTime === "" ? null : Number(digestTime);
  if (digestMinute !== null && !isDigestMinute(digestMinute))
    problems.digestTime = "Pick the time of the daily digest from the list.";

  const reported = Object.fromEntries(Object.entries(problems).filter(([, v]) => v !== undefined)) as Partial<
    Record<CampaignField, string>
  >;
  if (Object.keys(reported).length > 0) return { ok: false, problems: reported };
  return {
    ok: true,
    draft: {
      name,
      goalType: goalType!,
      goalTarget: target as number,
      goalOutcomeTag: outcome,
      callToAction,
      senderIdentity,
      helpText,
      conversationChannelId: form.channelId!,
      sendWindow: sendWindow!,
      frequencyCap: { count: capCount as number, days: capDays as number },
      segmentId: form.segmentId!,
      mediaUrls: media.urls,
      mediaFileIds: form.attachedMediaIds,
      scripts,
      followUps,
      digestMinute,
    },
    warnings,
    inserted,
  };
}

/** Pictures and videos: what a text can carry (MMS). Slack's file input lets any file through. */
const isPictureOrVideo = (file: AttachedFile) => /^(image|video)\//.test(file.mimetype);

/**
 * Links and files together fit one text, attached files are pictures or videos, and at least one
 * variant carries the media (a variant ticked “text only” is the A/B's other arm).
 */
function checkMediaFiles(
  form: CampaignForm,
  links: number,
): { problems: Partial<Record<CampaignField, string>>; warnings: string[] } {
  const problems: Partial<Record<CampaignField, string>> = {};
  const warnings: string[] = [];
  const notMedia = form.mediaFiles.filter((f) => !isPictureOrVideo(f));
  if (notMedia.length)
    problems.mediaFiles = `“${notMedia[0]!.name}” is not a picture or a video, so a text cannot carry it. Attach a JPEG, PNG, GIF or WebP picture, or an MP4, MOV or WebM video, or send a link to it in the script instead.`;
  const total = links + form.attachedMediaIds.length + form.mediaFiles.length;
  const tooMany = mediaCountProblem(total);
  if (tooMany) problems[form.mediaFiles.length ? "mediaFiles" : "mediaUrls"] ??= tooMany;
  const filled = VARIANT_LABELS.filter((_, i) => (form.scripts[i] ?? "").trim() !== "");
  const ticked = filled.filter((label) => form.textOnly.includes(label));
  if (total > 0 && ticked.length > 0 && ticked.length === filled.length)
    problems.textOnly =
      filled.length === 1
        ? `Script ${ticked[0]} is the only first message, so no text would carry the media. Untick it, or remove the media.`
        : "Every script is ticked to go without the media, so no text would carry it. Untick the scripts that should carry it.";
  else if (total === 0 && ticked.length > 0)
    warnings.push(
      `Media: ${ticked.map((l) => `script ${l}`).join(", ")} ${ticked.length === 1 ? "is" : "are"} ticked to go without media, but the campaign has none: every text is text only.`,
    );
  if (total > 0 && !problems.textOnly)
    warnings.push(
      "Media: picture messages (MMS) are priced per message, not per segment (see the cost estimate). Each link and file is checked and made to fit 600 KB, what every carrier accepts; you get their sizes before and after in a moment." +
        (ticked.length
          ? ` ${ticked.map((l) => `Script ${l}`).join(", ")} ${ticked.length === 1 ? "goes" : "go"} without it (A/B: media against text only).`
          : ""),
    );
  return { problems, warnings };
}

/** What HELP answers when the organizer leaves it empty: who is texting and how to stop. */
export function defaultHelpText(senderIdentity: string): string {
  const who = senderIdentity.trim().replace(/[.!]+$/, "");
  return who ? `Texts from ${who}. Reply STOP to opt out.` : "Reply STOP to opt out.";
}
