/**
 * What happened in the demo, in order: what each person did (recorded as they do it), and what
 * the app made of it (read back from the fake Slack's and fake Twilio's records of every call).
 */
import type { FakeSlack, SlackCall } from "../test/fakes/slack-api";
import type { FakeTwilio, FakeTwilioRequest } from "../test/fakes/twilio-api";
import type { Block } from "./driver";
import type { View } from "./forms";

export type DemoEvent = { at: Date } & (
  | { kind: "scene"; title: string }
  | { kind: "typed"; user: string; channel: string; text: string }
  | { kind: "clicked"; user: string; channel: string; label: string }
  | { kind: "picked"; user: string; channel: string; menu: string; option: string }
  | { kind: "form"; user: string; title: string; fields: Array<[string, string]>; again: boolean }
  | { kind: "form-errors"; user: string; title: string; errors: Array<[string, string]> }
  | { kind: "modal"; user: string | null; title: string; blocks: Block[] }
  | {
      kind: "post";
      channel: string;
      ts: string | null;
      threadTs: string | null;
      /** The bot's post; `username` when it speaks as a voter (chat:write.customize). */
      username: string | null;
      text: string;
      blocks: Block[];
      /** Visible only to this user (ephemeral posts and slash-command answers). */
      onlyFor: string | null;
      /** Replaces an earlier message (chat.update, or a card answered in place). */
      edits: string | null;
    }
  | { kind: "human-post"; user: string; channel: string; ts: string; threadTs: string; text: string }
  | { kind: "reaction"; channel: string; ts: string; name: string }
  | {
      kind: "file";
      channel: string;
      threadTs: string | null;
      name: string;
      /** The message the file was shared with (files.uploadV2's initial_comment). */
      comment: string | null;
      /** What the fake Slack received: its size, and the bytes when it is a picture the page can show. */
      size: number;
      png: Buffer | null;
    }
  | {
      kind: "home";
      user: string;
      blocks: Block[];
    }
  | { kind: "sms-in"; phone: string; body: string }
  | { kind: "sms-out"; phone: string; body: string }
);

/** Display names for the ids in the transcript. */
export class Names {
  readonly users = new Map<string, string>();
  readonly channels = new Map<string, string>();
  readonly phones = new Map<string, string>();
  /** Direct-message conversations the app opened (conversations.open), by whom they are with. */
  readonly dms = new Map<string, string>();

  userName(id: string): string {
    return this.users.get(id) ?? id;
  }
  channelName(id: string): string {
    const dm = this.dms.get(id);
    if (dm) return `DM with ${this.userName(dm)}`;
    return this.channels.get(id) ?? (this.users.has(id) ? `DM with ${this.userName(id)}` : id);
  }
  /** "#phonebank", or "DM with Olivia Park" (no #: a direct message is not a channel). */
  placeName(id: string): string {
    return this.dms.has(id) || (!this.channels.has(id) && this.users.has(id))
      ? this.channelName(id)
      : `#${this.channelName(id)}`;
  }
  phoneName(phone: string): string {
    return this.phones.get(phone) ?? phone;
  }
}

/** Calls that are plumbing (token checks, lookups), not something anyone in the channel sees. */
const UNSEEN = new Set([
  "auth.test",
  "users.info",
  "usergroups.list",
  "usergroups.users.list",
  "conversations.info",
  "chat.getPermalink",
  "file_download",
  "file_upload",
  "files.getUploadURLExternal",
  "api.test",
]);

export class Recorder {
  readonly events: DemoEvent[] = [];
  readonly names = new Names();
  private slackSeen = 0;
  private twilioSeen = 0;
  private humanTs = 0;
  /** The user whose last command or click the next response_url answer goes to. */
  private lastActor: { user: string; channel: string } | null = null;

  constructor(
    private readonly slack: FakeSlack,
    private readonly twilio: FakeTwilio,
    private readonly clock: { now: Date },
  ) {}

  private push(event: DemoEvent): void {
    this.events.push(event);
  }

  scene(at: Date, title: string): void {
    this.push({ at, kind: "scene", title });
  }
  typed(user: string, channel: string, text: string): void {
    this.lastActor = { user, channel };
    this.push({ at: this.clock.now, kind: "typed", user, channel, text });
  }
  clicked(user: string, channel: string, label: string): void {
    this.lastActor = { user, channel };
    this.push({ at: this.clock.now, kind: "clicked", user, channel, label });
  }
  picked(user: string, channel: string, menu: string, option: string): void {
    this.lastActor = { user, channel };
    this.push({ at: this.clock.now, kind: "picked", user, channel, menu, option });
  }
  /** A form filled in again (after the app asked for a fix) lists only what changed. */
  filledForm(user: string, view: View, fields: Array<[string, string]>): void {
    const title = titleOf(view);
    const last = this.events.at(-1);
    const before = last?.kind === "form-errors" && last.title === title ? this.lastForm(title) : null;
    const changed = before ? fields.filter(([label, value]) => before.get(label) !== value) : fields;
    this.push({ at: this.clock.now, kind: "form", user, title, fields: changed, again: before !== null });
  }

