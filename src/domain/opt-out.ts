/**
 * Reading a voter's reply for an opt-out, an opt-in or a request for help.
 *
 * Law: 47 CFR 64.1200(a)(10) (FCC, in force since April 11, 2025): "stop", "quit", "end",
 * "revoke", "opt out", "cancel" or "unsubscribe" in a reply revokes consent, and so does any
 * other wording a reasonable person would read as "stop texting me".
 * Carrier: Twilio blocks a number itself only when the whole body is one of its keywords.
 *
 * The policy is asymmetric on purpose:
 * - Opt-out errs toward suppression. A false opt-out loses one voter (an admin can undo it);
 *   a missed one is a violation. It wins over opt-in and help in the same reply ("STOP. Help?").
 * - Opt-in errs toward silence. Only a bare START, YES or UNSTOP re-subscribes, because a false
 *   opt-in would text someone who asked us to stop. "Yes, I'll vote" is an ordinary reply.
 * - Help is only a bare HELP or INFO: "Help me find my polling place" is a question for a
 *   volunteer, not a request for the campaign's canned help text.
 *
 * Decisions on ambiguous replies (each has a row in the tests):
 * - Case, spacing, punctuation, accents and spelled-out letters do not matter:
 *   "Stop.", "STOP!!", " stop ", "S T O P", "s.t.o.p", "ＳＴＯＰ" are all STOP.
 * - "stop" anywhere is an opt-out ("Please STOP sending these", "Yes. Stop."), except in a
 *   few everyday idioms: "stop by/in/over/off", "bus/pit/rest... stop", "stop sign",
 *   "don't/can't stop". An idiom spares "stop" only when its clause says nothing about texting,
 *   messaging or calling: "I can't stop smiling" is a reply, "I can't stop these texts" is not.
 * - "stop" aimed at a political target ("stop the tax hike") still suppresses: we do not
 *   guess at objects, and the thread shows the opt-out so a volunteer can ask an admin to undo.
 * - Negation is not parsed beyond those idioms: "Don't stop texting me!" suppresses.
 * - UNSUBSCRIBE, OPT OUT, STOPALL and REVOKE count anywhere. QUIT, END, CANCEL and REMOVE
 *   count when a clause is just that word (with "please", "now", "thanks"...) or when they
 *   govern texting ("quit texting me", "remove me"): they are everyday words, so "end of the
 *   day works" and "cancel my appointment?" are ordinary replies.
 * - Typos: a whole reply one keystroke from STOP ("stpo", "sotp", "stp", "top") is STOP;
 *   inside a sentence only spelled-out forms count ("stpo", "stahp", "stooop"), since one
 *   keystroke from "stop" are "step", "shop" and "top". Anything within two keystrokes of
 *   "unsubscribe" counts anywhere ("unsubscibe", "unsuscribe"); "unsubtle" does not.
 * - Asking to stop without the word stop: "remove me", "take me off your list", "lose my
 *   number", "leave me alone", "don't text me again", "no more texts", "not interested",
 *   "no thanks" / "no gracias" (as the whole reply), spam or harassment complaints, "I'm blocking you".
 * - "Wrong number" (or "wrong person", "no one here by that name") suppresses the number:
 *   whoever has it never agreed to hear from us, and reassigned numbers are a known TCPA trap.
 * - Hostile replies aimed at us ("f*** off", "screw you", "go away", 🖕) suppress; profanity
 *   about a candidate ("f*** that guy") does not by itself.
 * - A stop sign (🛑, ⛔, 🚫) anywhere is STOP.
 * - Spanish (ALTO, PARAR, PARA, BASTA, BAJA, CANCELAR, "no me escriban", "número
 *   equivocado", "no más mensajes"), French ARRÊT (Twilio's own list in Canada) and Chinese 退订
 *   are opt-outs; a US campaign reaches voters who write in them.
 * - Left for a volunteer (null): "Who is this?", "How did you get my number?", a bare "No"
 *   (a survey answer), "I'll vote yes", "stop by at 5?".
 */

