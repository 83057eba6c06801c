import type { types } from "@slack/bolt";
import type { Prisma } from "../../db/generated/client";
import { escapeForSlack } from "../../domain/slack-text";
import type { SlackMessageJson } from "../../services/conversation-threads";
import type {
  CampaignDigest,
  CutList,
  DigestRenderer,
  VolunteerDigest,
  WaitingInDigest,
} from "../../services/daily-digest";
import { goalProgressText } from "./goal";
import { button, clip, context, FALLBACK_TEXT_MAX, number, section, SLACK_LIMITS } from "./kit";

/*
 * The daily digest in the reply channel, and each volunteer's share of it as a direct message.
 * Names come from imported files and campaign names from organizers: all escaped, so none can
 * ping or link. Lists are cut to what fits a section (3,000 characters), with "…and N more".
 */

type KnownBlock = types.KnownBlock;

/** The digest's button: draws the clicking volunteer's send card, visible only to them. */
export const DIGEST_OPEN_CARD = "digest_open_card";

/** A name in a list is cut to this many characters. */
const NAME_MAX = 60;
/** Campaigns named as sharing the audience; the rest are counted. */
const OVERLAPS_SHOWN = 3;

const MINUTE = 60_000;
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const SLACK_CHANNEL = /^[CG][A-Z0-9]{2,}$/;
/** A link Slack gave us, safe inside `<url|label>`. */
const SAFE_LINK = /^https:\/\/[^\s<>|]+$/;

const plural = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;
const mention = (user: string | null) => (user && SLACK_USER.test(user) ? `<@${user}>` : null);

/** How long someone has waited: "12 min", "5 h 20 min", "3 d 4 h". */
export function waitedFor(since: Date, at: Date): string {
  const minutes = Math.max(0, Math.floor((at.getTime() - since.getTime()) / MINUTE));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "2026-11-03" → "Tuesday, Nov 3". */
function dateLabel(date: string, weekday: "long" | "short" = "long"): string {
  return new Intl.DateTimeFormat("en-US", { weekday, month: "short", day: "numeric", timeZone: "UTC" }).format(
    new Date(`${date}T12:00:00Z`),
  );
}

function timeLabel(at: Date, zone: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", {
      hour: "numeric",
      minute: "2-digit",
      timeZone: zone,
      timeZoneName: "short",
    }).format(at);
  } catch {
    return `${at.toISOString().slice(11, 16)} UTC`;
  }
}

function waitingLine(w: WaitingInDigest, at: Date, withAssignee: boolean): string {
  const name = escapeForSlack(clip(w.contactName, NAME_MAX));
  const who = w.link && SAFE_LINK.test(w.link) ? `<${w.link}|${name}>` : name;
  const owner = withAssignee ? ` · ${mention(w.assignee) ?? "_nobody yet_"}` : "";
  return `• ${who} (${w.maskedPhone}) · waiting ${waitedFor(w.waitingSince, at)}${owner}`;
}

/**
 * A heading over as many lines as fit one section, then "…and N more" for the rest of `total`.
 * Lines are dropped whole, never cut, so no link or mention is broken.
 */
export function cutListText(heading: string, lines: readonly string[], total: number): string {
  const more = (shown: number) => (total > shown ? [`…and ${number(total - shown)} more`] : []);
  for (let shown = lines.length; shown >= 0; shown--) {
    const text = [heading, ...lines.slice(0, shown), ...more(shown)].join("\n");
    if (text.length <= SLACK_LIMITS.text) return text;
  }
  return clip(heading, SLACK_LIMITS.text);
}

function waitingText(list: CutList<WaitingInDigest>, at: Date, heading: string, withAssignee: boolean): string {
  return cutListText(
    heading,
    list.shown.map((w) => waitingLine(w, at, withAssignee)),
    list.total,
  );
}

function followUpsBlock(d: CampaignDigest): KnownBlock {
  const { threads, textsReady } = d.followUps;
  if (threads === 0 && textsReady === 0) return section("*:calendar: Follow-ups due today*\nNone.");
  const text = [
    "*:calendar: Follow-ups due today*",
    `• ${plural(threads, "thread")} to follow up`,
    `• ${plural(textsReady, "follow-up text")} ready to send`,
  ].join("\n");
  return section(text, {
    blockId: "digest_follow_ups",
    ...(textsReady > 0
      ? { accessory: button({ actionId: DIGEST_OPEN_CARD, text: "Open my send card", value: d.campaignId }) }
      : {}),
  });
}

