import type { CampaignDigest, VolunteerDigest, WaitingInDigest } from "../../../src/services/daily-digest";
import {
  campaignDigestMessage,
  cutListText,
  DIGEST_OPEN_CARD,
  volunteerDigestMessage,
  waitedFor,
} from "../../../src/slack/blocks/digest";

const AT = new Date("2026-11-03T14:30:00Z");
const HOUR = 3_600_000;

type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: { text: string }[];
  accessory?: { action_id: string; value: string };
};
const blocksOf = (m: object) => (m as { blocks: unknown }).blocks as Block[];
const textsOf = (m: object) =>
  blocksOf(m).flatMap((b) => (b.text ? [b.text.text] : (b.elements ?? []).map((e) => e.text)));

function waiting(i: number, extra: Partial<WaitingInDigest> = {}): WaitingInDigest {
  return {
    conversationId: `cv${i}`,
    contactName: `Voter ${i}`,
    maskedPhone: `•••-•••-${String(1000 + i)}`,
    waitingSince: new Date(AT.getTime() - (i + 1) * HOUR),
    assignee: "U0ANA",
    link: `https://fake-team.slack.com/archives/C0REPLIES/p17000000000${String(100 + i)}`,
    ...extra,
  };
}

function digest(extra: Partial<CampaignDigest> = {}): CampaignDigest {
  return {
    campaignId: "0190f0f0-0000-7000-8000-000000000001",
    campaignName: "Spring GOTV",
    date: "2026-11-03",
    timeZone: "America/New_York",
    at: AT,
    waiting: { total: 2, shown: [waiting(0), waiting(30, { assignee: null, link: null })] },
    followUps: { threads: 3, textsReady: 42 },
    yesterday: {
      date: "2026-11-02",
      textsSent: 120,
      firstTexts: 100,
      followUpTexts: 15,
      replies: 30,
      repliedVoters: 25,
      optOuts: 4,
      linkClicks: { clicks: 18, contacts: 15 },
    },
    goal: { outcomeTag: "pledged", target: 500, reached: 120, share: 0.24 },
    cap: {
      count: 3,
      days: 7,
      skippedForCap: 12,
      oneFromCap: 30,
      overlaps: [{ campaign: "Fall Persuasion", shared: 840, share: 0.42 }],
    },
    ...extra,
  };
}