// Twilio's default keywords, answered by Twilio itself when they are the whole (trimmed) body.
export const TWILIO_OPT_OUT_KEYWORDS = ["stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"];
export const TWILIO_OPT_IN_KEYWORDS = ["start", "yes", "unstop"];
export const TWILIO_HELP_KEYWORDS = ["help", "info"];

const TWILIO_KEYWORDS = new Set([...TWILIO_OPT_OUT_KEYWORDS, ...TWILIO_OPT_IN_KEYWORDS, ...TWILIO_HELP_KEYWORDS]);

/**
 * True when Twilio answers this body itself, so we must not send our own confirmation (it
 * would fail with 21610). Assumes the Messaging Service's default keywords; when the inbound
 * webhook carries `OptOutType`, that is Twilio's own word on it.
 */
export function isTwilioKeyword(body: string): boolean {
  return TWILIO_KEYWORDS.has(body.trim().toLowerCase());
}

export function classifyReply(body: string): "opt-out" | "opt-in" | "help" | null {
  const reply = readReply(body);
  if (OPT_OUT_RULES.some((rule) => rule(reply))) return "opt-out";
  if (OPT_IN_REPLIES.has(reply.compact)) return "opt-in";
  if (HELP_REPLIES.has(core(reply.words))) return "help";
  return null;
}

// ---------------------------------------------------------------------------------------------
// The words of each rule

/** Only a reply whose letters are exactly one of these re-subscribes: strict, see above. */
const OPT_IN_REPLIES = new Set(TWILIO_OPT_IN_KEYWORDS);

const HELP_REPLIES = new Set([...TWILIO_HELP_KEYWORDS, "ayuda", "informacion"]);

/** A clause that is only one of these (give or take courtesy words), or a whole reply that spells one, is an opt-out. */
const OPT_OUT_CLAUSES = new Set([
  ...TWILIO_OPT_OUT_KEYWORDS,
  "optout",
  "unsub",
  "remove",
  "enough",
  "nomore",
  "blocked",
  "nothanks",
  "nothankyou",
  "nogracias",
  "alto",
  "parar",
  "para",
  "pare",
  "paren",
  "basta",
  "baja",
  "cancelar",
  "detener",
  "nomas", // Spanish
  "arret",
  "arrete", // French, on Twilio's Canadian list
]);

/** Words that do not change what a short reply means: "Stop please", "Cancel now!", "No thanks". */
const COURTESY = new Set([
  "please",
  "pls",
  "plz",
  "now",
  "asap",
  "immediately",
  "right",
  "away",
  "already",
  "just",
  "thanks",
  "thank",
  "thx",
  "ty",
  "you",
  "u",
  "me",
  "it",
  "all",
  "ok",
  "okay",
  "again",
  "por",
  "favor",
  "ya",
  "gracias",
]);

/** Opt-out words that count wherever they appear. */
const OPT_OUT_WORDS = new Set([
  "stopall",
  "optout",
  "unsub",
  "unsubs",
  "revoke",
  "tcpa",
  "spam",
  "spamming",
  "spammer",
  "spammers",
  "spammy",
]);

/** Texting, messaging, calling: the things a voter asks us to stop doing. */
const CONTACT =
  "text|texts|texting|texted|txt|txts|txting|msg|msgs|message|messages|messaging|sms|" +
  "contact|contacting|call|calls|calling|email|emails|bother|bothering|" +
  "mensaje|mensajes|texto|textos";
const CONTACT_WORDS = new Set(CONTACT.split("|"));

/** Words that, followed closely by a contact word, ask us to stop ("stop" itself: see saysStop). */
const ENOUGH_OF = "quit|cease|end|cancel|no|dont|do not|never|nomore";
/** Words that may sit between the two: "don't ever send me any more texts". */
const FILLER =
  "me|us|ever|any|anymore|more|mas|these|those|this|the|your|ur|all|again|please|pls|you|u|to|" +
  "with|fucking|freaking|damn|send|sending|want|wanna|need|get|getting|receive|receiving|" +
  "quiero|recibir|another";

