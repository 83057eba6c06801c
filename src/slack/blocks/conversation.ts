import { escapeForSlack, quoteForSlack } from "../../domain/slack-text";
import type {
  SlackCall,
  SlackMessageJson,
  ThreadNote,
  ThreadRenderer,
  ThreadView,
} from "../../services/conversation-threads";
import { setAsideText, threadNoteText } from "./thread-notes";
import { escapeMrkdwn } from "./segment";

export const THREAD_ASSIGN = "thread_assign";
export const THREAD_RELEASE = "thread_release";
export const THREAD_OPT_OUT = "thread_opt_out";
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

const plain = (text: string) => ({ type: "plain_text" as const, text: text.slice(0, 75) });
const option = (text: string, value: string) => ({ text: plain(text), value: value.slice(0, 150) });
const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text: text.slice(0, 3_000) } });
const context = (text: string) => ({ type: "context", elements: [{ type: "mrkdwn", text: text.slice(0, 3_000) }] });

/** The thread's first message: who the voter is, what they were sent, and the controls. */
function root(view: ThreadView): SlackMessageJson {
  const status = view.optedOut ? " · :no_entry_sign: *opted out*" : "";
  const tags = view.tags.length ? view.tags.map((t) => `\`${escapeMrkdwn(t)}\``).join(" ") : "none";
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
  const controls = view.optedOut
    ? []
    : [
        {
          type: "actions",
          block_id: `thread_controls`,
          elements: [
            view.assignee
              ? { type: "button", action_id: THREAD_RELEASE, text: plain("Release"), value }
              : { type: "button", action_id: THREAD_ASSIGN, text: plain("Assign to me"), value },
            { type: "static_select", action_id: THREAD_TAG, placeholder: plain("Tag"), options: tagOptions },
            {
              type: "static_select",
              action_id: THREAD_FOLLOW_UP,
              placeholder: plain("Follow up"),
              options: FOLLOW_UP_CHOICES.map((c) => option(c.label, `${value}|${c.hours}`)),
            },
            ...(view.cannedReplies.length
              ? [
                  {
                    type: "static_select",
                    action_id: THREAD_CANNED,
                    placeholder: plain("Canned reply"),
                    options: view.cannedReplies.slice(0, 100).map((r) => option(r.title, `${value}|${r.id}`)),
                  },
                ]
              : []),
            {
              type: "button",
              action_id: THREAD_OPT_OUT,
              style: "danger",
              text: plain("Opt out"),
              value,
              confirm: {
                title: plain("Opt this voter out?"),
                text: {
                  type: "mrkdwn",
                  text: "No campaign will text this number again, and a START from them will not undo it.",
                },
                confirm: plain("Opt out"),
                deny: plain("Cancel"),
              },
            },
          ],
        },
      ];
  return {
    text,
    unfurl_links: false,
    unfurl_media: false,
    blocks: [
      section(
        `:speech_balloon: *${escapeForSlack(view.contactName)}* (${view.maskedPhone})${view.campaignName ? ` · ${escapeMrkdwn(view.campaignName)}` : ""}${status}`,
      ),
      ...(view.firstText ? [section(`*First text:*\n${quoteForSlack(view.firstText)}`)] : []),
      context(`Tags: ${tags} · Volunteer: ${owner}${followUp} · Reply in this thread to text them.`),
      ...controls,
    ],
  };
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

function unmatched(view: {
  maskedPhone: string;
  contactName: string | null;
  body: string;
  mediaUrls: string[];
  reason: "not-a-contact" | "no-conversation";
  notes: ThreadNote[];
}): SlackMessageJson {
  const who = view.contactName ? `${escapeForSlack(view.contactName)} (${view.maskedPhone})` : view.maskedPhone;
  const reason =
    view.reason === "no-conversation" ? "this contact has no campaign conversation" : "this number is not a contact";
  const why = [reason, ...view.notes.map(threadNoteText)].join(" ");
  const text = `:mailbox_with_mail: Text from ${who}, which no conversation claims (${why}):\n${quoteForSlack(view.body)}`;
  return { text: text.slice(0, 3_900), unfurl_links: false, unfurl_media: false };
}

function setAside(view: {
  maskedPhone: string;
  body: string;
  attempts: number;
  error: string;
  eventId: string;
}): SlackMessageJson {
  const why = `${setAsideText(view)}. Answer the voter from their conversation if they have one, and tell whoever runs the app.`;
  return {
    text: `:warning: A text from ${view.maskedPhone} could not be processed: ${escapeForSlack(why)}\n${quoteForSlack(view.body)}`,
    unfurl_links: false,
  };
}

export const slackThreadRenderer: ThreadRenderer = { root, voterText, note, replySent, unmatched, setAside };
