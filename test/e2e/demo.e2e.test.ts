import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import chromium from "@sparticuz/chromium";
import puppeteer, { type Browser } from "puppeteer-core";
import { demoPage } from "../../demo/html";
import {
  FOLLOW_UP,
  HELP_TEXT,
  ORGANIZER,
  PHONES,
  REPLIES,
  runDemo,
  SCRIPT_A,
  SCRIPT_B_WITHOUT_OPT_OUT,
  THANKS,
  VOLUNTEER_ANSWER,
  type DemoRun,
} from "../../demo/scenario";
import { pngSize, postBody, transcriptText } from "../../demo/transcript";
import { abVerdict } from "../../src/domain/ab-test";
import { verdictText } from "../../src/slack/blocks/campaign-results";

/*
 * `npm run demo`'s scenario, played as the command plays it (the real app on PGlite, the fake
 * Slack and Twilio, signed requests, the app's clock), so the demo cannot rot: the facts it
 * shows are checked here, and its page is opened in a real (headless) Chromium.
 */

const NAMES = {
  "+12125550142": "Dana",
  "+12125550187": "Jamal",
  "+17185550119": "Rosa",
  "+18085550163": "Leilani",
  "+16465550175": "Tom",
  "+19175550128": "Mei",
  "+13475550194": "Alex",
} as const;
const firstTextOf = (name: string) => [
  SCRIPT_A.replace("{firstName|there}", name),
  `${SCRIPT_B_WITHOUT_OPT_OUT.replace("{firstName|there}", name)} Reply STOP to opt out.`,
];