function yesterdayText(d: CampaignDigest): string {
  const y = d.yesterday;
  const inThreads = Math.max(0, y.textsSent - y.firstTexts - y.followUpTexts);
  const parts = [
    y.firstTexts ? plural(y.firstTexts, "first text") : null,
    y.followUpTexts ? plural(y.followUpTexts, "follow-up") : null,
    inThreads ? `${plural(inThreads, "reply", "replies")} in threads` : null,
  ].filter((p) => p !== null);
  const goal = goalProgressText(d.goal);
  return [
    `*:bar_chart: Yesterday (${dateLabel(y.date, "short")})*`,
    `• Texts sent: ${number(y.textsSent)}${parts.length ? ` (${parts.join(", ")})` : ""}`,
    `• Replies: ${number(y.replies)}${y.replies ? ` from ${plural(y.repliedVoters, "voter")}` : ""}`,
    `• Opt-outs: ${number(y.optOuts)}`,
    ...(y.linkClicks
      ? [
          `• Link clicks: ${number(y.linkClicks.clicks)}${y.linkClicks.clicks ? ` from ${plural(y.linkClicks.contacts, "voter")}` : ""}`,
        ]
      : []),
    `• Goal: ${goal}`,
  ].join("\n");
}

function capText(d: CampaignDigest): string {
  const { skippedForCap, oneFromCap, overlaps, count, days } = d.cap;
  const heading = `*:warning: Frequency limits* (at most ${plural(count, "text")} per ${plural(days, "day")})`;
  if (skippedForCap === 0 && oneFromCap === 0 && overlaps.length === 0)
    return `*:white_check_mark: Frequency limits*: nothing to watch (at most ${plural(count, "text")} per ${plural(days, "day")}).`;
  const lines = [
    ...(skippedForCap ? [`• ${plural(skippedForCap, "contact")} skipped for the cap yesterday`] : []),
    ...(oneFromCap ? [`• ${plural(oneFromCap, "contact")} one text from the cap`] : []),
    ...overlaps
      .slice(0, OVERLAPS_SHOWN)
      .map(
        (o) =>
          `• ${Math.round(o.share * 100)}% of this audience is also in ${escapeForSlack(clip(o.campaign, NAME_MAX))} (${plural(o.shared, "contact")})`,
      ),
  ];
  const more = overlaps.length - OVERLAPS_SHOWN;
  return cutListText(heading, [...lines, ...(more > 0 ? [`• …and ${plural(more, "more campaign")}`] : [])], 0);
}

function messageJson(text: string, blocks: KnownBlock[]): SlackMessageJson {
  return {
    text: clip(text, FALLBACK_TEXT_MAX),
    blocks: blocks.slice(0, SLACK_LIMITS.messageBlocks) as unknown as Prisma.InputJsonArray,
    // Ten thread links would unfurl into ten message previews.
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** The campaign's daily digest for its reply channel. */
export function campaignDigestMessage(d: CampaignDigest): SlackMessageJson {
  const name = escapeForSlack(clip(d.campaignName, 150));
  const waiting =
    d.waiting.total === 0
      ? "*:white_check_mark: Nobody is waiting on us.*"
      : waitingText(
          d.waiting,
          d.at,
          `*:hourglass_flowing_sand: Waiting on us: ${number(d.waiting.total)}* (oldest first)`,
          true,
        );
  const blocks: KnownBlock[] = [
    section(`:sunrise: *Daily digest · ${name}* · ${dateLabel(d.date)}`),
    section(waiting),
    followUpsBlock(d),
    section(yesterdayText(d)),
    section(capText(d)),
    context(`Ages as of ${timeLabel(d.at, d.timeZone)}. Reply in a thread to text the voter.`),
  ];
  const due = d.followUps.threads + d.followUps.textsReady;
  const text =
    `Daily digest for ${name}: ${number(d.waiting.total)} waiting on us, ${plural(due, "follow-up")} due today, ` +
    `${plural(d.yesterday.textsSent, "text")} sent yesterday.`;
  return messageJson(text, blocks);
}

/** One volunteer's conversations waiting on them, as a direct message. */
export function volunteerDigestMessage(d: VolunteerDigest): SlackMessageJson {
  const name = escapeForSlack(clip(d.campaignName, 150));
  const heading = `:wave: ${d.waiting.total === 1 ? "A voter is" : `${number(d.waiting.total)} voters are`} waiting on you in *${name}* (oldest first):`;
  const blocks: KnownBlock[] = [
    section(waitingText(d.waiting, d.at, heading, false)),
    context(
      `From today's digest${SLACK_CHANNEL.test(d.channelId) ? ` in <#${d.channelId}>` : ""}. Reply in a thread to text the voter.`,
    ),
  ];
  return messageJson(`${plural(d.waiting.total, "voter")} waiting on you in ${name}`, blocks);
}

export const slackDigestRenderer: DigestRenderer = {
  campaign: campaignDigestMessage,
  volunteer: volunteerDigestMessage,
};
