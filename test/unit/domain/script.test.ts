import fc from "fast-check";
import {
  contactMergeValues,
  escapeScriptText,
  mergeFieldKey,
  mergeFieldsFor,
  parseScript,
  renderScript,
  STANDARD_FIELDS,
} from "../../../src/domain/script";
import {
  findLinks,
  hasCallToAction,
  hasOptOutLanguage,
  hasSenderIdentity,
  lintScript,
  type LintContext,
  type LintFinding,
  publicShortenerOf,
} from "../../../src/domain/script-lint";

const GOOD_FIRST_MESSAGE =
  "Hi {firstName|friend}, this is Sam with Neighbors for Measure B. Can we count on your vote Nov 5? Reply STOP to opt out.";

const campaign: LintContext = {
  knownFields: mergeFieldsFor(["precinct", "Polling Place"]),
  kind: "initial",
  callToAction: "Can we count on your vote Nov 5?",
  senderIdentity: "Sam with Neighbors for Measure B",
};

const codes = (findings: LintFinding[]): string[] => findings.map((finding) => finding.code);
const finding = (findings: LintFinding[], code: string): LintFinding => {
  const found = findings.find((f) => f.code === code);
  if (!found) throw new Error(`no ${code} in ${JSON.stringify(codes(findings))}`);
  return found;
};

describe("parseScript", () => {
  it("splits text and fields, with the markup's offsets", () => {
    expect(parseScript("Hi {firstName|friend}!")).toEqual({
      parts: [
        { kind: "text", text: "Hi ", offset: 0 },
        { kind: "field", name: "firstName", key: "firstname", fallback: "friend", offset: 3, length: 18 },
        { kind: "text", text: "!", offset: 21 },
      ],
      errors: [],
    });
  });

  it("reads field names with spaces and trims around names and fallbacks", () => {
    const [field] = parseScript("{ Polling Place | the library }").parts;
    expect(field).toMatchObject({ kind: "field", name: "Polling Place", key: "pollingplace", fallback: "the library" });
  });

  it("matches names regardless of case, spaces, _ and -", () => {
    const keys = ["Polling Place", "pollingPlace", "polling_place", "POLLING-PLACE", "polling.place"].map(
      mergeFieldKey,
    );
    expect(new Set(keys)).toEqual(new Set(["pollingplace"]));
  });

  it("reads {{ and }} as literal braces", () => {
    expect(parseScript("a {{b}} c")).toEqual({ parts: [{ kind: "text", text: "a {b} c", offset: 0 }], errors: [] });
  });

  it("reports an unclosed field where it opens", () => {
    const { errors } = parseScript("Hi {firstName, it's Sam");
    expect(errors).toEqual([expect.objectContaining({ code: "unclosed-field", offset: 3, length: 20 })]);
  });

  it("ends an unclosed field at a new brace or a line break", () => {
    expect(parseScript("Hi {firstName {lastName}").errors).toEqual([
      expect.objectContaining({ code: "unclosed-field", offset: 3, length: 11 }),
    ]);
    expect(parseScript("Hi {firstName\nBye}").errors.map((e) => e.code)).toEqual([
      "unclosed-field",
      "stray-close-brace",
    ]);
  });

  it("reports a } with no {", () => {
    expect(parseScript("Vote! }").errors).toEqual([
      expect.objectContaining({ code: "stray-close-brace", offset: 6, length: 1 }),
    ]);
  });

  it("reports empty fields, bad names and empty fallbacks", () => {
    expect(parseScript("{} {|friend} { }").errors.map((e) => e.code)).toEqual([
      "empty-field",
      "empty-field",
      "empty-field",
    ]);
    expect(parseScript("{first#name} {2024 vote}").errors.map((e) => e.code)).toEqual([
      "invalid-field-name",
      "invalid-field-name",
    ]);
    expect(parseScript("{firstName|}").errors).toEqual([
      expect.objectContaining({ code: "empty-fallback", offset: 0, length: 12 }),
    ]);
  });
});

