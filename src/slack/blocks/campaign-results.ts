import type { types } from "@slack/bolt";
import type { Verdict } from "../../domain/ab-test";
import { escapeForSlack } from "../../domain/slack-text";
import { classifyTwilioError } from "../../domain/twilio-errors";
import type { CampaignResults, ContactFigures, VariantResults } from "../../services/campaign-results";
import { goalProgressText } from "./goal";
import { clip, context, divider, ephemeral, number, section, type EphemeralAnswer } from "./kit";

/* What `/campaign report <name>` answers: the figures, the A/B verdicts and each volunteer's work, in words. */

type KnownBlock = types.KnownBlock;

const FAILURES_SHOWN = 8;
const VOLUNTEERS_SHOWN = 15;

/** 0.4286 → "42.9%"; "–" when nobody was texted. */
export const rate = (part: number, whole: number): string =>
  whole === 0 ? "–" : `${(Math.round((part / whole) * 1000) / 10).toFixed(1)}%`;

/** 900 → "15 min", 5400 → "1 h 30 min", 200000 → "2.3 days". */
export function duration(seconds: number | null): string {
  if (seconds === null) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round((seconds / 60) * 10) / 10} min`;
  if (seconds < 86_400) {
    const h = Math.floor(seconds / 3600);
    const min = Math.round((seconds - h * 3600) / 60);
    return min ? `${h} h ${min} min` : `${h} h`;
  }
  return `${Math.round((seconds / 86_400) * 10) / 10} days`;
}

const points = (difference: number) => (Math.round(Math.abs(difference) * 1000) / 10).toFixed(1);
const pValue = (p: number) => (p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`);

/** A verdict of variant `label` against A, about `what` ("replies", "outcomes"). */
export function verdictText(label: string, what: string, verdict: Verdict): string {
  switch (verdict.kind) {
    case "likely-real":
      return `${label} gets ${points(verdict.difference)} points ${verdict.difference > 0 ? "more" : "fewer"} ${what} (${pValue(verdict.pValue)}): likely a real difference`;
    case "no-real-difference":
      return `no real difference: ${label} and A differ by ${points(verdict.difference)} points (${pValue(verdict.pValue)}), and both have enough texts to tell a ${points(verdict.detectable)}-point difference`;
    case "not-enough-data":
      return `not enough data yet: about ${number(verdict.moreTexts)} more texts per variant to tell a ${Math.round(verdict.detectable * 100)}-point difference`;
    case "no-data":
      return verdict.why === "not-sent"
        ? "no texts yet to compare"
        : `not enough data yet: no ${what} in either variant`;
  }
}

function clicksText(f: ContactFigures): string {
  return f.clicked === null ? "not tracked yet" : `${number(f.clicked)} (${rate(f.clicked, f.texted)})`;
}

function failureLines(results: CampaignResults): string[] {
  const lines = results.outbound.failures.slice(0, FAILURES_SHOWN).map(({ code, count }) => {
    const advice = classifyTwilioError({ code });
    const todo =
      advice.forAdmins ??
      (advice.retry === "once-later"
        ? "Nothing to fix: it may go through on a later try."
        : "Nothing to fix in the campaign: don't resend to these numbers.");
    return `• *${code === null ? "No error code" : `Error ${code}`}* (${number(count)}): ${advice.forVolunteer} _What to do:_ ${todo}`;
  });
  const more = results.outbound.failures.length - FAILURES_SHOWN;
  return more > 0 ? [...lines, `…and ${number(more)} more error codes.`] : lines;
}

/** `mixed`: some variants carry the media and some do not, so each says which it is. */
function variantText(v: VariantResults, withOutcomes: boolean, mixed: boolean): string {
  const media =
    !mixed || v.withMedia === null ? "" : v.withMedia ? " · :frame_with_picture: with media" : " · text only";
  const head = `*Variant ${escapeForSlack(clip(v.label, 40))}*${media} · ${number(v.texted)} texted · replies ${rate(v.replied, v.texted)} · opt-outs ${rate(v.optedOut, v.texted)}${withOutcomes ? ` · outcomes ${rate(v.outcomes, v.texted)}` : ""}${v.clicked === null ? "" : ` · clicks ${rate(v.clicked, v.texted)}`}`;
  const verdicts = [
    v.replyVerdict ? `Replies: ${verdictText(v.label, "replies", v.replyVerdict)}` : null,
    v.outcomeVerdict ? `Outcomes: ${verdictText(v.label, "outcomes", v.outcomeVerdict)}` : null,
  ].filter((line) => line !== null);
  return [head, ...verdicts.map((line) => `   ${escapeForSlack(line)}`)].join("\n");
}

