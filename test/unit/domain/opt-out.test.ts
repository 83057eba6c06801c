import fc from "fast-check";
import {
  TWILIO_HELP_KEYWORDS,
  TWILIO_OPT_IN_KEYWORDS,
  TWILIO_OPT_OUT_KEYWORDS,
  classifyReply,
  isTwilioKeyword,
} from "../../../src/domain/opt-out";

type Expected = ReturnType<typeof classifyReply>;

const REPLIES: Array<[body: string, expected: Expected]> = [
  // Twilio's keywords, however they are typed
  ["STOP", "opt-out"],
  [" stop ", "opt-out"],
  ["Stop.", "opt-out"],
  ["STOP!!", "opt-out"],
  ["s t o p", "opt-out"],
  ["S.T.O.P.", "opt-out"],
  ["ＳＴＯＰ", "opt-out"],
  ["Stop all", "opt-out"],
  ["STOPALL", "opt-out"],
  ["Unsubscribe", "opt-out"],
  ["cancel", "opt-out"],
  ["END", "opt-out"],
  ["Quit!", "opt-out"],
  ["revoke", "opt-out"],
  ["OPTOUT", "opt-out"],
  ["opt-out", "opt-out"],
  ["Opt out", "opt-out"],
  // Typos
  ["stpo", "opt-out"],
  ["Sotp", "opt-out"],
  ["stp", "opt-out"],
  ["Stooooop", "opt-out"],
  ["unsubscibe", "opt-out"],
  ["Unsuscribe me", "opt-out"],
  ["stahp texting me", "opt-out"],
  // Stop inside a sentence, and other ways of asking
  ["Please STOP sending these", "opt-out"],
  ["please stop", "opt-out"],
  ["Stop texting me", "opt-out"],
  ["stop messaging", "opt-out"],
  ["Yes. Stop.", "opt-out"],
  ["STOP. Help?", "opt-out"],
  ["Help! Stop!", "opt-out"],
  ["Cancel please", "opt-out"],
  ["remove me from your list", "opt-out"],
  ["Take me off your list.", "opt-out"],
  ["Please take my number off your texting list", "opt-out"],
  ["Unsubscribe me", "opt-out"],
  ["don't text me again", "opt-out"],
  ["Do not contact me", "opt-out"],
  ["Never text this number again", "opt-out"],
  ["Quit texting me", "opt-out"],
  ["No more texts", "opt-out"],
  ["I don't want any more messages from you", "opt-out"],
  ["leave me alone", "opt-out"],
  ["Lose my number", "opt-out"],
  ["wrong number", "opt-out"],
  ["Wrong #", "opt-out"],
  ["Sorry, wrong person. No one here by that name", "opt-out"],
  ["Not interested", "opt-out"],
  ["No thanks", "opt-out"],
  ["No, gracias", "opt-out"],
  ["Please don't text while I'm at work, call instead", "opt-out"], // negation again
  ["This is spam", "opt-out"],
  ["I'm reporting this number", "opt-out"],
  ["Blocking you now", "opt-out"],
  ["Stop harassing me", "opt-out"],
  ["I opted out already!", "opt-out"],
  ["Enough already", "opt-out"],
  ["I can't stop these texts from coming", "opt-out"],
  ["Don't stop texting me!", "opt-out"], // negation is not parsed: err toward suppression
  ["Stop the steal!", "opt-out"], // political "stop" suppresses too, see the module's policy
  // Hostile replies aimed at us
  ["f*** off stop", "opt-out"],
  ["F off", "opt-out"],
  ["Screw you", "opt-out"],
  ["go away", "opt-out"],
  ["🖕", "opt-out"],
  // Emoji and other languages
  ["🛑", "opt-out"],
  ["⛔️⛔️", "opt-out"],
  ["ALTO", "opt-out"],
  ["parar", "opt-out"],
  ["Baja", "opt-out"],
  ["Basta ya!", "opt-out"],
  ["Quiero darme de baja", "opt-out"],
  ["No me manden más mensajes", "opt-out"],
  ["Número equivocado", "opt-out"],
  ["Arrêt", "opt-out"],
  ["退订", "opt-out"],

  // Opt-in: only the bare keyword
  ["START", "opt-in"],
  ["Yes", "opt-in"],
  ["yes!", "opt-in"],
  ["  Unstop  ", "opt-in"],
  ["Yes please", null],
  ["Yes, I'll vote for her", null],
  ["I'll vote yes", null],
  ["Yes stop", "opt-out"],
  ["Start over", null],

  // Help: only the bare keyword
  ["HELP", "help"],
  ["help?", "help"],
  ["Info please", "help"],
  ["Ayuda", "help"],
  ["Help me find my polling place", null],
  ["More info on the candidate?", null],

  // Ordinary replies a volunteer should answer
  ["Who is this?", null],
  ["How did you get my number?", null],
  ["No", null],
  ["Maybe, depends on the weather", null],
  ["Thank you!", null],
  ["stop by at 5?", null],
  ["Can you stop by the office tomorrow?", null],
  ["Don't stop!", null],
  ["I can't stop smiling", null],
  ["I'm at the bus stop, can I call you later?", null],
  ["Keep going, don't stop fighting", null],
  ["end of the day works", null],
  ["The end", null],
  ["cancel my appointment?", null],
  ["I had to quit my job last month", null],
  ["Don't forget to text me the address", null],
  ["How do I subscribe to updates?", null],
  ["That's an unsubtle ad", null],
  ["We need a cease fire now", null],
  ["F*** that guy, I'm voting for you", null],
  ["Voy a votar para ella", null],
  ["👍", null],
  ["", null],
];

