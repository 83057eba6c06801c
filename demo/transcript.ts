/**
 * The demo as it would read in Slack and on the voters' phones: who did what, what the bot posted
 * (Block Kit as readable text), and every text each phone received.
 */
import type { DemoRun } from "./scenario";
import type { DemoEvent, Names } from "./recorder";
import type { Block } from "./driver";
import { mrkdwnToText, readBlocks } from "./slack-text";

export const DEMO_TIME_ZONE = "America/New_York";

export function timeLabel(at: Date): string {
  return new Intl.DateTimeFormat("en-US", {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZone: DEMO_TIME_ZONE,
    timeZoneName: "short",
  }).format(at);
}

/** "+12125550142" → "(212) 555-0142". */
export function phoneLabel(phone: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phone);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : phone;
}

const BOT = "Texting Bot";

/** Consecutive views of one modal (a loading view, then the form) are shown once, as the last. */
export function visibleEvents(events: readonly DemoEvent[]): DemoEvent[] {
  return events.filter((e, i) => {
    const next = events[i + 1];
    return !(e.kind === "modal" && next?.kind === "modal" && next.title === e.title);
  });
}

/** Where a post sits: its channel, and the thread it is in (named by the thread's first post). */
export class Threads {
  private roots = new Map<string, string>();

  constructor(private readonly names: Names) {}

  noteRoot(channel: string, ts: string | null, text: string): void {
    if (ts && !this.roots.has(`${channel}:${ts}`)) this.roots.set(`${channel}:${ts}`, text);
  }

  where(channel: string, threadTs: string | null): string {
    const place = this.names.placeName(channel);
    if (!threadTs) return place;
    const root = this.roots.get(`${channel}:${threadTs}`);
    return `${place} › thread${root ? ` “${root}”` : ""}`;
  }
}

function indent(text: string, by = "    "): string {
  return text
    .split("\n")
    .map((line) => (line ? by + line : line))
    .join("\n");
}

/** A PNG's width and height, from its header (IHDR). */
export function pngSize(png: Buffer): { width: number; height: number } | null {
  return png.length >= 24 ? { width: png.readUInt32BE(16), height: png.readUInt32BE(20) } : null;
}

/** "PNG image, 960×540, 41.2 KB" or "3.1 KB". */
export function fileLabel(event: Extract<DemoEvent, { kind: "file" }>): string {
  const size = event.size < 1024 ? `${event.size} bytes` : `${(event.size / 1024).toFixed(1)} KB`;
  const dims = event.png ? pngSize(event.png) : null;
  return event.png ? `PNG image${dims ? `, ${dims.width}×${dims.height}` : ""}, ${size}` : size;
}

/** A bot post's body: its blocks when it has them, else its text. */
export function postBody(event: { text: string; blocks: Block[] }, names: Names): string {
  const blocks = readBlocks(event.blocks);
  if (blocks.length === 0) return mrkdwnToText(event.text, names);
  return blocks
    .map((b) => {
      if (b.kind === "divider") return "────────";
      if (b.kind === "actions") return b.parts.join(" ");
      const text = b.parts.map((p) => mrkdwnToText(p, names)).join(" · ");
      return b.kind === "context" ? `(${text})` : text;
    })
    .join("\n");
}

function line(event: DemoEvent, names: Names, threads: Threads): string | null {
  const who = (id: string) => names.userName(id);
  switch (event.kind) {
    case "scene":
      return `\n══ ${timeLabel(event.at)} · ${event.title} ══`;
    case "typed":
      return `${threads.where(event.channel, null)}  ${who(event.user)}: ${event.text}`;
    case "clicked":
      return `${threads.where(event.channel, null)}  ${who(event.user)} clicks [${event.label}]`;
    case "picked":
      return `${threads.where(event.channel, null)}  ${who(event.user)} picks “${event.option}” in the [${event.menu} ▾] menu`;
    case "modal":
      return `  🗔 The form “${event.title}” opens${event.user ? ` for ${who(event.user)}` : ""}`;
    case "form":
      return [
        event.again
          ? `  ${who(event.user)} changes the form and submits it again:`
          : `  ${who(event.user)} fills in “${event.title}” and submits it:`,
        ...event.fields.map(([label, value]) => indent(`${label}: ${mrkdwnToText(value, names)}`, "     ")),
      ].join("\n");
    case "form-errors":
      return [
        `  ✋ The form stays open, with what to fix:`,
        ...event.errors.map(([label, message]) => `     ${label}: ${message}`),
      ].join("\n");
    case "post": {
      threads.noteRoot(event.channel, event.ts, mrkdwnToText(event.text, names).split("\n")[0]!);
      const author = event.username ? `${event.username} (posted by ${BOT})` : BOT;
      const notes = [
        event.onlyFor ? `only visible to ${who(event.onlyFor)}` : null,
        event.edits ? (event.edits === "card" ? "replaces the card" : "edits its message") : null,
      ].filter((n) => n !== null);
      const head = `${threads.where(event.channel, event.threadTs)}  ${author}${notes.length ? ` (${notes.join(", ")})` : ""}:`;
      return `${head}\n${indent(postBody(event, names))}`;
    }
    case "human-post":
      return `${threads.where(event.channel, event.threadTs)}  ${who(event.user)}: ${event.text}`;
    case "reaction":
      return `  ${BOT} reacts ${mrkdwnToText(`:${event.name}:`, names)} to the reply (it went out as a text)`;
    case "file": {
      const head = `${threads.where(event.channel, event.threadTs)}  ${BOT} uploads the file “${event.name}” (${fileLabel(event)})`;
      return event.comment ? `${head}:\n${indent(mrkdwnToText(event.comment, names))}` : head;
    }
    case "home":
      return `  🏠 ${who(event.user)} opens the app's Home tab, which shows:\n${indent(postBody({ text: "", blocks: event.blocks }, names))}`;
    case "sms-in":
      return `📱 ${names.phoneName(event.phone)} ${phoneLabel(event.phone)} texts: “${event.body}”`;
    case "sms-out":
      return `📱 ${names.phoneName(event.phone)}'s phone ${phoneLabel(event.phone)} receives: “${event.body}”`;
  }
}

export function transcriptText(run: DemoRun): string {
  const threads = new Threads(run.names);
  const body = visibleEvents(run.events)
    .map((e) => line(e, run.names, threads))
    .filter((l): l is string => l !== null);
  return [
    "A texting campaign in Slack, start to finish (npm run demo)",
    "The real app on an in-memory embedded database; Slack and Twilio are local fakes on 127.0.0.1.",
    ...body,
    "",
    ...summaryLines(run),
    "",
  ].join("\n");
}

export function summaryLines(run: DemoRun): string[] {
  const f = run.facts;
  const names = (phones: readonly string[]) => phones.map((p) => run.names.phoneName(p)).join(", ") || "nobody";
  return [
    "══ In numbers ══",
    `Texts sent through Twilio: ${f.texts.length}, each caused by a click or a voter's own message`,
    `Put back for quiet hours: ${names(f.deferred.map((d) => d.phone))}`,
    `Skipped for the frequency cap: ${names(f.capped)}`,
    `Opted out: ${names(f.optOuts.map((o) => o.phone))}`,
    `Daily digests posted: ${f.digests.length}`,
    `Network connections: ${f.connections.length}, all to ${[...new Set(f.connections)].join(", ") || "nothing"}`,
  ];
}