  private lastForm(title: string): Map<string, string> | null {
    const form = [...this.events].reverse().find((e) => e.kind === "form" && e.title === title);
    return form?.kind === "form" ? new Map(form.fields) : null;
  }
  formAnswered(user: string, view: View, errors: Record<string, string> | null): void {
    if (!errors) return;
    const labels = new Map(
      view.blocks.map((b) => [String(b.block_id), (b.label as { text?: string } | undefined)?.text ?? ""]),
    );
    const listed = Object.entries(errors).map(([block, message]): [string, string] => [
      labels.get(block) || block,
      message,
    ]);
    this.push({ at: this.clock.now, kind: "form-errors", user, title: titleOf(view), errors: listed });
  }
  /** An immediate answer to a slash command (the HTTP response), shown only to its author. */
  directAnswer(user: string, channel: string, json: unknown): void {
    const answer = json as { text?: string; blocks?: Block[] } | undefined;
    if (!answer?.text && !answer?.blocks) return;
    this.postFrom(channel, null, { ...answer }, user, null);
  }
  humanPost(user: string, channel: string, threadTs: string, text: string): string {
    this.humanTs += 1;
    const ts = `1800000000.${String(this.humanTs).padStart(6, "0")}`;
    this.push({ at: this.clock.now, kind: "human-post", user, channel, ts, threadTs, text });
    return ts;
  }
  voterTexted(phone: string, body: string): void {
    this.push({ at: this.clock.now, kind: "sms-in", phone, body });
  }

  /** Turns the fakes' new records into events, Slack's and Twilio's merged in the order they happened. */
  collect(at: Date): void {
    const slack = this.slack.calls.slice(this.slackSeen);
    const twilio = this.twilio.requests.slice(this.twilioSeen);
    this.slackSeen += slack.length;
    this.twilioSeen += twilio.length;
    const merged: Array<{ t: number; run: () => void }> = [
      ...slack.map((call) => ({ t: call.at.getTime(), run: () => this.fromSlack(call, at) })),
      ...twilio.map((request) => ({ t: request.at.getTime(), run: () => this.fromTwilio(request, at) })),
    ];
    merged.sort((a, b) => a.t - b.t);
    for (const item of merged) item.run();
  }

  private fromTwilio(request: FakeTwilioRequest, at: Date): void {
    if (request.method !== "POST" || request.status !== 201) return;
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.at(-1) : v) ?? "";
    this.push({ at, kind: "sms-out", phone: one(request.params.To), body: one(request.params.Body) });
  }

  private fromSlack(call: SlackCall, at: Date): void {
    if (UNSEEN.has(call.method) || call.status !== 200 || call.error) return;
    const args = call.args;
    switch (call.method) {
      case "chat.postMessage":
        return this.postFrom(String(args.channel), String(call.response?.ts ?? ""), args, null, null, at);
      case "chat.postEphemeral":
        return this.postFrom(String(args.channel), null, args, String(args.user), null, at);
      case "chat.update":
        return this.postFrom(String(args.channel), String(args.ts), args, null, String(args.ts), at);
      case "response_url": {
        const who = this.lastActor;
        const replaces = args.replace_original === true || args.replace_original === "true";
        const channel = who?.channel ?? "";
        return this.postFrom(channel, null, args, who?.user ?? null, replaces ? "card" : null, at);
      }
      case "views.open":
      case "views.update":
      case "views.push": {
        const view = args.view as View;
        const user = this.lastActor?.user ?? null;
        this.push({ at, kind: "modal", user, title: titleOf(view), blocks: (view.blocks ?? []) as Block[] });
        return;
      }
      case "reactions.add":
        this.push({
          at,
          kind: "reaction",
          channel: String(args.channel),
          ts: String(args.timestamp),
          name: String(args.name),
        });
        return;
      case "conversations.open": {
        const channel = (call.response?.channel as { id?: string } | undefined)?.id;
        const users = String(args.users ?? "").split(",");
        if (channel && users.length === 1) this.names.dms.set(channel, users[0]!);
        return;
      }
      case "files.completeUploadExternal": {
        const files = (args.files as Array<{ title?: string; id: string }>) ?? [];
        for (const f of files) {
          const bytes = this.slack.uploads.get(f.id);
          this.push({
            at,
            kind: "file",
            channel: String(args.channel_id ?? ""),
            threadTs: typeof args.thread_ts === "string" ? args.thread_ts : null,
            name: f.title ?? f.id,
            comment: typeof args.initial_comment === "string" ? args.initial_comment : null,
            size: bytes?.length ?? 0,
            png: bytes && isPng(bytes) ? bytes : null,
          });
        }
        return;
      }
      case "views.publish": {
        const view = args.view as View;
        this.push({ at, kind: "home", user: String(args.user_id), blocks: (view.blocks ?? []) as Block[] });
        return;
      }
      default:
        return;
    }
  }

  private postFrom(
    channel: string,
    ts: string | null,
    args: Record<string, unknown>,
    onlyFor: string | null,
    edits: string | null,
    at: Date = this.clock.now,
  ): void {
    this.push({
      at,
      kind: "post",
      channel,
      ts,
      threadTs: typeof args.thread_ts === "string" ? args.thread_ts : null,
      username: typeof args.username === "string" ? args.username : null,
      text: typeof args.text === "string" ? args.text : "",
      blocks: Array.isArray(args.blocks) ? (args.blocks as Block[]) : [],
      onlyFor,
      edits,
    });
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isPng = (bytes: Buffer) => bytes.subarray(0, 8).equals(PNG_SIGNATURE);

function titleOf(view: View): string {
  return view.title?.text ?? String(view.callback_id ?? "form");
}