describe("the demo scenario (npm run demo)", () => {
  let run: DemoRun;
  const textsTo = (phone: string) => run.facts.texts.filter((t) => t.to === phone).map((t) => t.body);

  beforeAll(async () => {
    run = await runDemo();
  }, 120_000);

  it("sends each contact one first text in one of the two variants, the lint's opt-out line included", () => {
    const first = run.facts.texts.filter((t) => t.body.includes("Can we count") && !t.body.includes("Sam again"));
    expect(first.map((t) => t.to).sort()).toEqual(Object.keys(NAMES).sort());
    for (const t of first) expect(firstTextOf(NAMES[t.to as keyof typeof NAMES])).toContain(t.body);
    // Both variants went out, and B only with the line the lint inserted.
    expect(first.some((t) => t.body.startsWith("Hi "))).toBe(true);
    expect(first.some((t) => t.body.startsWith("Hey "))).toBe(true);
    for (const t of first) expect(t.body).toMatch(/Reply STOP to opt out\.$/);
    const lint = run.events.find((e) => e.kind === "form-errors");
    expect(lint).toMatchObject({ errors: [["Script B", expect.stringContaining("Say how to opt out")]] });
  });

  it("defers the Honolulu contact until 9:00 there, and texts her once it is", () => {
    expect(run.facts.deferred).toEqual([{ phone: PHONES.leilani, until: "2026-10-26T19:00:00.000Z" }]);
    expect(textsTo(PHONES.leilani)).toHaveLength(1);
    const sent = run.events.find((e) => e.kind === "sms-out" && e.phone === PHONES.leilani)!;
    expect(sent.at.toISOString()).toBe("2026-10-26T19:05:00.000Z");
  });

  it("skips the contact at the frequency cap, never texting her, and the next digest warns about it", () => {
    expect(run.facts.capped).toEqual([PHONES.grace]);
    expect(textsTo(PHONES.grace)).toEqual([]);
    expect(run.facts.digests).toHaveLength(2);
    expect(run.facts.digests[1]).toContain("Tuesday, Oct 27");
    expect(run.facts.digests[1]).toContain("1 contact skipped for the cap yesterday");
  });

  it("opens a thread on a reply, texts the volunteer's answers in it, and counts the pledge tagged there", () => {
    const posts = run.events.filter((e) => e.kind === "post" && e.channel === REPLIES);
    expect(posts).toContainEqual(
      expect.objectContaining({ username: "Dana Whitfield", text: "Yes!! What time do the polls open?" }),
    );
    expect(textsTo(PHONES.dana).slice(1)).toEqual([VOLUNTEER_ANSWER, THANKS]);
    expect(run.events.filter((e) => e.kind === "reaction" && e.name === "white_check_mark")).toHaveLength(2);
    // Tagged with the goal's outcome from the thread's menu: the campaign counts it.
    expect(transcriptText(run)).toContain(
      "Progress: 7 texted · 0 waiting · 0 waiting for sending hours · 1 skipped · 3 replied\n    Goal progress: 1 of 6 “pledged” ▓░░░░░░░░░ 16%",
    );
  });

  it("records “stop texting me” as an opt-out, confirms it once, and texts that number nothing more", () => {
    expect(run.facts.optOuts).toEqual([{ phone: PHONES.jamal, source: "reply_phrase" }]);
    expect(textsTo(PHONES.jamal).slice(1)).toEqual([
      "You're unsubscribed and will get no more texts from Sam with Neighbors for Measure B.",
    ]);
  });

  it("answers a request for help with the campaign's help text", () => {
    expect(textsTo(PHONES.rosa).at(-1)).toBe(HELP_TEXT);
  });

  it("sends the follow-up on Tuesday with a click, only to those who did not reply", () => {
    const followUps = run.facts.texts.filter((t) => t.body.includes("Sam again"));
    expect(followUps.map((t) => t.to).sort()).toEqual(["+13475550194", "+16465550175", "+19175550128"]);
    for (const t of followUps)
      expect(t.body).toBe(FOLLOW_UP.replace("{firstName|there}", NAMES[t.to as keyof typeof NAMES]));
    const clicks = run.events.filter((e) => e.kind === "clicked" && e.at.toISOString().startsWith("2026-10-27"));
    expect(clicks).toHaveLength(followUps.length);
  });

  it("ends with the organizer's report: real figures, the goal, the A/B verdict in words, the chart in her DM", () => {
    const report = run.events.find(
      (e) => e.kind === "post" && e.onlyFor === ORGANIZER && e.text.startsWith("Report for GOTV Nov 3"),
    );
    if (report?.kind !== "post") throw new Error("no report was posted");
    const body = postBody(report, run.names);
    // Every text Twilio accepted, except the two automatic answers (the opt-out confirmation and HELP).
    const campaignTexts = run.facts.texts.filter(
      (t) => t.body !== HELP_TEXT && !t.body.startsWith("You're unsubscribed"),
    );
    expect(campaignTexts).toHaveLength(run.facts.texts.length - 2);
    const n = campaignTexts.length;
    expect(body).toContain(`Texts: ${n} sent · ${n} delivered (100.0%) · 0 failed`);
    expect(body).toContain(`Contacts texted: ${Object.keys(NAMES).length}`);
    expect(body).toContain("Replied: 3 (42.9%)");
    expect(body).toContain("Opted out: 1 (14.3%)");
    expect(body).toContain("Goal: 1 of 6 “pledged” ▓░░░░░░░░░ 16%");
    // Each contact was texted in one variant: the two variants' counts add up to the contacts texted.
    const texted = [...body.matchAll(/^Variant ([AB]) · (\d+) texted · replies /gm)];
    expect(texted.map((m) => m[1])).toEqual(["A", "B"]);
    expect(texted.reduce((sum, m) => sum + Number(m[2]), 0)).toBe(Object.keys(NAMES).length);
    // The verdicts in words, for the variants' own figures: which contact lands in which variant is
    // drawn at launch, so seven contacts may or may not settle the replies (the outcome never can).
    const variant = (label: string) => {
      const m = new RegExp(
        `^Variant ${label} · (\\d+) texted · replies ([\\d.]+)% · opt-outs [\\d.]+% · outcomes ([\\d.]+)%$`,
        "m",
      ).exec(body);
      if (!m) throw new Error(`no line for variant ${label}`);
      const sent = Number(m[1]);
      return {
        replies: { sent, successes: Math.round((Number(m[2]) / 100) * sent) },
        outcomes: { sent, successes: Math.round((Number(m[3]) / 100) * sent) },
      };
    };
    const [a, b] = [variant("A"), variant("B")];
    const lines = body.split("\n").map((line) => line.trim());
    expect(lines).toContain(`Replies: ${verdictText("B", "replies", abVerdict(a.replies, b.replies))}`);
    expect(lines).toContain(`Outcomes: ${verdictText("B", "outcomes", abVerdict(a.outcomes, b.outcomes))}`);

    const chart = run.events.find((e) => e.kind === "file" && e.png !== null);
    if (chart?.kind !== "file" || !chart.png) throw new Error("no chart was uploaded");
    expect(run.names.channelName(chart.channel)).toBe("DM with Olivia Park");
    expect(chart.size).toBe(chart.png.length);
    expect(pngSize(chart.png)).toEqual({ width: 960, height: 540 });
    expect(transcriptText(run)).toContain(
      "DM with Olivia Park  Texting Bot uploads the file “GOTV Nov 3: reply and opt-out rates by day” (PNG image, 960×540, ",
    );
  });

  it("shows the organizer's Home tab with the running campaign's figures", () => {
    const home = run.events.find((e) => e.kind === "home");
    expect(home).toMatchObject({ kind: "home", user: ORGANIZER });
    const text = transcriptText(run);
    expect(text).toContain("🏠 Olivia Park opens the app's Home tab, which shows:");
    expect(text).toContain("12 texts sent · 7 contacts texted · replies 42.9% · opt-outs 14.3%");
  });

  it("never leaves 127.0.0.1", () => {
    expect(run.facts.connections.length).toBeGreaterThan(0);
    expect(run.facts.connections.filter((a) => a !== "127.0.0.1" && a !== "::ffff:127.0.0.1")).toEqual([]);
  });

  it("reads like the channel: who did what, what the bot posted, what each phone received", () => {
    const text = transcriptText(run);
    expect(text).toContain("#phonebank  Marcus Reed clicks [Send]");
    expect(text).toContain(
      "#gotv-replies › thread “Dana Whitfield (•••-•••-0142) replied to GOTV Nov 3”  Marcus Reed:",
    );
    expect(text).toContain(`📱 Rosa Delgado's phone (718) 555-0119 receives: “${HELP_TEXT}”`);
    expect(text).toContain("⚠️ Frequency limits (at most 3 texts per 7 days)");
    expect(text).toContain("🟢 GOTV Nov 3 (running)");
    expect(text).not.toMatch(/<@U|<#C|:[a-z_]+:/); // mentions, channels and emoji codes are all resolved
  });

  describe("the page (npm run demo -- --html)", () => {
    let browser: Browser;
    beforeAll(async () => {
      // Chromium ships inside @sparticuz/chromium; as root it needs --no-sandbox.
      browser = await puppeteer.launch({
        executablePath: await chromium.executablePath(),
        args: [...chromium.args, "--no-sandbox"],
        headless: true,
      });
    }, 60_000);
    afterAll(() => browser?.close());

    it("renders in a real browser as a channel with its threads and the voters' phones", async () => {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      await page.setContent(demoPage(run), { waitUntil: "load" });
      // Run in the page (a string: this project's TypeScript has no DOM types).
      const seen = (await page.evaluate(`(() => {
        const visible = (el) => { const box = el.getBoundingClientRect(); return box.width > 0 && box.height > 0; };
        const all = (selector) => [...document.querySelectorAll(selector)];
        return {
          title: document.title,
          scenes: all("h2.scene").map((h) => h.textContent),
          threads: all(".thread").filter(visible).length,
          threadReplies: all(".thread .thread-replies .message").length,
          danaThread: all(".thread").map((t) => t.textContent).find((t) => t.includes("Yes!! What time")),
          phones: all(".phone").filter(visible).map((p) => p.querySelector(".phone-head").textContent),
          inThread: all(".entry.in-thread").filter(visible).length,
          onlyYou: all(".only-you").length,
          sidebarWidth: document.querySelector(".sidebar").getBoundingClientRect().width,
          mainLeft: document.querySelector("main").getBoundingClientRect().left,
          overflowing: document.documentElement.scrollWidth > window.innerWidth,
          chart: all("figure.image img").filter(visible).map((img) => ({
            src: img.getAttribute("src"),
            width: img.naturalWidth,
            height: img.naturalHeight,
            where: img.closest(".entry").querySelector(".where").textContent,
          })),
        };
      })()`)) as {
        title: string;
        scenes: string[];
        threads: number;
        threadReplies: number;
        danaThread: string | undefined;
        phones: string[];
        inThread: number;
        onlyYou: number;
        sidebarWidth: number;
        mainLeft: number;
        overflowing: boolean;
        chart: Array<{ src: string; width: number; height: number; where: string }>;
      };
      expect(seen.title).toBe("Demo: a texting campaign in Slack");
      expect(seen.scenes).toContain("Olivia imports the contact list");
      expect(seen.threads).toBe(3); // Dana's, Jamal's and Rosa's
      expect(seen.threadReplies).toBeGreaterThanOrEqual(7);
      expect(seen.danaThread).toContain(VOLUNTEER_ANSWER);
      expect(seen.danaThread).toContain(THANKS);
      expect(seen.phones).toHaveLength(7);
      expect(seen.phones).toContain("Dana Whitfield(212) 555-0142");
      expect(seen.inThread).toBeGreaterThan(0);
      expect(seen.onlyYou).toBeGreaterThan(0);
      // Laid out like Slack: the sidebar beside the channel, nothing wider than the window.
      expect(seen.sidebarWidth).toBe(240);
      expect(seen.mainLeft).toBeGreaterThanOrEqual(240);
      expect(seen.overflowing).toBe(false);
      // The report's chart, drawn from the very bytes the fake Slack received, in Olivia's DM.
      const uploaded = run.events.find((e) => e.kind === "file" && e.png !== null);
      if (uploaded?.kind !== "file" || !uploaded.png) throw new Error("no chart was uploaded");
      expect(seen.chart).toEqual([
        {
          src: `data:image/png;base64,${uploaded.png.toString("base64")}`,
          width: 960,
          height: 540,
          where: "DM with Olivia Park",
        },
      ]);
      // One file: no stylesheet, script, font or picture is fetched (the chart is inside the page).
      expect(requests.filter((url) => !url.startsWith("data:"))).toEqual([]);
      await page.close();
    }, 60_000);
  });

  describe("the command", () => {
    const ROOT = path.join(__dirname, "..", "..");
    const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
    // No settings at all: only what finds node.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    const demo = (args: string[]) => promisify(execFile)(TSX, ["demo/run.ts", ...args], { cwd: ROOT, env });

    it("runs with no settings, prints the story, writes the page and exits 0", async () => {
      const folder = await mkdtemp(path.join(tmpdir(), "demo-"));
      try {
        const page = path.join(folder, "out.html");
        const { stdout } = await demo(["--html", page]); // rejects on a non-zero exit
        expect(stdout).toMatch(/^A texting campaign in Slack, start to finish/);
        expect(stdout).toContain("Skipped for the frequency cap: Grace Liu");
        expect(stdout).toContain("📊 Report: GOTV Nov 3 (running)");
        expect(stdout).toContain(`Wrote ${page}`);
        expect(await readFile(page, "utf8")).toMatch(/^<!DOCTYPE html>[\s\S]*Olivia imports the contact list/);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }, 120_000);

    it("says how to name the page when --html has no file, and exits 1", async () => {
      await expect(demo(["--html"])).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining("Give the page's file name: npm run demo -- --html out.html"),
      });
    });
  });
});
