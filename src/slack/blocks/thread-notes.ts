import { AUTOMATIC_TEXT_LIMIT } from "../../domain/automatic-texts";
import { localTimeLabel } from "../../domain/quiet-hours";
import { escapeForSlack, quoteForSlack } from "../../domain/slack-text";
import { number } from "./kit";
import type { HelpNotSent, OptOutConfirmation, ReplyRefusal, ThreadNote } from "../../services/conversation-threads";

/** The app's lines in voter threads, worded for volunteers. Everything that came from outside is escaped. */

function refusalText(user: string, refusal: ReplyRefusal): string {
  switch (refusal.why) {
    case "file":
      return `<@${user}>, the file shared here could not be read from Slack, so nothing went out. Share it again, or reply with the words and a public link to it.`;
    case "file-refused":
      return `<@${user}>, nothing went out: ${refusal.files.map((f) => `“${escapeForSlack(f.name)}” cannot be sent as a text message: ${escapeForSlack(f.message)}`).join(" ")}`;
    case "empty":
      return `<@${user}>, that reply has no text to send: nothing went out.`;
    case "too-long":
      return `<@${user}>, that reply is ${number(refusal.length)} characters${refusal.linksShortened ? " with its links as tracked short links" : ""}; texts stop at 1,600. Nothing went out: shorten it and send again.`;
    case "opted-out":
      return `<@${user}>, this voter opted out: nothing went out, and nothing ever will.`;
    case "not-a-member":
      return `<@${user}>, only members of this workspace can text voters from a thread; guests and people from other organizations can't. Nothing went out.`;
    case "outside-hours":
      return `<@${user}>, it is outside this voter's sending hours: nothing went out. Send it again after ${localTimeLabel(refusal.opensAt, refusal.timeZone)}.`;
  }
}

const automaticTextLimit = `this number already had ${AUTOMATIC_TEXT_LIMIT.count} automatic texts from us in ${AUTOMATIC_TEXT_LIMIT.hours} hours`;

const OPT_OUT_CONFIRMATIONS: Record<OptOutConfirmation, string> = {
  sent: " (we texted them a confirmation)",
  carrier: " (Twilio confirmed it to them)",
  "held-back": ` (no confirmation texted: ${automaticTextLimit})`,
  none: " (they were opted out already)",
};

const HELP_NOT_SENT: Record<HelpNotSent, string> = {
  "carrier-answered": "Twilio answered with its own help text, so the campaign's was not sent",
  "opted-out": "they are opted out, so no help text was sent",
  limit: `the help text was not sent: ${automaticTextLimit}. Answer in this thread if they need it`,
};

const waitedFor = (minutes: number): string =>
  minutes < 120 ? `${number(minutes)} minutes` : `${number(Math.floor(minutes / 60))} hours`;

/** What the inbox says when it set an event aside after repeated failures. */
export const setAsideText = (f: { attempts: number; error: string; eventId: string }): string =>
  `it failed ${f.attempts} times (${f.error}), so it was set aside and is kept as inbox event ${f.eventId}`;

/** What a set-aside voter's text that asks to opt out says first, so nobody misses it. */
export function setAsideOptOutText(optOut: "recorded" | "not-recorded" | null): string | null {
  if (optOut === "recorded")
    return ":no_entry_sign: *This text asks to opt out, and the opt-out is recorded*: the number gets no more texts from any campaign.";
  if (optOut === "not-recorded")
    return ":rotating_light: *This text asks to opt out, and the opt-out could not be recorded.* Opt this number out by hand now (*Opt out* on its conversation thread), and tell whoever runs the app.";
  return null;
}

export function threadNoteText(note: ThreadNote): string {
  switch (note.kind) {
    case "opted-out":
      return `:no_entry_sign: Opted out${OPT_OUT_CONFIRMATIONS[note.confirmation]}: this number gets no more texts from any campaign.`;
    case "opted-in":
      return ":arrow_forward: Opted back in (START): campaigns may text this number again.";
    case "opt-in-refused":
      return ":lock: They texted START, but an admin suppressed this number: it stays opted out.";
    case "help-not-sent":
      return `:information_source: They asked for help; ${HELP_NOT_SENT[note.why]}.`;
    case "help-sent":
      return `:information_source: They asked for help; the campaign's help text was sent: “${escapeForSlack(note.helpText)}”`;
    case "reply-refused":
      return refusalText(note.user, note.refusal);
    case "reply-failed": {
      const why = note.unconfirmed
        ? "Twilio did not confirm it; it will be checked before anything is sent again"
        : "Twilio did not take it; try again in a minute";
      return `:x: <@${note.user}>, your reply was not sent: ${why}.`;
    }
    case "canned-reply-sent":
      return `:white_check_mark: <@${note.user}> sent a canned reply:\n${quoteForSlack(note.text)}`;
    case "follow-up-due":
      return note.assignee
        ? `:alarm_clock: <@${note.assignee}>, it is time to follow up with this voter: reply in this thread to text them.`
        : ":alarm_clock: It is time to follow up with this voter, and nobody holds this conversation: press *Assign to me* on the message above, then reply in this thread.";
    case "waiting":
      return note.assignee
        ? `:hourglass_flowing_sand: <@${note.assignee}>, this voter has waited ${waitedFor(note.minutes)} for an answer: reply in this thread.`
        : `:hourglass_flowing_sand: This voter has waited ${waitedFor(note.minutes)} and nobody holds the conversation: press *Assign to me* above and reply in this thread.`;
    case "released":
      return `:leftwards_arrow_with_hook: No answer from <@${note.volunteer}> for ${waitedFor(note.minutes)}, so this conversation is back in the pool: anyone can press *Assign to me* and reply.`;
    case "reply-not-texted":
      return note.thread === "unmatched"
        ? `<@${note.user}>, replies here are not texted: this text belongs to no conversation, so nothing went out. To answer them, text them from a campaign (import the number first if it is not a contact).`
        : `<@${note.user}>, replies here are not texted: this voter's text was set aside, so nothing went out. Answer in their conversation thread if they have one, and tell whoever runs the app about the inbox event above.`;
    case "reply-checked":
      return note.sent
        ? `:white_check_mark: <@${note.user}>, your reply did go out after all: Twilio has it.\n${quoteForSlack(note.text)}`
        : `:x: <@${note.user}>, Twilio never took your reply, so it was not sent. Send it again if it still matters:\n${quoteForSlack(note.text)}`;
    case "reply-set-aside":
      return `:warning: A reply in this thread could not be sent: ${escapeForSlack(setAsideText(note))}. Nothing went out to the voter: send it again.`;
    case "voter-media-not-copied":
      return `:warning: The voter also sent ${note.count === 1 ? "a picture or file" : `${number(note.count)} pictures or files`} that could not be copied here after several tries. ${note.twilioSid ? `${note.count === 1 ? "It is" : "They are"} kept at Twilio with message ${note.twilioSid} (Twilio Console → Messaging → Logs).` : "Ask them to send it again if it matters."}`;
  }
}