/** Opt-out phrases, matched against one clause's words joined by single spaces. */
const OPT_OUT_PHRASES = [
  `(?:${ENOUGH_OF})(?: (?:${FILLER})){0,4} (?:${CONTACT})`,
  "opt(?:ed|ing)?(?: me| us)? out",
  "(?:remove|delete|erase|lose|forget) (?:me|us|my number|this number|my name|my info|my information|my contact)",
  "(?:take|get) (?:me|us|my number|this number|my name) off",
  "(?:off|remove|removed|delete|deleted)(?: \\w+){0,4} lists?",
  "leave (?:me|us) (?:alone|be)",
  "not interested|no (?:me|nos) interesa",
  "wrong (?:number|num|no|person|guy|girl|lady|man|phone|contact)",
  "(?:no one|noone|nobody|no)(?: \\w+){0,2} by that name",
  "cease and desist",
  "(?:fuck|fck|fk|fuk|f|eff|piss|bugger|sod|buzz|back) off",
  "(?:fuck|fck|fk|fuk|f|screw) (?:you|u|ya|yourself|yourselves|off)",
  "go (?:away|to hell)|get lost",
  "(?:block|blocking|blocked) (?:you|u|this|your|ur)|(?:been|getting|youre|ur) blocked",
  "(?:report|reporting|reported) (?:you|u|this number|your number|ur number)",
  "harass\\w*",
  // Spanish: "darme de baja", "no me escriban", "dejen de mandar", "número equivocado", "sáquenme de la lista"
  "de baja",
  "no (?:me|nos) (?:escrib|envi|mand|contact|llam|molest|text)\\w*",
  "dej\\w* de (?:escrib|envi|mand|molest|text|llam)\\w*",
  "(?:numero|num) equivocado",
  "no molest\\w*",
  "(?:sac|saq|quit|borr|elimin)\\w*(?: \\w+){0,3} (?:lista|numero)",
  "desuscrib\\w*|desinscrib\\w*",
].map((source) => new RegExp(`(?:^| )(?:${source})(?= |$)`));

/** Emoji that say STOP on their own. */
const STOP_EMOJI = ["🛑", "⛔", "🚫", "🖕"];

/** Scripts without spaces between words, matched as they are typed. */
const OPT_OUT_SUBSTRINGS = ["退订"]; // Chinese "unsubscribe"

/** Spelled-out forms of "stop" that are not other English words. */
const STOP_SPELLINGS = new Set(["stop", "stpo", "sotp", "stp", "stahp", "stopit"]);

// Idioms in which "stop" does not mean "stop texting me".
const STOP_VISIT_AFTER = new Set(["by", "in", "over", "off"]); // "stop by the office"
const STOP_NOUN_AFTER = new Set(["sign", "signs", "light", "lights", "shop"]); // "stop sign"
const STOP_PLACE_BEFORE = new Set([
  "bus",
  "pit",
  "truck",
  "rest",
  "whistle",
  "one",
  "non",
  "full",
  "last",
  "next",
  "first",
  "train",
  "subway",
]); // "the bus stop", "non-stop", "full stop"
const STOP_CANT_BEFORE = new Set(["dont", "cant", "cannot", "couldnt"]); // "I can't stop smiling", "Don't stop!"

// ---------------------------------------------------------------------------------------------
// Reading a reply

interface Reply {
  /** The body as typed, for emoji and for scripts without spaces. */
  raw: string;
  /** The letters only, run together: "S.T.O.P!" → "stop", "opt-out" → "optout". */
  compact: string;
  /** Each sentence or comma-separated part, as lower-case words without accents or apostrophes. */
  clauses: string[][];
  words: string[];
}

