import fc from "fast-check";
import {
  DEFAULT_FREQUENCY_CAP,
  defaultHelpText,
  EMPTY_CAMPAIGN_FORM,
  validateCampaignForm,
  type CampaignForm,
} from "../../../src/domain/campaign-form";
import { presetOf, SEND_WINDOW_PRESET_IDS, SEND_WINDOW_PRESETS } from "../../../src/domain/send-window-presets";
import { DEFAULT_SEND_WINDOW, WEEKDAYS } from "../../../src/domain/quiet-hours";
import { mergeFieldsFor } from "../../../src/domain/script";
import { hasCallToAction, hasOptOutLanguage, hasSenderIdentity } from "../../../src/domain/script-lint";

const ctx = { knownFields: mergeFieldsFor(["Ward", "Polling Place"]) };

const VALID: CampaignForm = {
  ...EMPTY_CAMPAIGN_FORM,
  name: "  GOTV   Nov 3 ",
  goalType: "turnout",
  goalTarget: "500",
  goalOutcomeTag: "Pledged to Vote",
  callToAction: "Can we count on your vote on Nov 3?",
  senderIdentity: "Sam with Neighbors for Measure B",
  scripts: [
    "Hi {firstName|friend}, this is Sam with Neighbors for Measure B. Can we count on your vote on Nov 3? Reply STOP to opt out.",
    "Hey {firstName|there}! Sam with Neighbors for Measure B here. Your polling place is {Polling Place|at your usual place}. Will you vote? Reply STOP to opt out.",
    "",
    "",
  ],
  followUps: ["Hi {firstName|friend}, just checking in: will you vote on Nov 3?", ""],
  channelId: "C0REPLIES",
  segmentId: "0190f0f0-0000-7000-8000-000000000001",
};

