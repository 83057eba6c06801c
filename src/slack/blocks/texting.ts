import type { types } from "@slack/bolt";
import type { CardDraw, CardNote, TextingCard } from "../../services/texting";
import { escapeMrkdwn } from "./segment";

type KnownBlock = types.KnownBlock;

export const TEXTING_SEND = "texting_send";
export const TEXTING_SKIP = "texting_skip";

/** What a Send button carries: the queue entry and the card's one-time send intent. */
export interface SendButtonValue {
  /** Campaign, queue entry, send intent, and texts sent so far this session. */
  c: string;
  cc: string;
  i: string;
  n: number;
}

const plain = (text: string) => ({ type: "plain_text" as const, text });
const number = (n: number) => n.toLocaleString("en-US");
const section = (text: string): KnownBlock => ({
  type: "section",
  text: { type: "mrkdwn", text: text.slice(0, 3_000) },
});
const context = (text: string): KnownBlock => ({
  type: "context",
  elements: [{ type: "mrkdwn", text: text.slice(0, 3_000) }],
});

const NOTE_ICONS: Record<CardNote["outcome"], string> = {
  sent: ":white_check_mark:",
  skipped: ":fast_forward:",
  deferred: ":alarm_clock:",
  failed: ":x:",
  unconfirmed: ":grey_question:",
};

const MAX_NOTES = 8;

/** What happened to the cards just handled, newest last, so nothing is passed over silently. */
function notesBlock(notes: readonly CardNote[]): KnownBlock[] {
  if (notes.length === 0) return [];
  const shown = notes
    .slice(-MAX_NOTES)
    .map((n) => `${NOTE_ICONS[n.outcome]} ${escapeMrkdwn(n.contactName)} ${n.maskedPhone}: ${escapeMrkdwn(n.reason)}`);
  const earlier = notes.length > MAX_NOTES ? [`…and ${notes.length - MAX_NOTES} earlier`] : [];
  return [context([...earlier, ...shown].join("\n"))];
}

function cardBlocks(card: TextingCard): KnownBlock[] {
  const where = card.place ? `, ${escapeMrkdwn(card.place)}` : "";
  const media = card.mediaCount ? ` · +${card.mediaCount} ${card.mediaCount === 1 ? "picture" : "pictures"} (MMS)` : "";
  const value: SendButtonValue = {
    c: card.campaignId,
    cc: card.campaignContactId,
    i: card.intentId,
    n: card.sentInSession,
  };
  return [
    section(
      `*${escapeMrkdwn(card.campaignName)}* · text *${escapeMrkdwn(card.contactName)}* (${card.maskedPhone}${where})`,
    ),
    section(`>${escapeMrkdwn(card.body).replace(/\n/g, "\n>")}`),
    context(
      `Script ${escapeMrkdwn(card.variantLabel)} · ${card.sms.segments} ${card.sms.segments === 1 ? "segment" : "segments"} (${card.sms.encoding})${media} · ` +
        `${number(card.leftInBatch)} left in your batch · you sent ${number(card.sentInSession)}`,
    ),
    {
      type: "actions",
      block_id: "texting_card",
      elements: [
        {
          type: "button",
          action_id: TEXTING_SEND,
          style: "primary",
          text: plain("Send"),
          value: JSON.stringify(value),
        },
        {
          type: "button",
          action_id: TEXTING_SKIP,
          text: plain("Skip"),
          value: JSON.stringify({ c: card.campaignId, cc: card.campaignContactId, n: card.sentInSession }),
        },
      ],
    } as KnownBlock,
  ];
}

/** The volunteer's texting card, or why there is none; visible only to them. */
export function textingMessage(
  draw: CardDraw,
  note?: string,
): { response_type: "ephemeral"; replace_original?: boolean; text: string; blocks: KnownBlock[] } {
  const lead = note ? [section(note)] : [];
  const notes = notesBlock(draw.notes);
  if (draw.kind === "card") {
    const c = draw.card;
    return {
      response_type: "ephemeral",
      text: `Text ${c.contactName} (${c.maskedPhone}): ${c.body}`.slice(0, 3_000),
      blocks: [...lead, ...notes, ...cardBlocks(c)],
    };
  }
  if (draw.kind === "not-running") {
    const text =
      draw.status === "draft"
        ? `:memo: *${escapeMrkdwn(draw.campaignName)}* has not been launched yet. An organizer launches it with \`/campaign launch ${escapeMrkdwn(draw.campaignName)}\`.`
        : `:double_vertical_bar: *${escapeMrkdwn(draw.campaignName)}* is ${draw.status}: nothing can be sent until an organizer resumes it.`;
    return { response_type: "ephemeral", text, blocks: [...lead, ...notes, section(text)] };
  }
  const later = draw.nextDeferredAt
    ? ` Some contacts are waiting for their sending hours; come back after ${draw.nextDeferredAt.toISOString().slice(11, 16)} UTC.`
    : "";
  const text = `:tada: No one left to text in *${escapeMrkdwn(draw.campaignName)}* right now. You sent ${number(draw.sentInSession)} this time.${later}`;
  return { response_type: "ephemeral", text, blocks: [...lead, ...notes, section(text)] };
}

/** A direct message to the campaign's organizer about a sending problem only they can fix. */
export function adminAlertMessage(
  campaignName: string,
  problem: string,
  forAdmins: string | null,
): { text: string; blocks: KnownBlock[] } {
  const text = `:rotating_light: Texts for *${escapeMrkdwn(campaignName)}* are failing: ${escapeMrkdwn(problem)}`;
  return { text, blocks: [section(text), ...(forAdmins ? [section(`*What to do:* ${escapeMrkdwn(forAdmins)}`)] : [])] };
}
