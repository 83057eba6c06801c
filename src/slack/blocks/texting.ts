import type { types } from "@slack/bolt";
import { escapeForSlack } from "../../domain/slack-text";
import type { CardDraw, CardNote, TextingCard } from "../../services/texting";
import {
  actions,
  button,
  context,
  ephemeral,
  message,
  number,
  section,
  type EphemeralAnswer,
  type SlackMessage,
} from "./kit";

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
    .map(
      (n) => `${NOTE_ICONS[n.outcome]} ${escapeForSlack(n.contactName)} ${n.maskedPhone}: ${escapeForSlack(n.reason)}`,
    );
  const earlier = notes.length > MAX_NOTES ? [`…and ${notes.length - MAX_NOTES} earlier`] : [];
  return [context([...earlier, ...shown].join("\n"))];
}

function cardBlocks(card: TextingCard): KnownBlock[] {
  const where = card.place ? `, ${escapeForSlack(card.place)}` : "";
  const media = card.mediaCount ? ` · +${card.mediaCount} ${card.mediaCount === 1 ? "picture" : "pictures"} (MMS)` : "";
  const value: SendButtonValue = {
    c: card.campaignId,
    cc: card.campaignContactId,
    i: card.intentId,
    n: card.sentInSession,
  };
  return [
    section(
      `*${escapeForSlack(card.campaignName)}* · text *${escapeForSlack(card.contactName)}* (${card.maskedPhone}${where})`,
    ),
    section(`>${escapeForSlack(card.body).replace(/\n/g, "\n>")}`),
    context(
      `${card.step === 0 ? `Script ${escapeForSlack(card.variantLabel)}` : escapeForSlack(card.variantLabel)} · ${card.sms.segments} ${card.sms.segments === 1 ? "segment" : "segments"} (${card.sms.encoding})${media} · ` +
        `${number(card.leftInBatch)} left in your batch · you sent ${number(card.sentInSession)}`,
    ),
    actions(
      [
        button({ actionId: TEXTING_SEND, style: "primary", text: "Send", value: JSON.stringify(value) }),
        button({
          actionId: TEXTING_SKIP,
          text: "Skip",
          value: JSON.stringify({ c: card.campaignId, cc: card.campaignContactId, n: card.sentInSession }),
        }),
      ],
      "texting_card",
    ),
  ];
}

/** The volunteer's texting card, or why there is none; visible only to them. */
export function textingMessage(draw: CardDraw, note?: string): EphemeralAnswer {
  const lead = note ? [section(note)] : [];
  const notes = notesBlock(draw.notes);
  if (draw.kind === "card") {
    const c = draw.card;
    return ephemeral(`Text ${escapeForSlack(c.contactName)} (${c.maskedPhone}): ${escapeForSlack(c.body)}`, [
      ...lead,
      ...notes,
      ...cardBlocks(c),
    ]);
  }
  if (draw.kind === "not-running") {
    const text =
      draw.status === "draft"
        ? `:memo: *${escapeForSlack(draw.campaignName)}* has not been launched yet. An organizer launches it with \`/campaign launch ${escapeForSlack(draw.campaignName)}\`.`
        : `:double_vertical_bar: *${escapeForSlack(draw.campaignName)}* is ${draw.status}: nothing can be sent until an organizer resumes it.`;
    return ephemeral(text, [...lead, ...notes, section(text)]);
  }
  const later = draw.nextDeferredAt
    ? ` Some contacts are waiting for their sending hours; come back after ${draw.nextDeferredAt.toISOString().slice(11, 16)} UTC.`
    : "";
  const text = `:tada: No one left to text in *${escapeForSlack(draw.campaignName)}* right now. You sent ${number(draw.sentInSession)} this time.${later}`;
  return ephemeral(text, [...lead, ...notes, section(text)]);
}

/** A direct message to the campaign's organizer about a sending problem only they can fix. */
export function adminAlertMessage(campaignName: string, problem: string, forAdmins: string | null): SlackMessage {
  const text = `:rotating_light: Texts for *${escapeForSlack(campaignName)}* are failing: ${escapeForSlack(problem)}`;
  return message(text, [section(text), ...(forAdmins ? [section(`*What to do:* ${escapeForSlack(forAdmins)}`)] : [])]);
}
