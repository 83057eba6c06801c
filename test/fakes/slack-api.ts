/**
 * A fake Slack Web API on 127.0.0.1, for tests that run the real `@slack/web-api` WebClient
 * (and Bolt) against it: `new WebClient(token, { slackApiUrl: fake.apiUrl })`.
 *
 * Wire format, as @slack/web-api 8.x sends it: every method is a POST to `/api/<method>`
 * with `Authorization: Bearer <token>` and an `application/x-www-form-urlencoded` body in
 * which objects and arrays (`blocks`, `view`, `files`, ...) are JSON strings and numbers and
 * booleans are plain strings ("true"). Buffers switch the body to multipart/form-data, which
 * is how filesUploadV2 posts bytes to the upload URL. Answers are HTTP 200 with
 * `{ ok: true, ... }` or `{ ok: false, error }`; only rate limits use a status (429 plus
 * `Retry-After`).
 *
 * Besides the Web API the server also hosts the upload URLs of the files v2 flow, the
 * `url_private(_download)` of files, and `response_url`s.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import {
  closeServer,
  formToRecord,
  listen,
  mediaType,
  randomSlackIdChars,
  readBody,
  safeHandler,
  sendJson,
  sendText,
  sleep,
} from "./http";

export const FAKE_TEAM_ID = "T0FAKE";
export const FAKE_TEAM_DOMAIN = "fake-team";
export const FAKE_BOT_USER_ID = "U0BOT";
export const FAKE_BOT_ID = "B0BOT";
export const FAKE_APP_ID = "A0FAKE";

/** One request the fake received: a Web API call, or "response_url" / "file_upload" / "file_download". */
export interface SlackCall {
  method: string;
  /** Request arguments, with the JSON-string fields (`blocks`, `view`, ...) parsed. */
  args: Record<string, unknown>;
  /** Bearer token from the Authorization header (or a `token` body field). */
  token: string | undefined;
  at: Date;
  /** HTTP status the fake answered. */
  status: number;
  /** Slack's `error` when the answer was `ok: false`. */
  error?: string;
  /** The answer's body (Web API calls): e.g. the `ts` chat.postMessage gave the message. */
  response?: Record<string, unknown>;
}

export interface SlackFailure {
  /** Slack error code for the `{ ok: false, error }` body. Default "ratelimited" for 429, "internal_error" otherwise. */
  error?: string;
  /** HTTP status; default 200 (Slack reports method errors in the body), 429 when retryAfterSeconds is set. */
  status?: number;
  /** Sets `Retry-After` (seconds). Defaults to 1 for a 429: without it the WebClient gives up instead of waiting. */
  retryAfterSeconds?: number;
  /** How many consecutive calls fail (default 1). */
  times?: number;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_private: boolean;
  is_archived: boolean;
  is_member: boolean;
  created: number;
  creator: string;
}

export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  tz: string;
  deleted: boolean;
  is_bot: boolean;
  /** Roles, as users.info reports them (absent means false). */
  is_admin?: boolean;
  is_owner?: boolean;
  /** Multi-channel guest. */
  is_restricted?: boolean;
  /** Single-channel guest. */
  is_ultra_restricted?: boolean;
  /** A Slack Connect user of another organization may carry this. */
  is_stranger?: boolean;
  profile: { display_name: string; real_name: string; display_name_normalized: string; real_name_normalized: string };
}

/** A file the fake stores: uploaded through files v2, or seeded by a test with `addFile`. */
export interface SlackFile {
  id: string;
  created: number;
  timestamp: number;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  user: string;
  size: number;
  url_private: string;
  url_private_download: string;
  permalink: string;
  channels: string[];
}

export interface FakeSlackOptions {
  /** When set, only these bearer tokens are accepted: others get `invalid_auth`, none gets `not_authed`. */
  tokens?: string[];
  teamId?: string;
  channels?: Array<Partial<SlackChannel> & { id: string }>;
  users?: Array<Partial<SlackUser> & { id: string }>;
  /** Scopes granted to the token, sent as Slack does in the `x-oauth-scopes` header of each answer (default: no header). */
  scopes?: string[];
  /** Milliseconds since the epoch (default Date.now): a test's virtual clock drives recorded call times and rate limits. */
  clock?: () => number;
}

/**
 * A per-channel rate limit. Without `burst`: at most `perChannelPerSecond` calls in any sliding second.
 * With `burst`: a token bucket like Slack's posting limit, refilling `perChannelPerSecond` tokens a
 * second up to `burst` (e.g. 1 a second, bursts of 3).
 */
export interface SlackRateLimit {
  perChannelPerSecond: number;
  burst?: number;
}

/** A custom answer for a method: return the body fields (merged after `ok: true`), or throw `new SlackApiError(code)`. */
export type SlackMethodHandler = (args: Record<string, unknown>, token: string | undefined) => Record<string, unknown>;