describe("classifyReply", () => {
  it.each(REPLIES)("reads %j as %s", (body, expected) => {
    expect(classifyReply(body)).toBe(expected);
  });

  it("has a realistic table", () => {
    expect(REPLIES.length).toBeGreaterThanOrEqual(60);
  });

  it("reads every Twilio keyword as Twilio does", () => {
    for (const keyword of TWILIO_OPT_OUT_KEYWORDS) expect(classifyReply(keyword)).toBe("opt-out");
    for (const keyword of TWILIO_OPT_IN_KEYWORDS) expect(classifyReply(keyword)).toBe("opt-in");
    for (const keyword of TWILIO_HELP_KEYWORDS) expect(classifyReply(keyword)).toBe("help");
  });
});

describe("isTwilioKeyword", () => {
  it.each([
    "STOP",
    "stop",
    " Stop\n",
    "STOPALL",
    "unsubscribe",
    "Cancel",
    "END",
    "quit",
    "REVOKE",
    "optout",
    "START",
    "yes",
    "UNSTOP",
    "help",
    "INFO",
  ])("is true for %j, which Twilio answers itself", (body) => expect(isTwilioKeyword(body)).toBe(true));

  it.each(["Stop please", "STOP.", "stop texting me", "opt out", "s t o p", "yes, I will", "", "stpo"])(
    "is false for %j, which we must confirm ourselves",
    (body) => expect(isTwilioKeyword(body)).toBe(false),
  );
});

// ---------------------------------------------------------------------------------------------
// Properties

const WORDS = [
  "stop",
  "yes",
  "start",
  "help",
  "info",
  "end",
  "cancel",
  "quit",
  "no",
  "please",
  "me",
  "text",
  "texting",
  "vote",
  "by",
  "bus",
  "dont",
  "don't",
  "can't",
  "remove",
  "list",
  "wrong",
  "number",
  "who",
  "is",
  "this",
  "the",
  "polling",
  "place",
  "thanks",
  "alto",
  "baja",
  "I",
  "s",
  "t",
  "o",
  "p",
];
const SEPARATORS = [" ", "  ", ". ", ", ", "! ", "? ", "\n", "-", "'"];

/** Sentences made of words that matter to the classifier, joined any which way. */
const sentence = fc
  .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...SEPARATORS)), { maxLength: 8 })
  .map((parts) => parts.map(([word, separator]) => word + separator).join(""));