function readReply(body: string): Reply {
  const folded = body
    .normalize("NFKC") // full-width and styled letters: "ＳＴＯＰ" → "STOP"
    .toUpperCase() // upper then lower folds ß, ſ, ı the same whatever case they were typed in
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{M}/gu, "") // accents: "número" → "numero", "arrêt" → "arret"
    .replace(/['’‘`´ʼ]/g, "") // apostrophes: "don't" → "dont"
    .replace(/#/g, " number "); // "wrong #"
  const clauses = folded
    .split(/[.!?;,:¡¿()"“”…\n\r]+/)
    .map(wordsOf)
    .filter((words) => words.length > 0);
  return { raw: body, compact: folded.replace(/[^\p{L}]/gu, ""), clauses, words: clauses.flat() };
}

/** Words are runs of letters; three or more single letters in a row are spelled out: "s t o p". */
function wordsOf(clause: string): string[] {
  const words: string[] = [];
  let letters: string[] = [];
  const endLetters = () => {
    if (letters.length >= 3) words.push(letters.join(""));
    else words.push(...letters);
    letters = [];
  };
  for (const word of clause.split(/[^\p{L}]+/u)) {
    if (word.length === 1) letters.push(word);
    else if (word.length > 1) {
      endLetters();
      words.push(word);
    }
  }
  endLetters();
  return words;
}

/** A clause without its courtesy words, run together: "Stop it now please" → "stop". */
function core(words: string[]): string {
  return words.filter((word) => !COURTESY.has(word)).join("");
}

// ---------------------------------------------------------------------------------------------
// The opt-out rules: any one of them is enough

type Rule = (reply: Reply) => boolean;

const OPT_OUT_RULES: Rule[] = [
  // A stop sign or a middle finger, anywhere.
  ({ raw }) => STOP_EMOJI.some((emoji) => raw.includes(emoji)),
  ({ raw }) => OPT_OUT_SUBSTRINGS.some((text) => raw.includes(text)),
  // The whole reply is a keyword however it is spaced or punctuated, or STOP with one typo.
  ({ compact }) => OPT_OUT_CLAUSES.has(compact) || editDistance(compact, "stop") <= 1,
  // One clause is a keyword: "Yes. Stop.", "Cancel please", "No more!".
  ({ clauses }) => clauses.some((words) => OPT_OUT_CLAUSES.has(core(words))),
  ({ words }) => words.some((word) => OPT_OUT_WORDS.has(word) || isUnsubscribe(word)),
  ({ clauses }) => clauses.some(saysStop),
  ({ clauses }) => clauses.some((words) => OPT_OUT_PHRASES.some((phrase) => phrase.test(words.join(" ")))),
];

function isUnsubscribe(word: string): boolean {
  // Starts with "u" so that "subscribe" (two edits away) does not count.
  return word.startsWith("unsubscr") || (word.startsWith("u") && editDistance(word, "unsubscribe") <= 2);
}

function isStop(word: string): boolean {
  return STOP_SPELLINGS.has(word) || (/^s+t+o+p+$/.test(word) && word !== "stoop");
}

/** "stop" outside an idiom, or inside one while the clause talks about texting. */
function saysStop(words: string[]): boolean {
  const aboutContact = words.some((word) => CONTACT_WORDS.has(word));
  return words.some((word, i) => isStop(word) && (aboutContact || !inIdiom(words, i)));
}

function inIdiom(words: string[], i: number): boolean {
  const before = words[i - 1] ?? "";
  const after = words[i + 1] ?? "";
  const doNot = before === "not" && words[i - 2] === "do";
  return (
    STOP_VISIT_AFTER.has(after) ||
    STOP_NOUN_AFTER.has(after) ||
    STOP_PLACE_BEFORE.has(before) ||
    STOP_CANT_BEFORE.has(before) ||
    doNot
  );
}

/** Edits (insert, delete, replace, swap two neighbours) between two words; 3 means "3 or more". */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const width = b.length + 1;
  const table = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number) => table[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) table[i * width] = i;
  for (let j = 0; j <= b.length; j++) table[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const replace = at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, replace);
      const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (swapped) best = Math.min(best, at(i - 2, j - 2) + 1);
      table[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}