describe("renderScript", () => {
  it("fills fields and uses fallbacks for contacts without a value", () => {
    expect(renderScript("Hi {firstName|friend}, vote at {Polling Place}.", { "polling place": "the library" })).toEqual(
      {
        text: "Hi friend, vote at the library.",
        missing: [],
        errors: [],
      },
    );
  });

  it("matches values to fields regardless of how the name is written", () => {
    expect(renderScript("{pollingPlace} / {POLLING_PLACE}", { "Polling Place": "Library" }).text).toBe(
      "Library / Library",
    );
  });

  it("reports a field with no value and no fallback, and renders nothing to send", () => {
    expect(renderScript("Hi {firstName}, your precinct is {precinct}. {firstName}!", { firstName: "Ana" })).toEqual({
      text: "",
      missing: ["precinct"],
      errors: [],
    });
  });

  it("treats blank, 'null' and 'undefined' values as absent", () => {
    for (const value of ["", "   ", "null", "undefined", "NULL", null, undefined]) {
      expect(renderScript("Hi {firstName|friend}", { firstName: value }).text).toBe("Hi friend");
      expect(renderScript("Hi {firstName}", { firstName: value }).missing).toEqual(["firstName"]);
    }
  });

  it("trims values", () => {
    expect(renderScript("Hi {firstName}!", { firstName: "  Ana " }).text).toBe("Hi Ana!");
  });

  it("holds every contact back from a script with syntax errors", () => {
    const rendered = renderScript("Hi {firstName, vote!", { firstName: "Ana" });
    expect(rendered.text).toBe("");
    expect(rendered.missing).toEqual(["{firstName, vote!"]);
    expect(rendered.errors.map((e) => e.code)).toEqual(["unclosed-field"]);
  });

  const fieldNames = ["firstName", "first name", "lastName", "Polling Place", "precinct", "zip"];
  const maybeValue = fc.option(
    fc.constantFrom("Ana", "María José", "", "  ", "null", "undefined", "NaN", "Library #4"),
    {
      nil: undefined,
    },
  );
  const literal = fc.stringMatching(/^[abc ,.!?']{0,12}$/);
  const field = fc.record({
    name: fc.constantFrom(...fieldNames),
    fallback: fc.option(fc.constantFrom("friend", "there")),
  });
  const script = fc.array(fc.oneof(literal, field), { maxLength: 8 });
  const toText = (pieces: (string | { name: string; fallback: string | null })[]): string =>
    pieces
      .map((p) => (typeof p === "string" ? p : p.fallback === null ? `{${p.name}}` : `{${p.name}|${p.fallback}}`))
      .join("");

  it("never outputs undefined, null or an unrendered field", () => {
    fc.assert(
      fc.property(script, fc.dictionary(fc.constantFrom(...fieldNames), maybeValue), (pieces, values) => {
        const { text, missing } = renderScript(toText(pieces), values);
        expect(text).not.toMatch(/undefined|null|[{}]/i);
        if (missing.length > 0) expect(text).toBe("");
      }),
    );
  });

  it("misses nothing when every field has a value", () => {
    const value = fc.constantFrom("Ana", "Library #4", "94110");
    fc.assert(
      fc.property(script, fc.tuple(...fieldNames.map(() => value)), (pieces, given) => {
        const values = Object.fromEntries(fieldNames.map((name, i) => [name, given[i]]));
        const rendered = renderScript(toText(pieces), values);
        expect(rendered.missing).toEqual([]);
        expect(rendered.text.length).toBeGreaterThanOrEqual(
          pieces.filter((p) => typeof p === "string").join("").length,
        );
      }),
    );
  });

  it("renders escaped text back exactly", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("{", "}", "|", "a", " ", "\n", "😀") }), (text) => {
        expect(parseScript(escapeScriptText(text)).errors).toEqual([]);
        expect(renderScript(escapeScriptText(text), {})).toEqual({ text, missing: [], errors: [] });
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(renderScript(escapeScriptText(text), { firstName: "Ana" }).text).toBe(text);
      }),
    );
  });
});