export interface FakeSlack {
  /** Base URL of the server, e.g. http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  /** What to pass as the WebClient's `slackApiUrl`: `${url}/api/`. */
  readonly apiUrl: string;
  readonly calls: readonly SlackCall[];
  /** Bytes posted to upload URLs, by file id. */
  readonly uploads: ReadonlyMap<string, Buffer>;
  callsTo(method: string): SlackCall[];
  /** Resolves with the first call (already recorded or future) to `method` matching `predicate`. */
  waitFor(method: string, predicate?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  /** Clears recorded calls and uploads, pending failures, rate-limit windows and latency. Stored files, views, channels and users stay. */
  reset(): void;
  failNext(method: string, failure?: SlackFailure): void;
  /** Answers 429 (with Retry-After) when calls to `method` for one `channel` exceed `limit`; `null` removes the limit. */
  setRateLimit(method: string, limit: SlackRateLimit | null): void;
  /** Replaces the built-in answer of a method (or adds one the fake does not know). */
  respondTo(method: string, handler: SlackMethodHandler): void;
  /** Adds latency (ms) before every following answer; 0 turns it off. */
  delay(ms: number): void;
  /** A response_url served by this fake; posts to it are recorded as method "response_url" with args `{ ...body, responseId }`. */
  responseUrl(id?: string): string;
  addChannel(channel: Partial<SlackChannel> & { id: string }): SlackChannel;
  addUser(user: Partial<SlackUser> & { id: string }): SlackUser;
  /** Seeds a user group (usergroups.list / usergroups.users.list); returns its id (S…). */
  addUsergroup(group: { handle: string; name?: string; users: string[] }): string;
  /**
   * From now on downloads send their headers and the first half of the file, then stall until the
   * returned function is called (a slow or stuck transfer from Slack's CDN).
   */
  holdDownloads(): () => void;
  /** Resolves once a held download has sent its first half. */
  downloadStalled(): Promise<void>;
  /** Seeds a file (as if a user shared it) whose url_private_download serves `bytes`. */
  addFile(file: {
    name: string;
    bytes: Buffer;
    mimetype?: string;
    id?: string;
    user?: string;
    title?: string;
  }): SlackFile;
  close(): Promise<void>;
}

/** Throw from a handler to answer `{ ok: false, error: code, ...extra }`. */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

/** Fields the WebClient serializes as JSON strings inside form bodies. */
const JSON_FIELDS = ["blocks", "attachments", "view", "files", "metadata"] as const;

/** Real limits Slack enforces on Block Kit; a fake that accepted anything would hide bugs. */
const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  buttonValue: 2000,
  staticSelectOptions: 100,
  modalTitle: 24,
  privateMetadata: 3000,
  messageText: 40_000,
};

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  heic: "image/heic",
  pdf: "application/pdf",
  txt: "text/plain",
  csv: "text/csv",
  mp4: "video/mp4",
  mov: "video/quicktime",
};

interface Waiter {
  method: string;
  predicate: (call: SlackCall) => boolean;
  resolve: (call: SlackCall) => void;
}

interface FailureEntry extends SlackFailure {
  remaining: number;
}

