import { escapeForSlack } from "../../domain/slack-text";
import type { AuditLine } from "../../services/audit";
import { context, ephemeral, section, type EphemeralAnswer } from "./kit";

/** What each recorded action is called in the audit list. */
const ACTIONS: Record<string, string> = {
  "campaign.create": "created the campaign",
  "campaign.edit": "edited the campaign",
  "campaign.launch": "launched the campaign",
  "campaign.pause": "paused the campaign",
  "campaign.resume": "resumed the campaign",
  "campaign.archive": "archived the campaign",
  "campaign.fix-script": "fixed a script",
  "canned-reply.save": "saved a canned reply",
  "opt-out": "opted the voter out",
  "opt-in": "opted back in",
  "opt-out.lift": "lifted the opt-out lock (the number may be texted again)",
  "campaign.export": "exported the campaign's contacts and messages",
  "phone.show": "looked at the full phone number",
  "webhook.failed": "could not deliver a webhook event for a day (check WEBHOOK_URL's receiver)",
};

const when = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat("en-US", {
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(at);

function line(entry: AuditLine, timeZone: string): string {
  const nobody = entry.action.startsWith("webhook.") ? "the app" : "the voter";
  const who = entry.actor ? `<@${entry.actor}>${entry.role ? ` (${entry.role})` : ""}` : nobody;
  if (entry.outcome === "refused") {
    return `• ${when(entry.at, timeZone)} · ${who} was *refused* ${escapeForSlack(entry.subject ?? entry.action)}`;
  }
  // The voter themselves (STOP, START) or the carrier: no Slack user.
  const did = !entry.actor && entry.action === "opt-out" ? "opted out" : (ACTIONS[entry.action] ?? entry.action);
  const subject = entry.subject ? ` · ${escapeForSlack(entry.subject)}` : "";
  return `• ${when(entry.at, timeZone)} · ${who} ${escapeForSlack(did)}${subject}`;
}

/** The latest entries of a campaign's audit trail, newest first. */
export function campaignAuditMessage(name: string, entries: readonly AuditLine[], timeZone: string): EphemeralAnswer {
  const heading = `:ledger: *Audit trail of ${escapeForSlack(name)}*, latest first`;
  if (entries.length === 0) return ephemeral(`${heading}: nothing recorded yet.`);
  return ephemeral(`Audit trail of ${escapeForSlack(name)}`, [
    section(heading),
    section(entries.map((e) => line(e, timeZone)).join("\n")),
    context("Every organizer action, opt-out and refusal is recorded; phones are masked."),
  ]);
}