const anyBody = fc.oneof(sentence, fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }));
const whitespace = fc.array(fc.constantFrom(" ", "\t", "\n", "\r", "\u00a0"), { maxLength: 4 }).map((s) => s.join(""));
const keywordIn = (keywords: string[]) => fc.mixedCase(fc.constantFrom(...keywords));

const OPT_OUT_PHRASES = [
  "stop texting me",
  "please remove me from your list",
  "take me off your list",
  "unsubscribe me",
  "don't text me again",
  "do not contact me",
  "leave me alone",
  "wrong number",
  "no more texts",
  "lose my number",
  "not interested",
];

describe("classifyReply properties", () => {
  it("ignores surrounding whitespace and letter case", () => {
    fc.assert(
      fc.property(anyBody, whitespace, whitespace, (body, before, after) => {
        const expected = classifyReply(body);
        expect(classifyReply(before + body + after)).toBe(expected);
        expect(classifyReply(body.toUpperCase())).toBe(expected);
        expect(classifyReply(body.toLowerCase())).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads a bare Twilio keyword in any case and padding as Twilio does", () => {
    const padded = (keywords: string[]) =>
      fc.tuple(whitespace, keywordIn(keywords), whitespace).map(([before, keyword, after]) => before + keyword + after);
    fc.assert(
      fc.property(padded(TWILIO_OPT_OUT_KEYWORDS), (body) => {
        expect(classifyReply(body)).toBe("opt-out");
        expect(isTwilioKeyword(body)).toBe(true);
      }),
    );
    fc.assert(fc.property(padded(TWILIO_OPT_IN_KEYWORDS), (body) => expect(classifyReply(body)).toBe("opt-in")));
    fc.assert(fc.property(padded(TWILIO_HELP_KEYWORDS), (body) => expect(classifyReply(body)).toBe("help")));
  });

  it("reads an opt-out phrase after anything as an opt-out", () => {
    fc.assert(
      fc.property(anyBody, fc.constantFrom(" ", "\n", ". "), keywordIn(OPT_OUT_PHRASES), (text, separator, phrase) => {
        expect(classifyReply(text + separator + phrase)).toBe("opt-out");
      }),
      { numRuns: 2000 },
    );
  });

  it("reads an opt-out keyword as a new sentence after anything as an opt-out", () => {
    fc.assert(
      fc.property(
        anyBody,
        fc.constantFrom(". ", "! ", "\n"),
        keywordIn(TWILIO_OPT_OUT_KEYWORDS),
        (text, separator, keyword) => {
          expect(classifyReply(text + separator + keyword)).toBe("opt-out");
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("re-subscribes only on a bare opt-in keyword", () => {
    const lettersOf = (body: string) => body.toLowerCase().replace(/[^a-z]/g, "");
    fc.assert(
      fc.property(fc.oneof(sentence, fc.string()), (body) => {
        if (classifyReply(body) === "opt-in") expect(TWILIO_OPT_IN_KEYWORDS).toContain(lettersOf(body));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(keywordIn(TWILIO_OPT_IN_KEYWORDS), fc.stringMatching(/^[a-z]{2,}$/), (keyword, word) => {
        expect(classifyReply(`${keyword} ${word}`)).not.toBe("opt-in");
        expect(classifyReply(`${word} ${keyword}`)).not.toBe("opt-in");
      }),
    );
  });

  it("leaves our confirmation to us whenever the body is more than a keyword", () => {
    const keywords = [...TWILIO_OPT_OUT_KEYWORDS, ...TWILIO_OPT_IN_KEYWORDS, ...TWILIO_HELP_KEYWORDS];
    fc.assert(
      fc.property(keywordIn(keywords), fc.stringMatching(/^[a-z.!?]{1,8}$/), (keyword, extra) => {
        expect(isTwilioKeyword(`${keyword} ${extra}`)).toBe(false);
        expect(isTwilioKeyword(`${keyword}${extra}`)).toBe(keywords.includes(`${keyword}${extra}`.toLowerCase()));
      }),
    );
  });
});