/** The report, for the organizer or volunteer who asked; `chartNote` says where the chart went. */
export function campaignResultsMessage(results: CampaignResults, chartNote: string): EphemeralAnswer {
  const c = results.campaign;
  const o = results.outbound;
  const f = results.contacts;
  const name = escapeForSlack(c.name);
  const blocks: KnownBlock[] = [
    section(`:bar_chart: *Report: ${name}* (${c.status})`),
    section(`*Goal:* ${goalProgressText(results.goal)}`),
    section(
      [
        `*Texts:* ${number(o.sent)} sent · ${number(o.delivered)} delivered (${rate(o.delivered, o.sent)}) · ${number(o.failed)} failed`,
        `*Contacts texted:* ${number(f.texted)}`,
        `*Replied:* ${number(f.replied)} (${rate(f.replied, f.texted)}) · *median time to first reply:* ${duration(results.medianFirstReplySeconds)}`,
        `*Opted out:* ${number(f.optedOut)} (${rate(f.optedOut, f.texted)})`,
        `*Clicked a link:* ${clicksText(f)}`,
        c.goalOutcomeTag
          ? `*Outcomes* “${escapeForSlack(clip(c.goalOutcomeTag, 40))}”: ${number(f.outcomes)} (${rate(f.outcomes, f.texted)} of contacts texted)`
          : "*Outcomes:* no outcome tag set",
      ].join("\n"),
    ),
  ];
  // One section per error code: the advice for carrier filtering alone runs to hundreds of characters.
  if (o.failures.length)
    blocks.push(section("*Why texts failed*"), ...failureLines(results).map((line) => section(line)));
  const variants = results.variants.filter((v) => v.texted > 0 || v.replyVerdict !== null);
  if (variants.length > 1) {
    blocks.push(divider(), section(`*Variants against A*`));
    const mixed = variants.some((v) => v.withMedia === true) && variants.some((v) => v.withMedia === false);
    for (const v of variants.slice(0, 10)) blocks.push(section(variantText(v, c.goalOutcomeTag !== null, mixed)));
  }
  if (results.volunteers.length) {
    const lines = results.volunteers
      .slice(0, VOLUNTEERS_SHOWN)
      .map(
        (v) =>
          `• <@${v.volunteer}>: ${number(v.textsSent)} texts sent · ${number(v.repliesAnswered)} replies answered · median answer ${duration(v.medianAnswerSeconds)}`,
      );
    const more = results.volunteers.length - VOLUNTEERS_SHOWN;
    if (more > 0) lines.push(`…and ${number(more)} more volunteers.`);
    blocks.push(divider(), section(`*Volunteers*\n${lines.join("\n")}`));
  }
  blocks.push(
    context(
      `Rates are per contact texted (a contact who replied three times counts once); opt-outs count those after the campaign's first text. Days are in ${escapeForSlack(results.timeZone)}. ${chartNote}`,
    ),
  );
  return ephemeral(
    `Report for ${name}: ${number(f.texted)} texted, ${rate(f.replied, f.texted)} replied, ${rate(f.optedOut, f.texted)} opted out`,
    blocks,
  );
}

export const chartComingNote =
  "The chart of reply and opt-out rates per day is on its way to your direct messages with the app.";
export const noChartNote = "The chart of rates per day comes once contacts are texted.";

export const chartFailedMessage = (campaignName: string, reason: string) =>
  ephemeral(
    `:warning: The chart for ${escapeForSlack(campaignName)} could not be uploaded (${escapeForSlack(reason)}); the figures above are complete. Ask again in a moment.`,
  );
