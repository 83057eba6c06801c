import { escapeForSlack, quoteForSlack } from "../../domain/slack-text";
import type {
  ChannelNeedsBot,
  SetAsideText,
  SlackCall,
  SlackMessageJson,
  ThreadNote,
  ThreadRenderer,
  ThreadView,
  UnmatchedText,
} from "../../services/conversation-threads";
import { setAsideOptOutText, setAsideText, threadNoteText } from "./thread-notes";
import type { types } from "@slack/bolt";
import type { Prisma } from "../../db/generated/client";
import { actions, button, context, ephemeral, option, plain, section, SLACK_LIMITS, staticSelect } from "./kit";

export const THREAD_ASSIGN = "thread_assign";
export const THREAD_RELEASE = "thread_release";
export const THREAD_OPT_OUT = "thread_opt_out";
/** Organizers see the voter's full number (others are told it is for organizers). */
export const THREAD_SHOW_PHONE = "thread_show_phone";
export const THREAD_TAG = "thread_tag";
export const THREAD_FOLLOW_UP = "thread_follow_up";
export const THREAD_CANNED = "thread_canned";

/** Tags every campaign offers besides its goal's outcome: common survey answers. */
export const COMMON_TAGS = ["supporter", "undecided", "opposed", "wrong number", "moved", "needs follow-up"] as const;

/** Follow-up choices: hours from now (0 clears it). */
export const FOLLOW_UP_CHOICES: readonly { label: string; hours: number }[] = [
  { label: "Tomorrow", hours: 24 },
  { label: "In 3 days", hours: 72 },
  { label: "Next week", hours: 168 },
  { label: "No follow-up", hours: 0 },
];

/** The thread's first message: who the voter is, what they were sent, and the controls. */
function root(view: ThreadView): SlackMessageJson {
  const status = view.optedOut ? " · :no_entry_sign: *opted out*" : "";
  const tags = view.tags.length ? view.tags.map((t) => `\`${escapeForSlack(t)}\``).join(" ") : "none";
  const owner = view.assignee ? `<@${view.assignee}>` : "nobody yet";
  const followUp = view.followUpAt ? ` · follow up ${view.followUpAt.toISOString().slice(0, 10)}` : "";
  // Names come from imported files: escaped like voter text, so a name cannot ping or link.
  const text = escapeForSlack(
    `${view.contactName} (${view.maskedPhone}) replied${view.campaignName ? ` to ${view.campaignName}` : ""}`,
  );
  const value = view.conversationId;
  const tagOptions = [...new Set([...(view.outcomeTag ? [view.outcomeTag] : []), ...COMMON_TAGS])].map((t) =>
    option(t, `${value}|${t}`),
  );
  const optOut: types.Button = {
    ...button({ actionId: THREAD_OPT_OUT, text: "Opt out", value, style: "danger" }),
    confirm: {
      title: plain("Opt this voter out?", SLACK_LIMITS.modalTitle),
      text: {
        type: "mrkdwn",
        text: "No campaign will text this number again, and a START from them will not undo it.",
      },
      confirm: plain("Opt out", SLACK_LIMITS.buttonText),
      deny: plain("Cancel", SLACK_LIMITS.buttonText),
    },
  };
  const controls = actions(
    [
      view.assignee
        ? button({ actionId: THREAD_RELEASE, text: "Release", value })
        : button({ actionId: THREAD_ASSIGN, text: "Assign to me", value }),
      staticSelect({ actionId: THREAD_TAG, placeholder: "Tag", options: tagOptions }),
      staticSelect({
        actionId: THREAD_FOLLOW_UP,
        placeholder: "Follow up",
        options: FOLLOW_UP_CHOICES.map((c) => option(c.label, `${value}|${c.hours}`)),
      }),
      ...(view.cannedReplies.length
        ? [
            staticSelect({
              actionId: THREAD_CANNED,
              placeholder: "Canned reply",
              options: view.cannedReplies.map((r) => option(r.title, `${value}|${r.id}`)),
            }),
          ]
        : []),
      button({ actionId: THREAD_SHOW_PHONE, text: "Full number", value }),
      optOut,
    ],
    "thread_controls",
  );
  const blocks: types.KnownBlock[] = [
    section(
      `:speech_balloon: *${escapeForSlack(view.contactName)}* (${view.maskedPhone})${view.campaignName ? ` · ${escapeForSlack(view.campaignName)}` : ""}${status}`,
    ),
    ...(view.firstText ? [section(`*First text:*\n${quoteForSlack(view.firstText)}`)] : []),
    context(`Tags: ${tags} · Volunteer: ${owner}${followUp} · Reply in this thread to text them.`),
    ...(view.optedOut ? [] : [controls]),
  ];
  return { text, unfurl_links: false, unfurl_media: false, blocks: blocks as unknown as Prisma.InputJsonArray };
}