describe("the daily digest", () => {
  it("lists who waits on us oldest first with their age, volunteer and thread link, and says what is due and what happened", () => {
    const message = campaignDigestMessage(digest());
    const [header, list, followUps, yesterday, cap] = textsOf(message);
    expect(header).toBe(":sunrise: *Daily digest · Spring GOTV* · Tuesday, Nov 3");
    expect(list).toBe(
      [
        "*:hourglass_flowing_sand: Waiting on us: 2* (oldest first)",
        "• <https://fake-team.slack.com/archives/C0REPLIES/p17000000000100|Voter 0> (•••-•••-1000) · waiting 1 h · <@U0ANA>",
        "• Voter 30 (•••-•••-1030) · waiting 1 d 7 h · _nobody yet_",
      ].join("\n"),
    );
    expect(followUps).toBe(
      "*:calendar: Follow-ups due today*\n• 3 threads to follow up\n• 42 follow-up texts ready to send",
    );
    expect(yesterday).toBe(
      [
        "*:bar_chart: Yesterday (Mon, Nov 2)*",
        "• Texts sent: 120 (100 first texts, 15 follow-ups, 5 replies in threads)",
        "• Replies: 30 from 25 voters",
        "• Opt-outs: 4",
        "• Link clicks: 18 from 15 voters",
        "• Goal: 120 of 500 “pledged” ▓▓░░░░░░░░ 24%",
      ].join("\n"),
    );
    expect(cap).toBe(
      [
        "*:warning: Frequency limits* (at most 3 texts per 7 days)",
        "• 12 contacts skipped for the cap yesterday",
        "• 30 contacts one text from the cap",
        "• 42% of this audience is also in Fall Persuasion (840 contacts)",
      ].join("\n"),
    );
    expect(message.text).toBe(
      "Daily digest for Spring GOTV: 2 waiting on us, 45 follow-ups due today, 120 texts sent yesterday.",
    );
    expect(message).toMatchObject({ unfurl_links: false, unfurl_media: false });
  });

  it("offers the send card when follow-up texts are ready, and no button when none are", () => {
    const button = (d: CampaignDigest) => blocksOf(campaignDigestMessage(d)).find((b) => b.accessory)?.accessory;
    expect(button(digest())).toMatchObject({ action_id: DIGEST_OPEN_CARD, value: digest().campaignId });
    expect(button(digest({ followUps: { threads: 2, textsReady: 0 } }))).toBeUndefined();
    expect(textsOf(campaignDigestMessage(digest({ followUps: { threads: 0, textsReady: 0 } })))[2]).toBe(
      "*:calendar: Follow-ups due today*\nNone.",
    );
  });

  it("says so when nobody waits and nothing is near the cap", () => {
    const quiet = campaignDigestMessage(
      digest({
        waiting: { total: 0, shown: [] },
        cap: { count: 3, days: 7, skippedForCap: 0, oneFromCap: 0, overlaps: [] },
        goal: { outcomeTag: null, target: null, reached: 0, share: null },
      }),
    );
    const texts = textsOf(quiet);
    expect(texts[1]).toBe("*:white_check_mark: Nobody is waiting on us.*");
    expect(texts[3]).toContain("• Goal: no outcome tag set");
    // Texts with no short link: clicks are not tracked, so the line is left out rather than a false 0.
    expect(
      textsOf(campaignDigestMessage(digest({ yesterday: { ...digest().yesterday, linkClicks: null } })))[3],
    ).not.toContain("Link clicks");
    expect(texts[4]).toBe("*:white_check_mark: Frequency limits*: nothing to watch (at most 3 texts per 7 days).");
  });

  it("keeps names, campaign names and tags from imports and organizers inert", () => {
    const hostile = "<!channel> <@U0BOSS> <https://evil.example|bank> @here & co";
    const message = campaignDigestMessage(
      digest({
        campaignName: hostile,
        waiting: {
          total: 2,
          shown: [
            waiting(1, { contactName: hostile }),
            // A link that could close the mrkdwn link early is left out, never pasted in.
            waiting(2, { link: "https://x.example/a|b>c", assignee: "<!everyone>" }),
          ],
        },
        goal: { outcomeTag: "<!here>", target: 10, reached: 1, share: 0.1 },
        cap: {
          count: 3,
          days: 7,
          skippedForCap: 0,
          oneFromCap: 0,
          overlaps: [{ campaign: hostile, shared: 5, share: 0.5 }],
        },
      }),
    );
    const json = JSON.stringify(message);
    for (const raw of ["<!channel>", "<@U0BOSS>", "<https://evil.example", "<!here>", "<!everyone>", "a|b>c"])
      expect(json).not.toContain(raw);
    expect(json).toContain("&lt;!channel&gt; &lt;@U0BOSS&gt;");
    expect(json).toContain("@\u2060here");
    expect(textsOf(message)[1]).toContain("• Voter 2 (•••-•••-1002) · waiting 3 h · _nobody yet_");
    expect(volunteerDigestMessage(volunteer({ campaignName: hostile })).text).not.toContain("<!channel>");
  });

  it("stays within Slack's limits however long the list and the names: lines dropped whole, the rest counted", () => {
    const shown = Array.from({ length: 400 }, (_, i) => waiting(i, { contactName: `${"Maximilian ".repeat(20)}${i}` }));
    const message = campaignDigestMessage(
      digest({
        campaignName: "C".repeat(500),
        waiting: { total: 5_000, shown },
        cap: {
          count: 3,
          days: 7,
          skippedForCap: 1,
          oneFromCap: 1,
          overlaps: Array.from({ length: 10 }, (_, i) => ({
            campaign: `Other ${"x".repeat(300)} ${i}`,
            shared: 9,
            share: 0.9,
          })),
        },
      }),
    );
    const blocks = blocksOf(message);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const text of textsOf(message)) expect(text.length).toBeLessThanOrEqual(3_000);
    expect(message.text.length).toBeLessThanOrEqual(3_000);
    const list = textsOf(message)[1]!.split("\n");
    const lines = list.filter((l) => l.startsWith("• "));
    expect(lines.length).toBeGreaterThan(5);
    expect(list.at(-1)).toBe(`…and ${(5_000 - lines.length).toLocaleString("en-US")} more`);
    // Every listed line is whole: its link closed, its age and volunteer there.
    for (const line of lines)
      expect(line).toMatch(/^• <https:\/\/[^|]+\|Maximilian [^>]+> \(.+\) · waiting .+ · <@U0ANA>$/);
    expect(textsOf(message)[4]).toContain("• …and 7 more campaigns");
  });

  it("cuts a list to the section limit and counts what it left out", () => {
    expect(cutListText("Heading", ["a", "b"], 2)).toBe("Heading\na\nb");
    expect(cutListText("Heading", ["a", "b"], 12)).toBe("Heading\na\nb\n…and 10 more");
    const long = Array.from({ length: 100 }, () => "x".repeat(100));
    const cut = cutListText("Heading", long, 1_000).split("\n");
    expect(cut.join("\n").length).toBeLessThanOrEqual(3_000);
    expect(cut.at(-1)).toBe(`…and ${1_000 - (cut.length - 2)} more`);
  });

  it("writes ages in minutes, hours and days, never negative", () => {
    const ago = (minutes: number) => waitedFor(new Date(AT.getTime() - minutes * 60_000), AT);
    expect([ago(-5), ago(12), ago(60), ago(320), ago(24 * 60), ago(3 * 24 * 60 + 4 * 60 + 59)]).toEqual([
      "0 min",
      "12 min",
      "1 h",
      "5 h 20 min",
      "1 d",
      "3 d 4 h",
    ]);
  });
});