interface StoredFile {
  meta: SlackFile;
  bytes: Buffer | undefined;
}

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const teamId = opts.teamId ?? FAKE_TEAM_ID;
  const calls: SlackCall[] = [];
  const uploads = new Map<string, Buffer>();
  const waiters = new Set<Waiter>();
  const failures = new Map<string, FailureEntry[]>();
  const clock = opts.clock ?? Date.now;
  const rateLimits = new Map<string, SlackRateLimit>();
  const rateWindows = new Map<string, number[]>();
  const rateBuckets = new Map<string, { tokens: number; at: number }>();
  const customHandlers = new Map<string, SlackMethodHandler>();
  const channels = new Map<string, SlackChannel>();
  const users = new Map<string, SlackUser>();
  const usergroups = new Map<string, { id: string; handle: string; name: string; users: string[] }>();
  const files = new Map<string, StoredFile>();
  const views = new Map<string, Record<string, unknown>>();
  const messages = new Map<string, Record<string, unknown>>();
  const reactions = new Set<string>();
  let latencyMs = 0;
  /** While set, downloads send their headers and first half, then wait for this to resolve. */
  let downloadsHeld: Promise<void> | undefined;
  const downloadsStarted: Array<() => void> = [];
  // Message timestamps: unique and increasing, shaped like Slack's "1700000000.000100".
  let tsCounter = 100;
  let url = "";

  const nextTs = (): string => {
    const n = tsCounter++;
    return `${1_700_000_000 + Math.floor(n / 1_000_000)}.${String(n % 1_000_000).padStart(6, "0")}`;
  };
  const newId = (prefix: string): string => `${prefix}${randomSlackIdChars(10)}`;

  function record(call: SlackCall): void {
    calls.push(call);
    for (const waiter of [...waiters]) {
      if (waiter.method === call.method && safePredicate(waiter.predicate, call)) {
        waiters.delete(waiter);
        waiter.resolve(call);
      }
    }
  }

  // ---- directory: channels, users, files -------------------------------------------------

  function addChannel(partial: Partial<SlackChannel> & { id: string }): SlackChannel {
    const channel: SlackChannel = {
      name: `channel-${partial.id.toLowerCase()}`,
      is_channel: true,
      is_group: false,
      is_im: false,
      is_private: false,
      is_archived: false,
      is_member: true,
      created: 1_700_000_000,
      creator: "U0ADMIN",
      ...partial,
    };
    channels.set(channel.id, channel);
    return channel;
  }

  function addUser(partial: Partial<SlackUser> & { id: string }): SlackUser {
    const name = partial.name ?? `user-${partial.id.toLowerCase()}`;
    const realName = partial.real_name ?? `Fake User ${partial.id}`;
    const user: SlackUser = {
      team_id: teamId,
      name,
      real_name: realName,
      tz: "America/New_York",
      deleted: false,
      is_bot: false,
      ...partial,
      profile: {
        display_name: name,
        real_name: realName,
        display_name_normalized: name,
        real_name_normalized: realName,
        ...partial.profile,
      },
    };
    users.set(user.id, user);
    return user;
  }

  function fileMeta(
    id: string,
    name: string,
    size: number,
    mimetype?: string,
    user = FAKE_BOT_USER_ID,
    title = name,
  ): SlackFile {
    const ext = name.includes(".") ? name.split(".").pop()!.toLowerCase() : "";
    const now = Math.floor(Date.now() / 1000);
    return {
      id,
      created: now,
      timestamp: now,
      name,
      title,
      mimetype: mimetype ?? MIME_BY_EXTENSION[ext] ?? "application/octet-stream",
      filetype: ext || "binary",
      user,
      size,
      url_private: `${url}/files-pri/${id}/${encodeURIComponent(name)}`,
      url_private_download: `${url}/download/${id}`,
      permalink: `https://${FAKE_TEAM_DOMAIN}.slack.com/files/${user}/${id}/${encodeURIComponent(name)}`,
      channels: [],
    };
  }

  function addFile(file: {
    name: string;
    bytes: Buffer;
    mimetype?: string;
    id?: string;
    user?: string;
    title?: string;
  }): SlackFile {
    const meta = fileMeta(file.id ?? newId("F"), file.name, file.bytes.length, file.mimetype, file.user, file.title);
    files.set(meta.id, { meta, bytes: file.bytes });
    return meta;
  }

  for (const channel of opts.channels ?? []) addChannel(channel);
  for (const user of opts.users ?? []) addUser(user);
  addUser({ id: FAKE_BOT_USER_ID, name: "texting-bot", real_name: "Texting Bot", is_bot: true });

  // ---- built-in Web API methods -----------------------------------------------------------

  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

  function requireChannel(args: Record<string, unknown>): string {
    const channel = str(args.channel);
    if (!channel) throw new SlackApiError("channel_not_found");
    return channel;
  }

  /**
   * A channel the bot may post in. As Slack answers: an archived channel is_archived; a channel the
   * bot is not a member of not_in_channel when public, channel_not_found when private (it cannot see it).
   * Unknown channels are accepted (tests post to ids they never added). `addChannel` again with
   * is_member: true is the bot being invited.
   */
  function requirePostableChannel(args: Record<string, unknown>): string {
    const id = requireChannel(args);
    const channel = channels.get(id);
    if (channel?.is_archived) throw new SlackApiError("is_archived");
    if (channel && !channel.is_member && !channel.is_im)
      throw new SlackApiError(channel.is_private ? "channel_not_found" : "not_in_channel");
    return id;
  }

  function viewResult(
    id: string,
    submitted: Record<string, unknown>,
    previous?: Record<string, unknown>,
  ): Record<string, unknown> {
    const view: Record<string, unknown> = {
      id,
      team_id: teamId,
      type: "modal",
      blocks: [],
      private_metadata: "",
      callback_id: "",
      external_id: "",
      state: { values: {} },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: id,
      app_id: FAKE_APP_ID,
      app_installed_team_id: teamId,
      bot_id: FAKE_BOT_ID,
      ...previous,
      ...submitted,
      hash: `${Math.floor(Date.now() / 1000)}.${randomSlackIdChars(8)}`,
    };
    views.set(id, view);
    return view;
  }

  function requireView(args: Record<string, unknown>): Record<string, unknown> {
    const view = args.view;
    if (!view || typeof view !== "object")
      throw new SlackApiError("invalid_arguments", {
        response_metadata: { messages: ["[ERROR] missing required field: view"] },
      });
    validateView(view as Record<string, unknown>);
    return view as Record<string, unknown>;
  }

  const builtins: Record<string, SlackMethodHandler> = {
    "api.test": (args) => ({ args }),
    "auth.test": () => ({
      url: `https://${FAKE_TEAM_DOMAIN}.slack.com/`,
      team: "Fake Team",
      user: "texting-bot",
      team_id: teamId,
      user_id: FAKE_BOT_USER_ID,
      bot_id: FAKE_BOT_ID,
      is_enterprise_install: false,
    }),

    "chat.postMessage": (args) => {
      const channel = requirePostableChannel(args);
      validateMessage(args);
      const ts = nextTs();
      const message = {
        type: "message",
        user: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        app_id: FAKE_APP_ID,
        team: teamId,
        text: args.text ?? "",
        ts,
        ...pick(args, ["blocks", "attachments", "thread_ts", "metadata", "username", "icon_url", "icon_emoji"]),
      };
      messages.set(`${channel}:${ts}`, message);
      return { channel, ts, message };
    },
    "chat.postEphemeral": (args) => {
      requireChannel(args);
      if (!str(args.user)) throw new SlackApiError("user_not_in_channel");
      validateMessage(args);
      return { message_ts: nextTs() };
    },
    // Lenient about unknown ts on purpose: tests often build interaction payloads around
    // messages the fake never posted, and the app then updates them.
    "chat.update": (args) => {
      const channel = requirePostableChannel(args);
      const ts = str(args.ts);
      if (!ts) throw new SlackApiError("message_not_found");
      validateMessage(args);
      const key = `${channel}:${ts}`;
      const message = { ...messages.get(key), ...pick(args, ["text", "blocks", "attachments", "metadata"]), ts };
      messages.set(key, message);
      return { channel, ts, text: args.text ?? "", message };
    },
    "chat.delete": (args) => {
      const channel = requireChannel(args);
      const ts = str(args.ts);
      if (!ts) throw new SlackApiError("message_not_found");
      messages.delete(`${channel}:${ts}`);
      return { channel, ts };
    },
    "chat.getPermalink": (args) => {
      const channel = requireChannel(args);
      const ts = str(args.message_ts);
      if (!ts) throw new SlackApiError("message_not_found");
      return {
        channel,
        permalink: `https://${FAKE_TEAM_DOMAIN}.slack.com/archives/${channel}/p${ts.replace(".", "")}`,
      };
    },
    "reactions.add": (args) => {
      const channel = requirePostableChannel(args);
      const name = str(args.name);
      if (!name) throw new SlackApiError("invalid_name");
      const key = `${channel}:${String(args.timestamp)}:${name}`;
      if (reactions.has(key)) throw new SlackApiError("already_reacted");
      reactions.add(key);
      return {};
    },

    "views.open": (args) => {
      if (!str(args.trigger_id))
        throw new SlackApiError("invalid_arguments", {
          response_metadata: { messages: ["[ERROR] missing required field: trigger_id"] },
        });
      return { view: viewResult(newId("V"), requireView(args)) };
    },
    "views.push": (args) => {
      if (!str(args.trigger_id))
        throw new SlackApiError("invalid_arguments", {
          response_metadata: { messages: ["[ERROR] missing required field: trigger_id"] },
        });
      return { view: viewResult(newId("V"), requireView(args)) };
    },
    "views.update": (args) => {
      const submitted = requireView(args);
      let id = str(args.view_id);
      const externalId = str(args.external_id);
      if (!id && externalId) {
        id = [...views.values()].find((v) => v.external_id === externalId)?.id as string | undefined;
        if (!id) throw new SlackApiError("not_found");
      }
      if (!id)
        throw new SlackApiError("invalid_arguments", {
          response_metadata: { messages: ["[ERROR] view_id or external_id is required"] },
        });
      const previous = views.get(id);
      // Slack rejects an update carrying a stale hash; that is how apps detect races.
      if (previous && str(args.hash) && args.hash !== previous.hash) throw new SlackApiError("hash_conflict");
      // An unknown view_id is accepted: tests build view payloads with ids the fake never issued.
      return { view: viewResult(id, submitted, previous) };
    },
    "views.publish": (args) => {
      if (!str(args.user_id))
        throw new SlackApiError("invalid_arguments", {
          response_metadata: { messages: ["[ERROR] missing required field: user_id"] },
        });
      return { view: viewResult(newId("V"), { type: "home", ...requireView(args) }) };
    },

    "conversations.info": (args) => {
      const id = requireChannel(args);
      const channel = channels.get(id) ?? addChannel({ id });
      // A private channel the bot is not in is invisible to it.
      if (channel.is_private && !channel.is_member) throw new SlackApiError("channel_not_found");
      return { channel };
    },
    "conversations.join": (args) => {
      const id = requireChannel(args);
      const channel = channels.get(id) ?? addChannel({ id });
      channel.is_member = true;
      return { channel };
    },
    "conversations.create": (args) => {
      const name = str(args.name);
      if (!name) throw new SlackApiError("invalid_name_required");
      if ([...channels.values()].some((c) => c.name === name)) throw new SlackApiError("name_taken");
      const isPrivate = args.is_private === true || args.is_private === "true";
      return {
        channel: addChannel({
          id: newId(isPrivate ? "G" : "C"),
          name,
          is_private: isPrivate,
          is_group: isPrivate,
          is_channel: !isPrivate,
        }),
      };
    },
    // A direct message between the bot and one user (`users`): the same D… id every time, as in Slack.
    "conversations.open": (args) => {
      const users = str(args.users)?.split(",") ?? [];
      if (users.length !== 1) throw new SlackApiError(users.length ? "not_supported" : "users_list_not_supplied");
      const id = `D${users[0]!.replace(/^[A-Z]/, "")}`;
      const existing = channels.get(id);
      const channel =
        existing ?? addChannel({ id, name: id, is_channel: false, is_im: true, is_private: true, creator: users[0]! });
      return { channel: { id: channel.id }, ...(existing ? { already_open: true } : {}) };
    },
    "conversations.invite": (args) => {
      const id = requireChannel(args);
      if (!str(args.users)) throw new SlackApiError("no_user");
      const channel = channels.get(id) ?? addChannel({ id });
      if (String(args.users).split(",").includes(FAKE_BOT_USER_ID)) channel.is_member = true;
      return { channel };
    },
    "usergroups.list": (args) => ({
      usergroups: [...usergroups.values()].map((g) => ({
        id: g.id,
        team_id: teamId,
        is_usergroup: true,
        name: g.name,
        handle: g.handle,
        date_delete: 0,
        user_count: g.users.length,
        ...(args.include_users === true || args.include_users === "true" ? { users: g.users } : {}),
      })),
    }),
    "usergroups.users.list": (args) => {
      const group = usergroups.get(str(args.usergroup) ?? "");
      if (!group) throw new SlackApiError("no_such_subteam");
      return { users: group.users };
    },
    "users.info": (args) => {
      const id = str(args.user);
      if (!id) throw new SlackApiError("user_not_found");
      return { user: users.get(id) ?? addUser({ id }) };
    },

    "files.getUploadURLExternal": (args) => {
      const filename = str(args.filename);
      const length = Number(args.length);
      if (!filename || !Number.isInteger(length) || length < 0) {
        throw new SlackApiError("invalid_arguments", {
          response_metadata: { messages: ["[ERROR] filename and length are required"] },
        });
      }
      const meta = fileMeta(newId("F"), filename, length, undefined, FAKE_BOT_USER_ID);
      files.set(meta.id, { meta, bytes: undefined });
      return { upload_url: `${url}/upload/${meta.id}`, file_id: meta.id };
    },
    "files.completeUploadExternal": (args) => {
      const list = args.files;
      if (!Array.isArray(list) || list.length === 0) throw new SlackApiError("invalid_arguments");
      const channel = str(args.channel_id) ?? str(args.channels);
      // Slack's own check: a user id (U…) is refused; a DM needs its D… id from conversations.open.
      if (str(args.channel_id) && !/^[CGDZ][A-Z0-9]{8,}$/.test(str(args.channel_id)!))
        throw new SlackApiError("invalid_arguments", {
          response_metadata: {
            messages: ["[ERROR] input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$ [json-pointer:/channel_id]"],
          },
        });
      const done = list.map((entry: { id?: string; title?: string }) => {
        const stored = entry.id ? files.get(entry.id) : undefined;
        if (!stored) throw new SlackApiError("file_not_found");
        if (!stored.bytes) throw new SlackApiError("file_upload_not_complete");
        if (entry.title) stored.meta.title = entry.title;
        if (channel && !stored.meta.channels.includes(channel)) stored.meta.channels.push(channel);
        return { ...stored.meta };
      });
      return { files: done };
    },
    "files.info": (args) => {
      const stored = files.get(String(args.file));
      if (!stored || !stored.bytes) throw new SlackApiError("file_not_found");
      return { file: { ...stored.meta } };
    },
  };

  // ---- dispatch ---------------------------------------------------------------------------

  /** Consumes one use of the next failure queued for `method`, if any. */
  function takeFailure(method: string): SlackFailure | undefined {
    const queue = failures.get(method);
    const failure = queue?.[0];
    if (!queue || !failure) return undefined;
    if (--failure.remaining <= 0) queue.shift();
    return failure;
  }

  /** Counts a call against `limit`; answers the Retry-After seconds when it is over. */
  function overLimit(key: string, limit: SlackRateLimit, now: number): number | undefined {
    if (limit.burst === undefined) {
      const window = (rateWindows.get(key) ?? []).filter((t) => now - t < 1000);
      rateWindows.set(key, window);
      if (window.length >= limit.perChannelPerSecond) return Math.max(1, Math.ceil((1000 - (now - window[0]!)) / 1000));
      window.push(now);
      return undefined;
    }
    const bucket = rateBuckets.get(key) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perChannelPerSecond);
    bucket.at = now;
    rateBuckets.set(key, bucket);
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perChannelPerSecond));
    bucket.tokens -= 1;
    return undefined;
  }

  function answerFor(method: string, args: Record<string, unknown>, token: string | undefined): Answer {
    const failure = takeFailure(method);
    if (failure) {
      const retryAfter = failure.retryAfterSeconds ?? (failure.status === 429 ? 1 : undefined);
      const status = failure.status ?? (failure.retryAfterSeconds !== undefined ? 429 : 200);
      return {
        status,
        body: {
          ok: false,
          error: failure.error ?? (status === 429 ? "ratelimited" : status === 200 ? "internal_error" : "fatal_error"),
        },
        headers: retryAfter !== undefined ? { "retry-after": String(retryAfter) } : undefined,
      };
    }
    if (opts.tokens) {
      if (!token) return { status: 200, body: { ok: false, error: "not_authed" } };
      if (!opts.tokens.includes(token)) return { status: 200, body: { ok: false, error: "invalid_auth" } };
    }
    const limit = rateLimits.get(method);
    if (limit !== undefined && str(args.channel)) {
      const retryAfter = overLimit(`${method}:${String(args.channel)}`, limit, clock());
      if (retryAfter !== undefined) {
        return {
          status: 429,
          body: { ok: false, error: "ratelimited" },
          headers: { "retry-after": String(retryAfter) },
        };
      }
    }
    const handler = customHandlers.get(method) ?? builtins[method];
    if (!handler) return { status: 200, body: { ok: false, error: "unknown_method" } };
    try {
      return { status: 200, body: { ok: true, ...handler(args, token) } };
    } catch (err) {
      if (err instanceof SlackApiError) return { status: 200, body: { ok: false, error: err.code, ...err.extra } };
      throw err;
    }
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> {
    const raw = await readBody(req);
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    let args: Record<string, unknown>;
    let answer: Answer | undefined;
    try {
      args = { ...formToRecord(query), ...(await parseArgs(raw, req.headers["content-type"])) };
    } catch (err) {
      args = { raw: raw.toString("utf8") };
      answer = {
        status: 200,
        body: { ok: false, error: err instanceof SlackApiError ? err.code : "invalid_form_data" },
      };
    }
    const token = bearer(req.headers.authorization) ?? str(args.token);
    answer ??= answerFor(method, args, token);
    record({
      method,
      args,
      token,
      at: new Date(clock()),
      status: answer.status,
      error: answer.body.ok === false ? String(answer.body.error) : undefined,
      response: answer.body,
    });
    if (latencyMs > 0) await sleep(latencyMs);
    const granted: Record<string, string> = opts.scopes && token ? { "x-oauth-scopes": opts.scopes.join(",") } : {};
    sendJson(res, answer.status, answer.body, { ...granted, ...answer.headers });
  }

  /** The upload URL of the files v2 flow. The WebClient posts the bytes as multipart/form-data. */
  async function handleUpload(req: http.IncomingMessage, res: http.ServerResponse, fileId: string): Promise<void> {
    const raw = await readBody(req);
    const token = bearer(req.headers.authorization);
    const contentType = req.headers["content-type"];
    const failure = takeFailure("file_upload");
    const stored = files.get(fileId);
    if (failure || !stored) {
      const status = failure?.status ?? 404;
      record({
        method: "file_upload",
        args: { fileId, contentType },
        token,
        at: new Date(clock()),
        status,
        error: failure?.error ?? "file_not_found",
      });
      return sendText(res, status, failure ? "upload failed" : "file not found");
    }
    const bytes = mediaType(contentType) === "multipart/form-data" ? await firstMultipartFile(raw, contentType!) : raw;
    stored.bytes = bytes;
    stored.meta.size = bytes.length;
    uploads.set(fileId, bytes);
    record({
      method: "file_upload",
      args: { fileId, contentType, size: bytes.length },
      token,
      at: new Date(clock()),
      status: 200,
    });
    if (latencyMs > 0) await sleep(latencyMs);
    // Slack's upload endpoint answers plain text, and the WebClient only checks for status 200.
    sendText(res, 200, `OK - ${bytes.length}`);
  }

  /**
   * Serves a file's bytes. Like real Slack, a request without a valid bearer token does not
   * get an error status: it gets a 200 HTML sign-in page. Apps must check the content type.
   */
  async function handleDownload(req: http.IncomingMessage, res: http.ServerResponse, fileId: string): Promise<void> {
    const token = bearer(req.headers.authorization);
    const stored = files.get(fileId);
    const authorized = token !== undefined && (!opts.tokens || opts.tokens.includes(token));
    record({
      method: "file_download",
      args: { fileId, authorized },
      token,
      at: new Date(clock()),
      status: stored ? 200 : 404,
    });
    if (latencyMs > 0) await sleep(latencyMs);
    if (!stored?.bytes) return sendText(res, 404, "Not Found");
    if (!authorized) {
      return sendText(
        res,
        200,
        "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Fake Team</body></html>",
        "text/html; charset=utf-8",
      );
    }
    const headers = { "content-disposition": `attachment; filename="${stored.meta.name.replace(/"/g, "")}"` };
    if (!downloadsHeld) return sendText(res, 200, stored.bytes, stored.meta.mimetype, headers);
    const held = downloadsHeld;
    const half = Math.floor(stored.bytes.length / 2);
    res.writeHead(200, { "content-type": stored.meta.mimetype, "content-length": stored.bytes.length, ...headers });
    await new Promise<void>((resolve) => res.write(stored.bytes!.subarray(0, half), () => resolve()));
    downloadsStarted.splice(0).forEach((notify) => notify());
    await held;
    res.end(stored.bytes.subarray(half));
  }

  /** response_url posts: Bolt's respond() sends JSON. */
  async function handleResponseUrl(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    responseId: string,
  ): Promise<void> {
    const raw = await readBody(req);
    let args: Record<string, unknown>;
    try {
      args = { ...(await parseArgs(raw, req.headers["content-type"])), responseId };
    } catch {
      args = { raw: raw.toString("utf8"), responseId };
    }
    const failure = takeFailure("response_url");
    const status = failure?.status ?? (failure ? 404 : 200);
    const body = failure ? { ok: false, error: failure.error ?? "expired_url" } : { ok: true };
    record({
      method: "response_url",
      args,
      token: bearer(req.headers.authorization),
      at: new Date(clock()),
      status,
      error: failure ? String(body.error) : undefined,
    });
    if (latencyMs > 0) await sleep(latencyMs);
    sendJson(res, status, body);
  }

  const server = http.createServer(
    safeHandler("fake Slack", async (req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const [, root, id] = path.split("/").map(decodeURIComponent);
      if (root === "api" && id) return handleApi(req, res, id);
      if (root === "upload" && id && req.method === "POST") return handleUpload(req, res, id);
      if ((root === "download" || root === "files-pri") && id && req.method === "GET")
        return handleDownload(req, res, id);
      if (root === "response" && id && req.method === "POST") return handleResponseUrl(req, res, id);
      sendText(res, 404, "Not Found");
    }),
  );
  url = await listen(server);

  return {
    url,
    apiUrl: `${url}/api/`,
    get calls() {
      return calls;
    },
    uploads,
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitFor(method, predicate = () => true, timeoutMs = 5000) {
      const existing = calls.find((c) => c.method === method && safePredicate(predicate, c));
      if (existing) return Promise.resolve(existing);
      return new Promise<SlackCall>((resolve, reject) => {
        const waiter: Waiter = {
          method,
          predicate,
          resolve: (call) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = calls.filter((c) => c.method === method).length;
          reject(
            new Error(
              `fake Slack: no ${method} call${seen ? " matching the predicate" : ""} within ${timeoutMs} ms ` +
                `(${seen} ${method} call(s) seen; all calls: ${summarize(calls)})`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    reset() {
      calls.length = 0;
      uploads.clear();
      failures.clear();
      rateWindows.clear();
      rateBuckets.clear();
      latencyMs = 0;
    },
    failNext(method, failure = {}) {
      const queue = failures.get(method) ?? [];
      queue.push({ ...failure, remaining: failure.times ?? 1 });
      failures.set(method, queue);
    },
    setRateLimit(method, limit) {
      if (limit) rateLimits.set(method, limit);
      else rateLimits.delete(method);
    },
    respondTo(method, handler) {
      customHandlers.set(method, handler);
    },
    delay(ms) {
      latencyMs = ms;
    },
    responseUrl: (id = randomUUID()) => `${url}/response/${encodeURIComponent(id)}`,
    addChannel,
    addUsergroup(group) {
      const id = newId("S");
      usergroups.set(id, { id, handle: group.handle, name: group.name ?? group.handle, users: [...group.users] });
      return id;
    },
    addUser,
    addFile,
    holdDownloads() {
      let release!: () => void;
      downloadsHeld = new Promise<void>((resolve) => (release = resolve));
      return () => {
        downloadsHeld = undefined;
        release();
      };
    },
    downloadStalled: () => new Promise<void>((resolve) => downloadsStarted.push(resolve)),
    close: () => closeServer(server),
  };
}

// ---- parsing and validation helpers -------------------------------------------------------

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Parses a form, JSON or multipart body into arguments, then JSON-decodes the fields the
 * WebClient sends as JSON strings. A malformed `blocks` string is Slack's `invalid_blocks_format`.
 */
async function parseArgs(raw: Buffer, contentType: string | undefined): Promise<Record<string, unknown>> {
  const type = mediaType(contentType);
  let args: Record<string, unknown>;
  if (raw.length === 0) args = {};
  else if (type === "application/json") args = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  else if (type === "multipart/form-data") {
    args = {};
    const form = await new Response(raw, { headers: { "content-type": contentType! } }).formData();
    for (const [key, value] of form)
      args[key] = typeof value === "string" ? value : Buffer.from(await value.arrayBuffer());
  } else args = formToRecord(new URLSearchParams(raw.toString("utf8")));

  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value !== "string") continue;
    try {
      args[field] = JSON.parse(value);
    } catch {
      throw new SlackApiError(field === "blocks" ? "invalid_blocks_format" : "invalid_arguments");
    }
  }
  return args;
}

async function firstMultipartFile(raw: Buffer, contentType: string): Promise<Buffer> {
  const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
  for (const [, value] of form) {
    if (typeof value !== "string") return Buffer.from(await value.arrayBuffer());
  }
  // A multipart body without a file part: keep the first field's text.
  const first = [...form.values()][0];
  return Buffer.from(typeof first === "string" ? first : "");
}

function validateMessage(args: Record<string, unknown>): void {
  const { text, blocks, attachments } = args;
  if (!text && !blocks && !attachments) throw new SlackApiError("no_text");
  if (typeof text === "string" && text.length > LIMITS.messageText) throw new SlackApiError("msg_too_long");
  if (blocks !== undefined) validateBlocks(blocks, LIMITS.messageBlocks, "invalid_blocks");
}

function validateView(view: Record<string, unknown>): void {
  const problems: string[] = [];
  const title = (view.title as { text?: string } | undefined)?.text;
  const submit = (view.submit as { text?: string } | undefined)?.text;
  if ((view.type ?? "modal") === "modal" && !title) problems.push("title is required");
  if (title && title.length > LIMITS.modalTitle)
    problems.push(`title must be less than ${LIMITS.modalTitle + 1} characters`);
  if (submit && submit.length > LIMITS.modalTitle)
    problems.push(`submit must be less than ${LIMITS.modalTitle + 1} characters`);
  if (typeof view.private_metadata === "string" && view.private_metadata.length > LIMITS.privateMetadata) {
    problems.push(`private_metadata must be less than ${LIMITS.privateMetadata + 1} characters`);
  }
  if (problems.length)
    throw new SlackApiError("invalid_arguments", {
      response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
    });
  validateBlocks(view.blocks ?? [], LIMITS.modalBlocks, "invalid_arguments");
}

/** Checks the Block Kit limits listed in PLATFORM.md; answers like Slack with the problems listed. */
function validateBlocks(blocks: unknown, max: number, errorCode: string): void {
  if (!Array.isArray(blocks)) throw new SlackApiError("invalid_blocks_format");
  const problems: string[] = [];
  if (blocks.length > max) problems.push(`no more than ${max} items allowed [json-pointer:/blocks]`);
  const blockIds = new Set<string>();
  blocks.forEach((block: Record<string, unknown>, i) => {
    const at = `[json-pointer:/blocks/${i}]`;
    if (!block || typeof block.type !== "string") {
      problems.push(`missing required field: type ${at}`);
      return;
    }
    if (typeof block.block_id === "string") {
      if (blockIds.has(block.block_id)) problems.push(`duplicate block_id ${at}`);
      blockIds.add(block.block_id);
    }
    const text = (block.text as { text?: string } | undefined)?.text;
    if (block.type === "section" && text && text.length > LIMITS.sectionText)
      problems.push(`must be less than ${LIMITS.sectionText + 1} characters ${at}/text/text`);
    const elements = [
      ...((block.elements as unknown[]) ?? []),
      ...(block.accessory ? [block.accessory] : []),
      ...(block.element ? [block.element] : []),
    ];
    for (const el of elements as Array<Record<string, unknown>>) {
      if (el?.type === "button" && typeof el.value === "string" && el.value.length > LIMITS.buttonValue)
        problems.push(`button value must be less than ${LIMITS.buttonValue + 1} characters ${at}`);
      if (el?.type === "static_select" && Array.isArray(el.options) && el.options.length > LIMITS.staticSelectOptions)
        problems.push(`no more than ${LIMITS.staticSelectOptions} options allowed ${at}`);
    }
  });
  if (problems.length) {
    throw new SlackApiError(errorCode, {
      errors: problems,
      response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
    });
  }
}

function pick(args: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
}

function safePredicate(predicate: (call: SlackCall) => boolean, call: SlackCall): boolean {
  try {
    return predicate(call);
  } catch {
    return false;
  }
}

function summarize(calls: readonly SlackCall[]): string {
  if (calls.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.method, (counts.get(c.method) ?? 0) + 1);
  return [...counts].map(([m, n]) => `${m}×${n}`).join(", ");
}