function voterText(view: { contactName: string; body: string; mediaUrls: string[] }): SlackMessageJson {
  const media = view.mediaUrls.length
    ? `\n_${view.mediaUrls.length} picture${view.mediaUrls.length === 1 ? "" : "s"}: ${view.mediaUrls.map((u) => escapeForSlack(u)).join(" ")}_`
    : "";
  // Posted under the voter's name (chat:write.customize); plain escaped text, no links unfurled, no mentions parsed.
  return {
    text: `${escapeForSlack(view.body) || "(empty message)"}${media}`.slice(0, 3_900),
    username: view.contactName.slice(0, 80),
    icon_emoji: ":iphone:",
    unfurl_links: false,
    unfurl_media: false,
    parse: "none",
  };
}

function note(note: ThreadNote): SlackMessageJson {
  return { text: threadNoteText(note), unfurl_links: false };
}

function replySent(ts: string): SlackCall {
  return { method: "reactions.add", args: { name: "white_check_mark", timestamp: ts, text: "sent" } };
}

function unmatched(view: UnmatchedText): SlackMessageJson {
  const who = view.contactName ? `${escapeForSlack(view.contactName)} (${view.maskedPhone})` : view.maskedPhone;
  const reason =
    view.reason === "no-conversation" ? "this contact has no campaign conversation" : "this number is not a contact";
  const why = [reason, ...view.notes.map(threadNoteText)].join(" ");
  const text = `:mailbox_with_mail: Text from ${who}, which no conversation claims (${why}):\n${quoteForSlack(view.body)}`;
  return { text: text.slice(0, 3_900), unfurl_links: false, unfurl_media: false };
}

function setAside(view: SetAsideText): SlackMessageJson {
  const why = `${setAsideText(view)}. Answer the voter from their conversation if they have one, and tell whoever runs the app.`;
  const optOut = setAsideOptOutText(view.optOut);
  return {
    text: `${optOut ? `${optOut}\n` : ""}:warning: A text from ${view.maskedPhone} could not be processed: ${escapeForSlack(why)}\n${quoteForSlack(view.body)}`,
    unfurl_links: false,
  };
}

function channelNeedsBot(view: ChannelNeedsBot): SlackMessageJson {
  const where = `<#${view.channel}>`;
  const fix =
    view.error === "is_archived"
      ? `${where} is archived: unarchive it and invite this app there, or give the campaign another reply channel`
      : `this app is not a member of ${where}: open the channel and type \`/invite\` with the app's name`;
  const campaigns = view.campaigns.length
    ? ` It is the reply channel of ${view.campaigns.map((c) => `*${escapeForSlack(c)}*`).join(", ")}.`
    : "";
  const waiting = `${view.waiting} post${view.waiting === 1 ? " is" : "s are"} waiting (voters' texts and their threads)`;
  return {
    text: `:warning: Slack refuses the app's posts: ${fix}.${campaigns} ${waiting}; they go out in order as soon as it can post there, and nothing is lost meanwhile.`.slice(
      0,
      3_900,
    ),
    unfurl_links: false,
  };
}

export const slackThreadRenderer: ThreadRenderer = {
  root,
  voterText,
  note,
  replySent,
  unmatched,
  setAside,
  channelNeedsBot,
};

/** An organizer's look at a voter's full number: only they see it, and it replaces nothing. */
export const fullPhoneMessage = (contactName: string, phone: string) => ({
  ...ephemeral(`:telephone_receiver: ${escapeForSlack(contactName)}: ${phone} (recorded in the audit trail)`),
  replace_original: false,
});