function volunteer(extra: Partial<VolunteerDigest> = {}): VolunteerDigest {
  return {
    campaignId: "0190f0f0-0000-7000-8000-000000000001",
    campaignName: "Spring GOTV",
    channelId: "C0REPLIES",
    volunteer: "U0ANA",
    date: "2026-11-03",
    at: AT,
    waiting: { total: 12, shown: Array.from({ length: 10 }, (_, i) => waiting(i)) },
    ...extra,
  };
}

describe("a volunteer's share of the digest", () => {
  it("lists just their conversations with links and ages, cut with a count of the rest, and where the threads are", () => {
    const message = volunteerDigestMessage(volunteer());
    const [list, where] = textsOf(message);
    const lines = list!.split("\n");
    expect(lines[0]).toBe(":wave: 12 voters are waiting on you in *Spring GOTV* (oldest first):");
    expect(lines[1]).toBe(
      "• <https://fake-team.slack.com/archives/C0REPLIES/p17000000000100|Voter 0> (•••-•••-1000) · waiting 1 h",
    );
    expect(lines).toHaveLength(12);
    expect(lines.at(-1)).toBe("…and 2 more");
    expect(where).toBe("From today's digest in <#C0REPLIES>. Reply in a thread to text the voter.");
    expect(message.text).toBe("12 voters waiting on you in Spring GOTV");
    expect(textsOf(volunteerDigestMessage(volunteer({ waiting: { total: 1, shown: [waiting(0)] } })))[0]).toMatch(
      /^:wave: A voter is waiting on you/,
    );
  });
});