describe("merge values", () => {
  it("lists the standard fields, without the phone", () => {
    expect(STANDARD_FIELDS).toEqual(["firstName", "lastName", "zip", "state", "lastTag", "lastReplyDate"]);
  });

  it("adds custom columns that are usable field names, once", () => {
    expect(
      mergeFieldsFor(["precinct", " Polling Place ", "First Name", "precinct", "2024 vote", "Ward No.", "#"]),
    ).toEqual([...STANDARD_FIELDS, "precinct", "Polling Place", "Ward No."]);
  });

  it("maps a contact to its merge values", () => {
    expect(
      contactMergeValues(
        {
          firstName: " Ana ",
          lastName: null,
          zip: "94110",
          state: "CA",
          customFields: {
            precinct: "12B",
            "Polling Place": "Library",
            turnout: 3,
            voted: true,
            notes: { a: 1 },
            blank: "",
          },
          lastTag: "pledged to vote",
          lastReplyAt: new Date("2024-11-04T06:00:00Z"),
        },
        { timeZone: "America/Los_Angeles" },
      ),
    ).toEqual({
      firstName: "Ana",
      lastName: null,
      zip: "94110",
      state: "CA",
      lastTag: "pledged to vote",
      lastReplyDate: "Nov 3",
      precinct: "12B",
      "Polling Place": "Library",
      turnout: "3",
      voted: "true",
      notes: null,
      blank: null,
    });
  });

  it("shows dates in UTC without a time zone, and for an unknown one", () => {
    const contact = { lastReplyAt: new Date("2024-11-04T06:00:00Z") };
    expect(contactMergeValues(contact).lastReplyDate).toBe("Nov 4");
    expect(contactMergeValues(contact, { timeZone: "Mars/Olympus" }).lastReplyDate).toBe("Nov 4");
  });

  it("never lets a custom column override a standard field", () => {
    const values = contactMergeValues({ firstName: "Ana", customFields: { "first name": "Bob", FIRSTNAME: "Cy" } });
    expect(values).toEqual(expect.objectContaining({ firstName: "Ana" }));
    expect(renderScript("Hi {firstName}", values).text).toBe("Hi Ana");
    expect(renderScript("Hi {firstName|friend}", contactMergeValues({ customFields: { firstName: "Bob" } })).text).toBe(
      "Hi friend",
    );
  });
});

