import { FIELD_NAME, mergeFieldKey, parseScript, type FieldPart, type ParsedScript, type ScriptError } from "./script";
import { MAX_SMS_BODY_CHARACTERS } from "./sms-length";
import { suggestNames } from "./suggest";

/*
 * Script lint: errors block a launch; warnings are what an organizer should know before sending.
 * First messages must say who is texting, ask something and say how to opt out (PLATFORM.md).
 */

export interface LintFinding {
  severity: "error" | "warning";
  code: string;
  message: string;
  /** A one-click fix: `text` is the whole script with the fix applied. */
  fix?: { label: string; text: string };
}

export interface LintContext {
  /** Fields the audience has: usually `mergeFieldsFor(customColumns)`. */
  knownFields: string[];
  kind: "initial" | "follow_up";
  callToAction?: string | null;
  senderIdentity?: string | null;
  /** Per field, how many contacts of the audience have a usable value. */
  fieldCoverage?: Record<string, number>;
  audienceSize?: number;
}

const count = (n: number): string => n.toLocaleString("en-US");
const markup = (name: string, fallback: string | null): string =>
  fallback === null ? `{${name}}` : `{${name}|${fallback}}`;

function distinctFields(parsed: ParsedScript, keep: (field: FieldPart) => boolean = () => true): FieldPart[] {
  const byKey = new Map<string, FieldPart>();
  for (const part of parsed.parts) {
    if (part.kind === "field" && keep(part) && !byKey.has(part.key)) byKey.set(part.key, part);
  }
  return [...byKey.values()];
}

/** `text` with each field `rewrite` answers for replaced by that markup; the rest as written. */
function rewriteFields(text: string, parsed: ParsedScript, rewrite: (field: FieldPart) => string | null): string {
  let output = "";
  let copied = 0;
  for (const part of parsed.parts) {
    const replacement = part.kind === "field" ? rewrite(part) : null;
    if (part.kind !== "field" || replacement === null) continue;
    output += text.slice(copied, part.offset) + replacement;
    copied = part.offset + part.length;
  }
  return output + text.slice(copied);
}

// Twilio rejects bodies over 1,600 characters (error 21617). Counted in UTF-16 units, which is
// conservative: an emoji counts twice. Values can make a rendered text longer than its script.
function lintLength(text: string): LintFinding[] {
  if (text.length <= MAX_SMS_BODY_CHARACTERS) return [];
  const over = text.length - MAX_SMS_BODY_CHARACTERS;
  return [
    {
      severity: "error",
      code: "too-long",
      message: `This script is ${count(text.length)} characters; texts over 1,600 are rejected. Cut ${count(over)}.`,
    },
  ];
}

function syntaxFinding(error: ScriptError): LintFinding {
  return { severity: "error", code: error.code, message: error.message };
}

const DOUBLE_BRACED = /\{\{([^{}\n]+)\}\}/g;
const looksLikeField = (inner: string): boolean => FIELD_NAME.test(inner.split("|")[0]?.trim() ?? "");

// `{{firstName}}` (the Mustache habit) is literal braces here; sending it would show the braces.
function lintDoubleBraces(text: string): LintFinding[] {
  const first = [...text.matchAll(DOUBLE_BRACED)].find((match) => looksLikeField(match[1] ?? ""));
  if (!first) return [];
  const fixed = text.replace(DOUBLE_BRACED, (whole, inner: string) => (looksLikeField(inner) ? `{${inner}}` : whole));
  return [
    {
      severity: "error",
      code: "double-braces",
      message: `${first[0]} would be sent with its braces. Merge fields take single braces: {${(first[1] ?? "").trim()}}.`,
      fix: { label: "Use single braces", text: fixed },
    },
  ];
}

function lintUnknownFields(text: string, parsed: ParsedScript, knownFields: string[]): LintFinding[] {
  const known = new Set(knownFields.map(mergeFieldKey));
  return distinctFields(parsed, (field) => !known.has(field.key)).map((field): LintFinding => {
    const [suggestion] = suggestNames(field.name, knownFields, 1);
    if (suggestion === undefined) {
      const listed = knownFields
        .slice(0, 8)
        .map((name) => `{${name}}`)
        .join(", ");
      const choices = listed ? ` Fields you can use: ${listed}${knownFields.length > 8 ? ", …" : ""}.` : " Remove it.";
      return { severity: "error", code: "unknown-field", message: `{${field.name}} is not a field.${choices}` };
    }
    return {
      severity: "error",
      code: "unknown-field",
      message: `{${field.name}} is not a field. Did you mean {${suggestion}}?`,
      fix: {
        label: `Use {${suggestion}}`,
        text: rewriteFields(text, parsed, (f) => (f.key === field.key ? markup(suggestion, f.fallback) : null)),
      },
    };
  });
}