function problemsOf(form: Partial<CampaignForm>) {
  const result = validateCampaignForm({ ...VALID, ...form }, ctx);
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

describe("follow-up delays", () => {
  const followUps = [
    "Hi {firstName|friend}, just checking in: will you vote on Nov 3?",
    "Last one: polls open at 7. Will you vote?",
  ];

  it("save each follow-up with its delay, the defaults (2 and 5 days) when left empty", () => {
    const result = validateCampaignForm({ ...VALID, followUps, followUpDelays: ["3", ""] }, ctx);
    expect(result.ok && result.draft.followUps.map((f) => [f.label, f.delayDays])).toEqual([
      ["Follow-up 1", 3],
      ["Follow-up 2", 5],
    ]);
  });

  it("take whole days from 1 to 30, saying after which text", () => {
    expect(problemsOf({ followUps, followUpDelays: ["0", "40"] })).toMatchObject({
      followUpDelay1: "Enter the days after the first text from 1 to 30.",
      followUpDelay2: "Enter the days after follow-up 1 from 1 to 30.",
    });
  });

  it("refuse a second follow-up without a first", () => {
    expect(problemsOf({ followUps: ["", followUps[1]!] }).followUp2).toBe(
      "Write follow-up 1 first: follow-up 2 goes out after it.",
    );
  });

  it("warn when the cap would skip the last follow-ups for everyone", () => {
    const result = validateCampaignForm(
      { ...VALID, followUps, followUpDelays: ["1", "1"], capCount: "2", capDays: "7" },
      ctx,
    );
    expect(result.ok && result.warnings).toContainEqual(
      expect.stringMatching(
        /^Follow-ups: this campaign plans 3 texts within 2 days, but the cap allows 2 per 7 days: the last one will be skipped/,
      ),
    );
    const spaced = validateCampaignForm(
      { ...VALID, followUps, followUpDelays: ["4", "4"], capCount: "2", capDays: "7" },
      ctx,
    );
    expect(spaced.ok && spaced.warnings.some((w) => w.startsWith("Follow-ups:"))).toBe(false);
  });
});

describe("validateCampaignForm", () => {
  it("turns a complete form into a draft: names tidied, numbers read, empty variants left out", () => {
    const result = validateCampaignForm(VALID, ctx);
    expect(result).toMatchObject({
      ok: true,
      draft: {
        name: "GOTV Nov 3",
        goalType: "turnout",
        goalTarget: 500,
        goalOutcomeTag: "pledged to vote",
        sendWindow: "standard",
        frequencyCap: DEFAULT_FREQUENCY_CAP,
        helpText: "Texts from Sam with Neighbors for Measure B. Reply STOP to opt out.",
        mediaUrls: [],
        followUps: [{ label: "Follow-up 1", body: VALID.followUps[0] }],
      },
      inserted: [],
    });
    if (!result.ok) return;
    expect(result.draft.scripts.map((s) => s.label)).toEqual(["A", "B"]);
  });

  it("reports every required field left empty, each under its own field", () => {
    const result = validateCampaignForm({ ...EMPTY_CAMPAIGN_FORM, sendWindow: null, capCount: "", capDays: "" }, ctx);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.problems).sort()).toEqual(
      [
        "name",
        "goalType",
        "goalTarget",
        "goalOutcomeTag",
        "callToAction",
        "senderIdentity",
        "scriptA",
        "channel",
        "sendWindow",
        "capCount",
        "capDays",
        "segment",
      ].sort(),
    );
    expect(result.problems.scriptA).toBe("Write the first message volunteers will send (script A).");
    expect(result.problems.segment).toMatch(/\/segment new/);
  });

  it("names the nearest field for a misspelled merge field", () => {
    expect(
      problemsOf({
        scripts: [
          "Hi {frstName}, this is Sam with Neighbors for Measure B. Will you vote? Reply STOP to opt out.",
          "",
          "",
          "",
        ],
      }).scriptA,
    ).toBe("{frstName} is not a field. Did you mean {firstName}?");
    expect(problemsOf({ followUps: ["Hi {wrd}, will you vote?", ""] }).followUp1).toBe(
      "{wrd} is not a field. Did you mean {Ward}?",
    );
  });

  it("blocks a first message without opt-out language, sender or call to action, and offers to add them", () => {
    const bare = problemsOf({ scripts: ["Hi {firstName|friend}, the election is Nov 3.", "", "", ""] }).scriptA!;
    expect(bare).toMatch(/^No call to action/);
    expect(bare).toMatch(/Say who is texting/);
    expect(bare).toMatch(/tick “Add what's missing for me”/);
  });

  it("inserts what is missing when asked, and says what it added", () => {
    const result = validateCampaignForm(
      { ...VALID, addMissing: true, scripts: ["Hi {firstName|friend}, the election is Nov 3.", "", "", ""] },
      ctx,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const body = result.draft.scripts[0]!.body;
    expect(body).toBe(
      "Hi {firstName|friend}, this is Sam with Neighbors for Measure B. The election is Nov 3. Can we count on your vote on Nov 3? Reply STOP to opt out.",
    );
    expect(result.inserted).toEqual([
      "Script A: added the call to action",
      "Script A: added who is texting",
      "Script A: added “Reply STOP to opt out.”",
    ]);
  });

  it("rejects a variant identical to another, texts over 1,600 characters and literal double braces", () => {
    expect(problemsOf({ scripts: [VALID.scripts[0]!, ` ${VALID.scripts[0]!} `, "", ""] }).scriptB).toBe(
      "Script B is the same as script A. Change it to test something, or leave it empty.",
    );
    expect(problemsOf({ scripts: [`${VALID.scripts[0]!} ${"x".repeat(1_600)}`, "", "", ""] }).scriptA).toMatch(
      /texts over 1,600 are rejected/,
    );
    expect(
      problemsOf({ scripts: [VALID.scripts[0]!.replace("{firstName|friend}", "{{firstName}}"), "", "", ""] }).scriptA,
    ).toMatch(/would be sent with its braces/);
  });

  it("warns about links and shorteners in first messages without blocking the draft", () => {
    const result = validateCampaignForm(
      {
        ...VALID,
        scripts: [
          "This is Sam with Neighbors for Measure B. Find your polling place: bit.ly/x1 Reply STOP to opt out.",
          "",
          "",
          "",
        ],
      },
      ctx,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([expect.stringMatching(/^Script A: bit\.ly is a public link shortener/)]);
  });

  it("checks goals, caps, media and lengths with an example of what is expected", () => {
    const problems = problemsOf({
      goalType: "bake sale",
      goalTarget: "lots",
      capCount: "0",
      capDays: "365",
      mediaUrls: "http://example.org/flyer.jpg",
      senderIdentity: "x".repeat(121),
      name: "*launch*",
    });
    expect(problems).toEqual({
      goalType: "Pick what the campaign is for.",
      goalTarget:
        "Enter the goal as a whole number from 1 to 10,000,000. It is how many outcomes count as success, e.g. 500.",
      capCount: "Enter the number of texts from 1 to 10.",
      capDays: "Enter the number of days from 1 to 90.",
      mediaUrls:
        "“http://example.org/flyer.jpg” is not an https link. Twilio fetches media from public https links, one per line.",
      senderIdentity: "Keep this to 120 characters or fewer (it has 121).",
      name: expect.stringMatching(/^Start the name with a letter or number/),
    });
    expect(
      problemsOf({ mediaUrls: Array.from({ length: 11 }, (_, i) => `https://example.org/${i}.jpg`).join("\n") })
        .mediaUrls,
    ).toBe("A text carries at most 10 pictures or videos; links and files together make 11. Remove 1.");
  });

  it("warns when the frequency cap is looser than the default and when media makes texts MMS", () => {
    const result = validateCampaignForm(
      { ...VALID, capCount: "3", capDays: "1", mediaUrls: "https://example.org/flyer.jpg" },
      ctx,
    );
    expect(result.ok && result.warnings).toEqual([
      "Frequency cap: 3 texts per 1 day is looser than the default (3 per 7 days); some states allow only 3 solicitations per 24 hours.",
      expect.stringMatching(/^Media: picture messages/),
    ]);
    expect(validateCampaignForm({ ...VALID, capCount: "2", capDays: "14" }, ctx)).toMatchObject({
      ok: true,
      warnings: [],
    });
  });

  it("property: whatever is typed into the scripts, a saved first message identifies the sender, asks something and says how to opt out", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 200 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        (scripts, addMissing) => {
          const result = validateCampaignForm({ ...VALID, scripts, addMissing }, ctx);
          if (!result.ok) return;
          for (const s of result.draft.scripts) {
            expect(hasOptOutLanguage(s.body)).toBe(true);
            expect(hasSenderIdentity(s.body, VALID.senderIdentity)).toBe(true);
            expect(hasCallToAction(s.body, VALID.callToAction)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("sending-hour presets", () => {
  it("are never looser than the default window on any day", () => {
    for (const id of SEND_WINDOW_PRESET_IDS) {
      const policy = SEND_WINDOW_PRESETS[id].policy;
      for (const day of WEEKDAYS) {
        const window = policy[day];
        const allowed = DEFAULT_SEND_WINDOW[day]!;
        if (window) {
          expect(window.start).toBeGreaterThanOrEqual(allowed.start);
          expect(window.end).toBeLessThanOrEqual(allowed.end);
        }
      }
    }
  });

  it("are recognized again from a stored policy, the default included", () => {
    for (const id of SEND_WINDOW_PRESET_IDS)
      expect(presetOf(JSON.parse(JSON.stringify(SEND_WINDOW_PRESETS[id].policy)))).toBe(id);
    expect(presetOf(null)).toBe("standard");
    expect(presetOf({ ...DEFAULT_SEND_WINDOW, sunday: null })).toBeNull();
  });
});

describe("daily digest time", () => {
  it("saves the picked minute of the day, the default (9:30) when the form is new, and none when left empty", () => {
    const draftOf = (digestTime: string | null) => {
      const result = validateCampaignForm({ ...VALID, digestTime }, ctx);
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return result.draft.digestMinute;
    };
    expect(EMPTY_CAMPAIGN_FORM.digestTime).toBe("570");
    expect(draftOf("570")).toBe(570);
    expect(draftOf("1200")).toBe(1200);
    expect(draftOf(null)).toBeNull();
    expect(draftOf("")).toBeNull();
  });

  it("refuses anything but a minute of the day, under its own field", () => {
    for (const typed of ["1440", "-30", "9:30", "12.5", "soon"])
      expect(problemsOf({ digestTime: typed })).toEqual({
        digestTime: "Pick the time of the daily digest from the list.",
      });
  });
});

it("the default HELP answer says who is texting and how to stop", () => {
  expect(defaultHelpText("Sam with Neighbors for Measure B.")).toBe(
    "Texts from Sam with Neighbors for Measure B. Reply STOP to opt out.",
  );
  expect(defaultHelpText("")).toBe("Reply STOP to opt out.");
});

describe("attached files and text-only variants (A/B: media against text only)", () => {
  const photo = { id: "F1", name: "flyer.jpg", mimetype: "image/jpeg" };
  const clip = { id: "F2", name: "rally.mp4", mimetype: "video/mp4" };

  it("keeps the stored files still ticked and marks the ticked variants text only", () => {
    const result = validateCampaignForm(
      { ...VALID, mediaFiles: [photo, clip], attachedMediaIds: ["m1"], textOnly: ["B"] },
      ctx,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.draft.mediaFileIds).toEqual(["m1"]);
    expect(result.draft.scripts.map((s) => [s.label, s.textOnly ?? false])).toEqual([
      ["A", false],
      ["B", true],
    ]);
    expect(result.warnings).toEqual([
      expect.stringMatching(/Script B goes without it \(A\/B: media against text only\)\.$/),
    ]);
  });

  it("refuses a file that is not a picture or a video, saying what to attach instead", () => {
    expect(problemsOf({ mediaFiles: [photo, { id: "F3", name: "minutes.pdf", mimetype: "application/pdf" }] })).toEqual(
      {
        mediaFiles: expect.stringMatching(
          /^“minutes\.pdf” is not a picture or a video, so a text cannot carry it\. Attach a JPEG/,
        ),
      },
    );
  });

  it("counts links, kept files and new files together against the 10 a text carries", () => {
    const links = Array.from({ length: 6 }, (_, i) => `https://example.org/${i}.jpg`).join("\n");
    expect(
      problemsOf({ mediaUrls: links, attachedMediaIds: ["m1", "m2", "m3"], mediaFiles: [photo, clip] }).mediaFiles,
    ).toBe("A text carries at most 10 pictures or videos; links and files together make 11. Remove 1.");
    expect(
      validateCampaignForm(
        { ...VALID, mediaUrls: links, attachedMediaIds: ["m1", "m2"], mediaFiles: [photo, clip] },
        ctx,
      ).ok,
    ).toBe(true);
  });

  it("refuses ticking every filled script text only while there is media: no text would carry it", () => {
    expect(problemsOf({ mediaFiles: [photo], textOnly: ["A", "B"] }).textOnly).toBe(
      "Every script is ticked to go without the media, so no text would carry it. Untick the scripts that should carry it.",
    );
    expect(
      problemsOf({ scripts: [VALID.scripts[0]!, "", "", ""], attachedMediaIds: ["m1"], textOnly: ["A"] }).textOnly,
    ).toMatch(/^Script A is the only first message/);
    // An empty script ticked is not a variant: A still carries the media.
    expect(validateCampaignForm({ ...VALID, mediaFiles: [photo], textOnly: ["B", "C"] }, ctx)).toMatchObject({
      ok: true,
      draft: { scripts: [{ label: "A" }, { label: "B", textOnly: true }] },
    });
  });

  it("only warns when scripts are ticked text only but there is no media", () => {
    const result = validateCampaignForm({ ...VALID, textOnly: ["B"] }, ctx);
    expect(result.ok && result.warnings).toEqual([
      "Media: script B is ticked to go without media, but the campaign has none: every text is text only.",
    ]);
  });
});