describe("lintScript", () => {
  it("passes a first message with a sender, a call to action and opt-out language", () => {
    expect(lintScript(GOOD_FIRST_MESSAGE, campaign)).toEqual([]);
  });

  it("names the nearest field for an unknown one, with a fix", () => {
    const found = finding(lintScript("Hi {fristName|friend}! " + GOOD_FIRST_MESSAGE, campaign), "unknown-field");
    expect(found).toMatchObject({
      severity: "error",
      message: "{fristName} is not a field. Did you mean {firstName}?",
    });
    expect(found.fix?.text).toBe("Hi {firstName|friend}! " + GOOD_FIRST_MESSAGE);
  });

  it("lists the fields when nothing is close", () => {
    const found = finding(lintScript("{shoeSize}", { ...campaign, kind: "follow_up" }), "unknown-field");
    expect(found.message).toMatch(/^\{shoeSize\} is not a field\. Fields you can use: \{firstName\}, \{lastName\}/);
    expect(found.fix).toBeUndefined();
  });

  it("accepts custom columns however their name is written", () => {
    const followUp = { ...campaign, kind: "follow_up" as const };
    expect(lintScript("Vote at {Polling Place|your polling place}, {polling_place|x}", followUp)).toEqual([]);
  });

  describe("fields some contacts lack", () => {
    const coverage = { ...campaign, kind: "follow_up" as const, audienceSize: 2000 };

    it("warns how many contacts will be held back, with a fallback fix for first names", () => {
      const found = finding(
        lintScript("Hi {firstName}, see you {firstName|x}", { ...coverage, fieldCoverage: { firstName: 1688 } }),
        "field-missing-for-some",
      );
      expect(found.severity).toBe("warning");
      expect(found.message).toBe(
        "312 of 2,000 contacts have no {firstName} and will be held back. " +
          "Add a fallback like {firstName|friend} to text them too.",
      );
      expect(found.fix?.text).toBe("Hi {firstName|friend}, see you {firstName|x}");
    });

    it("suggests a fallback in words for other fields", () => {
      const found = finding(
        lintScript("Vote at {pollingPlace}", { ...coverage, fieldCoverage: { "Polling Place": 1500 } }),
        "field-missing-for-some",
      );
      expect(found.message).toContain("{pollingPlace|your polling place}");
      expect(found.fix).toBeUndefined();
    });

    it("blocks a field no contact has", () => {
      const findings = lintScript("Precinct {precinct}", { ...coverage, fieldCoverage: { precinct: 0 } });
      const found = finding(findings, "field-missing-for-all");
      expect(found.severity).toBe("error");
      expect(found.message).toContain("all 2,000 would be held back");
    });

    it("says nothing when every contact has it, or the field has a fallback", () => {
      expect(lintScript("Hi {firstName}", { ...coverage, fieldCoverage: { firstName: 2000 } })).toEqual([]);
      expect(lintScript("Hi {firstName|friend}", { ...coverage, fieldCoverage: { firstName: 10 } })).toEqual([]);
    });
  });

  describe("call to action", () => {
    it("blocks a first message without one and inserts the campaign's before the opt-out", () => {
      const script = "Hi {firstName|friend}, this is Sam with Neighbors for Measure B. Reply STOP to opt out.";
      const found = finding(lintScript(script, campaign), "no-call-to-action");
      expect(found.severity).toBe("error");
      expect(found.fix?.text).toBe(GOOD_FIRST_MESSAGE);
    });

    it("offers no fix when the campaign has no call to action", () => {
      const script = "Hi, this is Sam with Neighbors for Measure B. Reply STOP to opt out.";
      const found = finding(lintScript(script, { ...campaign, callToAction: null }), "no-call-to-action");
      expect(found.fix).toBeUndefined();
    });

    it("counts the campaign's text, any link, a question or a reply ask", () => {
      expect(hasCallToAction("can we count on your vote nov 5", "Can we count on your vote Nov 5?")).toBe(true);
      expect(hasCallToAction("Find your polling place: vote.org/find")).toBe(true);
      expect(hasCallToAction("Will you vote for Measure B?")).toBe(true);
      expect(hasCallToAction("Reply YES to volunteer or STOP to opt out.")).toBe(true);
      expect(hasCallToAction("Let us know if you need a ride.")).toBe(true);
    });

    it("does not count the opt-out sentence as a reply ask", () => {
      expect(hasCallToAction("Vote Measure B. Reply STOP to opt out.")).toBe(false);
      expect(hasCallToAction("Vote Measure B. Text STOP to quit")).toBe(false);
    });
  });

  describe("sender identification", () => {
    it("blocks a first message that does not say who is texting, and introduces the sender after the greeting", () => {
      const script = "Hi {firstName|friend}, can we count on your vote Nov 5? Reply STOP to opt out.";
      const found = finding(lintScript(script, campaign), "no-sender-identity");
      expect(found.severity).toBe("error");
      expect(found.fix?.text).toBe(GOOD_FIRST_MESSAGE);
    });

    it("puts the introduction first when there is no greeting", () => {
      const ask = "Can we count on your vote? Reply STOP to opt out.";
      const found = finding(lintScript(ask, campaign), "no-sender-identity");
      expect(found.fix?.text).toBe(`This is Sam with Neighbors for Measure B. ${ask}`);
      const hello = finding(lintScript(`Hello! ${ask}`, campaign), "no-sender-identity");
      expect(hello.fix?.text).toBe(`Hello! This is Sam with Neighbors for Measure B. ${ask}`);
    });

    it("accepts the organization when another volunteer's name is used", () => {
      expect(hasSenderIdentity("This is Pat from neighbors for measure B.", "Sam with Neighbors for Measure B")).toBe(
        true,
      );
      expect(hasSenderIdentity("This is Pat.", "Sam with Neighbors for Measure B")).toBe(false);
    });

    it("looks for a self-introduction when the campaign has no sender identity", () => {
      expect(hasSenderIdentity("Hi, it’s Sam with Measure B", null)).toBe(true);
      expect(hasSenderIdentity("Vote Measure B", null)).toBe(false);
      const findings = lintScript("Vote? Reply STOP to opt out.", { ...campaign, senderIdentity: null });
      const found = finding(findings, "no-sender-identity");
      expect(found.fix).toBeUndefined();
    });
  });

  describe("opt-out language", () => {
    it("blocks a first message without it and appends it", () => {
      const script =
        "Hi {firstName|friend}, this is Sam with Neighbors for Measure B. Can we count on your vote Nov 5?";
      const found = finding(lintScript(script, campaign), "no-opt-out");
      expect(found.severity).toBe("error");
      expect(found.fix?.text).toBe(GOOD_FIRST_MESSAGE);
      expect(
        finding(lintScript("Hi, this is Sam with Neighbors for Measure B. Vote?!", campaign), "no-opt-out").fix?.text,
      ).toBe("Hi, this is Sam with Neighbors for Measure B. Vote?! Reply STOP to opt out.");
      expect(
        finding(lintScript("This is Sam with Neighbors for Measure B: vote.org", campaign), "no-opt-out").fix?.text,
      ).toBe("This is Sam with Neighbors for Measure B: vote.org Reply STOP to opt out.");
    });

    it("accepts STOP, opt out and unsubscribe wording", () => {
      const wordings = [
        "Reply STOP to opt out",
        "Text stop to end",
        "STOP2END",
        "To opt-out, reply X",
        "Unsubscribe: reply Q",
      ];
      for (const text of [...wordings, "Reply 'quit' to leave"]) {
        expect(hasOptOutLanguage(text)).toBe(true);
      }
      expect(hasOptOutLanguage("Can you stop by our office?")).toBe(false);
    });
  });

  it("applies no first-message rules to follow-ups", () => {
    expect(lintScript("Thanks {firstName|friend}!", { ...campaign, kind: "follow_up" })).toEqual([]);
  });

  it("gives a script every fix needs a clean lint", () => {
    let script = "Hi {firstName}, vote Nov 5";
    const ctx = { ...campaign, fieldCoverage: { firstName: 90 }, audienceSize: 100 };
    for (let round = 0; round < 10; round++) {
      const fixable = lintScript(script, ctx).find((f) => f.fix);
      if (!fixable?.fix) break;
      script = fixable.fix.text;
    }
    expect(lintScript(script, ctx)).toEqual([]);
    expect(script).toBe(
      "Hi {firstName|friend}, this is Sam with Neighbors for Measure B. Vote Nov 5. " +
        "Can we count on your vote Nov 5? Reply STOP to opt out.",
    );
  });

  describe("links", () => {
    it("warns about links in first messages, but not in follow-ups", () => {
      const findings = lintScript(`${GOOD_FIRST_MESSAGE} Details: https://measureb.org/vote`, campaign);
      const found = finding(findings, "link-in-first-message");
      expect(found.severity).toBe("warning");
      expect(lintScript("Details: https://measureb.org/vote", { ...campaign, kind: "follow_up" })).toEqual([]);
    });

    it("warns harder about public link shorteners, in any message", () => {
      const first = lintScript(`${GOOD_FIRST_MESSAGE} bit.ly/3xYz`, campaign);
      expect(codes(first)).toEqual(["link-shortener"]);
      expect(first[0]?.message).toMatch(/^bit\.ly is a public link shortener.*most of all in first messages/);
      const followUp = lintScript("More: https://tinyurl.com/abc and https://measureb.org", {
        ...campaign,
        kind: "follow_up",
      });
      expect(codes(followUp)).toEqual(["link-shortener"]);
    });

    it("finds links as phones do, bare domains included", () => {
      expect(
        findLinks("See e.g. vote.org/find, or https://x.com/a?b=1). Polls open 7 a.m. Nov. 5 in the U.S."),
      ).toEqual(["vote.org/find", "https://x.com/a?b=1"]);
      expect(["https://bit.ly/x", "t.co/abc", "www.tinyurl.com/y", "shorturl.at/q"].map(publicShortenerOf)).toEqual([
        "bit.ly",
        "t.co",
        "tinyurl.com",
        "shorturl.at",
      ]);
      expect(publicShortenerOf("https://go.measureb.org/x")).toBeNull();
    });
  });

  it("rejects texts over 1,600 characters", () => {
    const followUp = { ...campaign, kind: "follow_up" as const };
    expect(lintScript("a".repeat(1600), followUp)).toEqual([]);
    expect(lintScript("a".repeat(1601), followUp)).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "too-long",
        message: "This script is 1,601 characters; texts over 1,600 are rejected. Cut 1.",
      }),
    ]);
  });

  it("reports syntax errors and double braces as errors", () => {
    const followUp = { ...campaign, kind: "follow_up" as const };
    expect(codes(lintScript("Hi {firstName, bye\n}", followUp))).toEqual(["unclosed-field", "stray-close-brace"]);
    expect(codes(lintScript("Hi {first#name}", followUp))).toEqual(["invalid-field-name"]);
    const doubled = finding(lintScript("Hi {{firstName|friend}}!", followUp), "double-braces");
    expect(doubled.message).toBe(
      "{{firstName|friend}} would be sent with its braces. Merge fields take single braces: {firstName|friend}.",
    );
    expect(doubled.fix?.text).toBe("Hi {firstName|friend}!");
  });

  it("blocks an empty script", () => {
    expect(codes(lintScript("  \n", campaign))).toEqual(["empty-script"]);
  });

  it("lists errors before warnings", () => {
    const findings = lintScript("Hi {firstName}! bit.ly/x", {
      ...campaign,
      fieldCoverage: { firstName: 5 },
      audienceSize: 10,
    });
    const severities = findings.map((f) => f.severity);
    expect(severities).toEqual([...severities].sort());
    expect(severities).toContain("warning");
  });
});