// Fallbacks safe to insert with one click; other fields get a suggestion in words only.
const FALLBACK_FIXES: Record<string, string> = { firstname: "friend", state: "your state" };

function fallbackExample(field: FieldPart): string {
  const words = field.name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase();
  return markup(field.name, FALLBACK_FIXES[field.key] ?? `your ${words}`);
}

/** Contacts without a value for a field that has no fallback are held back, never texted blanks. */
function lintFieldCoverage(text: string, parsed: ParsedScript, ctx: LintContext): LintFinding[] {
  const { fieldCoverage, audienceSize } = ctx;
  if (!fieldCoverage || audienceSize === undefined || audienceSize <= 0) return [];
  const coverage = new Map(Object.entries(fieldCoverage).map(([name, n]) => [mergeFieldKey(name), n]));
  const known = new Set(ctx.knownFields.map(mergeFieldKey));
  const findings: LintFinding[] = [];
  for (const field of distinctFields(parsed, (f) => f.fallback === null && known.has(f.key))) {
    const have = coverage.get(field.key);
    if (have === undefined || have >= audienceSize) continue;
    const example = fallbackExample(field);
    const fallback = FALLBACK_FIXES[field.key];
    const fix = fallback && {
      label: `Add fallback ${markup(field.name, fallback)}`,
      text: rewriteFields(text, parsed, (f) =>
        f.key === field.key && f.fallback === null ? markup(f.name, fallback) : null,
      ),
    };
    const finding: LintFinding =
      have <= 0
        ? {
            severity: "error",
            code: "field-missing-for-all",
            message:
              `No contact in this audience has {${field.name}}: all ${count(audienceSize)} would be held back. ` +
              `Add a fallback like ${example} or remove the field.`,
          }
        : {
            severity: "warning",
            code: "field-missing-for-some",
            message:
              `${count(audienceSize - have)} of ${count(audienceSize)} contacts have no {${field.name}} ` +
              `and will be held back. Add a fallback like ${example} to text them too.`,
          };
    findings.push(fix ? { ...finding, fix } : finding);
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// First-message rules. Source: CTIA Messaging Principles and Best Practices and the carriers'
// political 10DLC terms: a first message identifies the sender, has a purpose, and says how to
// opt out. Detection is deliberately simple words-on-the-page checks an organizer can predict.

// "Reply STOP …" and the like, to the end of its sentence: Twilio's opt-out keywords.
const OPT_OUT_ASK =
  /\b(?:reply|text|send|respond)(?:\s+with)?\s+["'“‘]?(?:stop2end|stopall|stop|unsubscribe|cancel|end|quit|optout)\b[^.!?\n]*/gi;

const OPT_OUT_LANGUAGE = [
  /\bSTOP/, // STOP, STOPALL, STOP2END in capitals; "stop by" in lowercase is not an opt-out
  /\b(?:opt[\s-]?out|unsubscribe)\b/i,
  new RegExp(OPT_OUT_ASK.source, "i"),
];

/** True when the script tells the voter how to opt out ("Reply STOP to opt out" or equivalent). */
export function hasOptOutLanguage(script: string): boolean {
  return OPT_OUT_LANGUAGE.some((pattern) => pattern.test(script));
}

function sentencesOf(text: string): { text: string; offset: number }[] {
  return [...text.matchAll(/[^.!?\n]+[.!?]*/g)].map((match) => {
    const lead = (/^\s*/.exec(match[0]) ?? [""])[0].length;
    return { text: match[0].slice(lead), offset: (match.index ?? 0) + lead };
  });
}

const REPLY_ASK = /\?|\b(?:reply|respond|text (?:me|us) back|write back|let (?:me|us) know|rsvp|sign up)\b/i;

/** Lowercase, straight quotes, single spaces, no closing punctuation: for "does it say this" checks. */
function loose(text: string): string {
  return text
    .toLowerCase()
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/\s+/g, " ")
    .replace(/[\s.!?]+$/, "")
    .trim();
}

function saysLoosely(script: string, phrase: string): boolean {
  const wanted = loose(phrase);
  return wanted.length > 0 && loose(script).includes(wanted);
}

/**
 * True when a first message asks for something: it contains the campaign's call to action, any
 * link, or a reply ask (a question, "reply", "let us know", "RSVP", …) other than "Reply STOP …".
 */
export function hasCallToAction(script: string, callToAction?: string | null): boolean {
  if (callToAction && saysLoosely(script, callToAction)) return true;
  if (findLinks(script).length > 0) return true;
  return REPLY_ASK.test(script.replace(OPT_OUT_ASK, " "));
}

const SELF_INTRODUCTION = /\b(?:this is|it is|it['’]s|i am|i['’]m|my name is)\b/i;

/** "Sam with Neighbors for Measure B" → "Neighbors for Measure B": the "for whom" part. */
function organizationOf(identity: string): string | null {
  const match = /^.*?(?:,|\s[-–]\s|\s(?:with|from|at|on behalf of|for)\s)\s*(.{3,})$/i.exec(identity.trim());
  return match?.[1] ?? null;
}

/**
 * True when the script names the sender: the whole sender identity or its organization part
 * ("Neighbors for Measure B"). With no identity configured, any self-introduction ("this is …").
 */
export function hasSenderIdentity(script: string, senderIdentity?: string | null): boolean {
  const identity = senderIdentity?.trim();
  if (!identity) return SELF_INTRODUCTION.test(script);
  const organization = organizationOf(identity);
  return saysLoosely(script, identity) || (organization !== null && saysLoosely(script, organization));
}

function endsWithLink(text: string): boolean {
  const trimmed = text.trimEnd();
  return findLinks(trimmed).some((link) => trimmed.endsWith(link));
}

function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?…]["'”’)]*$/.test(trimmed) || endsWithLink(trimmed) ? trimmed : `${trimmed}.`;
}

function appendSentence(text: string, sentence: string): string {
  const body = text.trimEnd();
  return body ? `${asSentence(body)} ${sentence}` : sentence;
}

/** Adds a sentence before the opt-out sentence, so "Reply STOP to opt out." stays last. */
function insertBeforeOptOut(text: string, sentence: string): string {
  const optOut = sentencesOf(text).find((s) => hasOptOutLanguage(s.text));
  if (!optOut) return appendSentence(text, sentence);
  return `${appendSentence(text.slice(0, optOut.offset), sentence)} ${text.slice(optOut.offset)}`;
}

const GREETING = /^\s*(?:hi|hello|hey|greetings|good (?:morning|afternoon|evening))\b[^.!?,\n]*([.!?,])[ \t]*/i;

/** "Hi {firstName}, can you…" → "Hi {firstName}, this is Sam with X. Can you…" */
function introduceSender(text: string, identity: string): string {
  const who = identity.trim().replace(/[.!]+$/, "");
  const greeting = GREETING.exec(text);
  if (!greeting) return `This is ${who}. ${text.trimStart()}`.trimEnd();
  const rest = text.slice(greeting[0].length);
  const head = greeting[0].trimEnd();
  if (greeting[1] !== ",") return `${head} This is ${who}. ${rest}`.trimEnd();
  return `${head} this is ${who}. ${rest.charAt(0).toUpperCase()}${rest.slice(1)}`.trimEnd();
}

export const OPT_OUT_SENTENCE = "Reply STOP to opt out.";

function lintFirstMessage(text: string, ctx: LintContext): LintFinding[] {
  const findings: LintFinding[] = [];
  const cta = ctx.callToAction?.trim();
  if (!hasCallToAction(text, cta)) {
    findings.push({
      severity: "error",
      code: "no-call-to-action",
      message: cta
        ? `No call to action. Ask for a reply or add a link, like the campaign's “${cta}”`
        : "No call to action. Ask for a reply or add a link. " +
          "Set the campaign's call to action to insert it in one click.",
      ...(cta && { fix: { label: "Add the call to action", text: insertBeforeOptOut(text, asSentence(cta)) } }),
    });
  }
  const identity = ctx.senderIdentity?.trim();
  if (!hasSenderIdentity(text, identity)) {
    findings.push({
      severity: "error",
      code: "no-sender-identity",
      message: identity
        ? `Say who is texting and for whom, e.g. “This is ${identity}.”`
        : "Say who is texting and for whom, e.g. “This is Sam with Neighbors for Measure B.” " +
          "Set the campaign's sender identity to insert it in one click.",
      ...(identity && { fix: { label: "Introduce the sender", text: introduceSender(text, identity) } }),
    });
  }
  if (!hasOptOutLanguage(text)) {
    findings.push({
      severity: "error",
      code: "no-opt-out",
      message: `Say how to opt out: first messages must include “${OPT_OUT_SENTENCE}” or similar.`,
      fix: { label: `Add “${OPT_OUT_SENTENCE}”`, text: appendSentence(text, OPT_OUT_SENTENCE) },
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Links. Carriers filter links in first messages (Twilio error 30007), and public shorteners most
// of all, since spammers share their domains (CTIA Messaging Principles and Best Practices).

// Public shortener domains; a branded short domain of the campaign's own is fine.
export const PUBLIC_LINK_SHORTENERS = [
  "bit.ly",
  "tinyurl.com",
  "goo.gl",
  "ow.ly",
  "t.co",
  "is.gd",
  "v.gd",
  "buff.ly",
  "rebrand.ly",
  "cutt.ly",
  "shorturl.at",
  "rb.gy",
  "tiny.cc",
  "t.ly",
  "lnkd.in",
  "s.id",
];

// Bare domains count too: phones turn "vote.org/find" into a link. The TLD list keeps "e.g." out.
const TLDS = "com|org|net|us|gov|edu|io|co|cc|ly|gl|gd|gy|at|me|id|info|vote|link|app|site|page|to|in";
const WITH_SCHEME = String.raw`\b(?:https?:\/\/|www\.)[^\s<>"{}]+`;
const BARE_DOMAIN = String.raw`\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:${TLDS})(?![a-z0-9-])(?:\/[^\s<>"{}]*)?`;
const LINK = new RegExp(`${WITH_SCHEME}|${BARE_DOMAIN}`, "gi");

/** Links in the text as a phone would spot them, with where each starts, trailing punctuation left off. */
export function findLinkSpans(text: string): { link: string; index: number }[] {
  return [...text.matchAll(LINK)].map((match) => ({
    link: match[0].replace(/[.,!?;:)'"”’]+$/, ""),
    index: match.index,
  }));
}

/** Links in the text as a phone would spot them, trailing punctuation left off. */
export function findLinks(text: string): string[] {
  return findLinkSpans(text).map((span) => span.link);
}

function hostOf(link: string): string {
  return (
    link
      .replace(/^https?:\/\//i, "")
      .replace(/^www\./i, "")
      .split(/[/?#:]/)[0] ?? ""
  ).toLowerCase();
}

/** The public shortener a link goes through, or null. */
export function publicShortenerOf(link: string): string | null {
  const host = hostOf(link);
  return PUBLIC_LINK_SHORTENERS.find((domain) => host === domain || host.endsWith(`.${domain}`)) ?? null;
}

function lintLinks(text: string, kind: LintContext["kind"]): LintFinding[] {
  const links = findLinks(text);
  const shorteners = [...new Set(links.map(publicShortenerOf).filter((d): d is string => d !== null))];
  const findings: LintFinding[] = shorteners.map((domain) => ({
    severity: "warning",
    code: "link-shortener",
    message: `${domain} is a public link shortener: carriers block these more than any other link${
      kind === "initial" ? ", most of all in first messages" : ""
    }. Use the full link or your own branded short domain.`,
  }));
  if (kind === "initial" && links.some((link) => publicShortenerOf(link) === null)) {
    findings.push({
      severity: "warning",
      code: "link-in-first-message",
      message:
        "Links in a first message raise carrier filtering. " +
        "Ask for a reply first and send the link in a follow-up if you can.",
    });
  }
  return findings;
}

/**
 * Everything wrong with a script before launch, errors first. Each fix is computed against the
 * script as given: apply one, then lint again.
 */
export function lintScript(text: string, ctx: LintContext): LintFinding[] {
  if (!text.trim()) {
    const message = "The script is empty. Write the text volunteers will send.";
    return [{ severity: "error", code: "empty-script", message }];
  }
  const parsed = parseScript(text);
  const findings = [
    ...lintLength(text),
    ...parsed.errors.map(syntaxFinding),
    ...lintDoubleBraces(text),
    ...lintUnknownFields(text, parsed, ctx.knownFields),
    ...lintFieldCoverage(text, parsed, ctx),
    ...(ctx.kind === "initial" ? lintFirstMessage(text, ctx) : []),
    ...lintLinks(text, ctx.kind),
  ];
  return [...findings.filter((f) => f.severity === "error"), ...findings.filter((f) => f.severity === "warning")];
}
