/**
 * Signed requests into the app, shaped as Slack and Twilio send them, so tests exercise the
 * app's real HTTP endpoints (signature checks, body parsing) rather than calling handlers.
 *
 * Slack: HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret, sent as
 * `X-Slack-Signature: v0=<hex>` beside `X-Slack-Request-Timestamp`. Slash commands and
 * interactivity are `application/x-www-form-urlencoded` (exactly: Bolt 5.1 answers 400 to a
 * `; charset` suffix); events are `application/json`.
 *
 * Twilio: base64 HMAC-SHA1 (auth token) of the public URL followed by every POST parameter
 * name+value, sorted by name, in `X-Twilio-Signature`.
 */
import { createHmac, randomUUID } from "node:crypto";
import {
  FAKE_APP_ID,
  FAKE_BOT_ID,
  FAKE_BOT_USER_ID,
  FAKE_TEAM_DOMAIN,
  FAKE_TEAM_ID,
  type SlackFile,
} from "./slack-api";
import { FAKE_TWILIO_ACCOUNT_SID, twilioSid } from "./twilio-api";

export const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";
export const JSON_CONTENT_TYPE = "application/json";
/** The deprecated verification token Slack still puts in every payload. */
export const FAKE_VERIFICATION_TOKEN = "fakeVerificationToken0000";

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

// ---- Slack -------------------------------------------------------------------------------

export interface SlackSignedHeaders {
  "x-slack-request-timestamp": string;
  "x-slack-signature": string;
  "content-type": string;
}

/** Signs a raw body the way Slack does. The content type is guessed from the body unless given. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds: number = nowSeconds(),
  contentType: string = rawBody.trimStart().startsWith("{") ? JSON_CONTENT_TYPE : FORM_CONTENT_TYPE,
): SlackSignedHeaders {
  const hex = createHmac("sha256", signingSecret).update(`v0:${timestampSeconds}:${rawBody}`).digest("hex");
  return {
    "x-slack-request-timestamp": String(timestampSeconds),
    "x-slack-signature": `v0=${hex}`,
    "content-type": contentType,
  };
}

export interface SlashCommandFields {
  command?: string;
  text?: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  team_domain?: string;
  response_url?: string;
  trigger_id?: string;
  api_app_id?: string;
  token?: string;
  is_enterprise_install?: string;
  [extra: string]: string | undefined;
}

/** A unique-looking trigger_id ("12345.98765.abcdef..."). */
export function fakeTriggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e10)}.${randomUUID().replace(/-/g, "")}`;
}

/** A slash command's form body, fields in the order Slack sends them. */
export function slashCommandBody(fields: SlashCommandFields = {}): string {
  const ordered: Record<string, string> = {
    token: FAKE_VERIFICATION_TOKEN,
    team_id: FAKE_TEAM_ID,
    team_domain: FAKE_TEAM_DOMAIN,
    channel_id: "C0TEXTING",
    channel_name: "texting",
    user_id: "U0USER",
    user_name: "volunteer",
    command: "/text",
    text: "",
    api_app_id: FAKE_APP_ID,
    is_enterprise_install: "false",
    response_url: `https://hooks.slack.com/commands/${FAKE_TEAM_ID}/1234567890/${randomUUID().replace(/-/g, "")}`,
    trigger_id: fakeTriggerId(),
  };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) ordered[key] = value;
  return new URLSearchParams(ordered).toString();
}

/** Interactivity (block_actions, view_submission, ...): one form field `payload` holding JSON. */
export function interactionBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API `event_callback` envelope (JSON). */
export function eventBody(
  event: Record<string, unknown>,
  opts: { eventId?: string; teamId?: string; eventTime?: number } = {},
): string {
  const teamId = opts.teamId ?? FAKE_TEAM_ID;
  return JSON.stringify({
    token: FAKE_VERIFICATION_TOKEN,
    team_id: teamId,
    context_team_id: teamId,
    context_enterprise_id: null,
    api_app_id: FAKE_APP_ID,
    event: { event_ts: event.ts ?? `${nowSeconds()}.000100`, ...event },
    type: "event_callback",
    event_id: opts.eventId ?? `Ev${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`,
    event_time: opts.eventTime ?? nowSeconds(),
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: FAKE_BOT_USER_ID, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  });
}

export function urlVerificationBody(challenge: string): string {
  return JSON.stringify({ token: FAKE_VERIFICATION_TOKEN, challenge, type: "url_verification" });
}

let eventTsCounter = 0;
/** A message ts that is unique within the test process, "1700000000.123456"-shaped. */
export function fakeMessageTs(): string {
  eventTsCounter = (eventTsCounter + 1) % 1_000_000;
  return `${nowSeconds()}.${String(eventTsCounter).padStart(6, "0")}`;
}

export interface MessageEventOptions {
  channel: string;
  text?: string;
  user?: string;
  ts?: string;
  /** Makes this a thread reply (thread_ts !== ts). */
  threadTs?: string;
  /** Files from `fakeSlack.addFile`; turns the event into subtype "file_share". */
  files?: SlackFile[];
  channelType?: "channel" | "group" | "im";
  /** Marks a bot's message (`bot_id`, subtype "bot_message"), which the app must ignore. */
  fromBot?: boolean;
  extra?: Record<string, unknown>;
}

/** A `message` event as the Events API delivers it inside `event_callback`. */
export function messageEvent(opts: MessageEventOptions): Record<string, unknown> {
  const ts = opts.ts ?? fakeMessageTs();
  const event: Record<string, unknown> = {
    type: "message",
    channel: opts.channel,
    user: opts.user ?? "U0USER",
    text: opts.text ?? "",
    ts,
    event_ts: ts,
    channel_type: opts.channelType ?? "group",
    team: FAKE_TEAM_ID,
    client_msg_id: randomUUID(),
  };
  if (opts.threadTs) Object.assign(event, { thread_ts: opts.threadTs, parent_user_id: FAKE_BOT_USER_ID });
  if (opts.files?.length)
    Object.assign(event, { subtype: "file_share", files: opts.files, upload: false, display_as_bot: false });
  if (opts.fromBot) {
    Object.assign(event, { subtype: "bot_message", bot_id: FAKE_BOT_ID, app_id: FAKE_APP_ID });
    delete event.client_msg_id;
  }
  return { ...event, ...opts.extra };
}

export interface BlockActionsOptions {
  actionId: string;
  value?: string;
  blockId?: string;
  /** Element type: "button" (default), "static_select", ... */
  type?: string;
  userId?: string;
  channelId?: string;
  /** The message the button sits on (container message_ts). */
  messageTs?: string;
  message?: Record<string, unknown>;
  /** When set, the action happened in this modal instead of a message. */
  view?: Record<string, unknown>;
  responseUrl?: string;
  triggerId?: string;
  /** Merged into the action object (e.g. `selected_option`). */
  action?: Record<string, unknown>;
}

/** A `block_actions` interactivity payload for one clicked element. */
export function blockActionsPayload(opts: BlockActionsOptions): Record<string, unknown> {
  const userId = opts.userId ?? "U0USER";
  const action = {
    type: opts.type ?? "button",
    action_id: opts.actionId,
    block_id: opts.blockId ?? randomUUID().slice(0, 5),
    ...(opts.value !== undefined ? { value: opts.value } : {}),
    ...((opts.type ?? "button") === "button" ? { text: { type: "plain_text", text: "Button", emoji: true } } : {}),
    action_ts: `${nowSeconds()}.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`,
    ...opts.action,
  };
  const base = {
    type: "block_actions",
    user: { id: userId, username: "volunteer", name: "volunteer", team_id: FAKE_TEAM_ID },
    api_app_id: FAKE_APP_ID,
    token: FAKE_VERIFICATION_TOKEN,
    trigger_id: opts.triggerId ?? fakeTriggerId(),
    team: { id: FAKE_TEAM_ID, domain: FAKE_TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    state: { values: {} },
    actions: [action],
  };
  if (opts.view) {
    return { ...base, container: { type: "view", view_id: opts.view.id }, view: opts.view };
  }
  const channelId = opts.channelId ?? "C0TEXTING";
  const messageTs = opts.messageTs ?? fakeMessageTs();
  return {
    ...base,
    container: { type: "message", message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    channel: { id: channelId, name: "texting" },
    message: opts.message ?? {
      type: "message",
      user: FAKE_BOT_USER_ID,
      bot_id: FAKE_BOT_ID,
      text: "",
      ts: messageTs,
      blocks: [],
    },
    response_url:
      opts.responseUrl ??
      `https://hooks.slack.com/actions/${FAKE_TEAM_ID}/1234567890/${randomUUID().replace(/-/g, "")}`,
  };
}

export interface ViewSubmissionOptions {
  callbackId: string;
  /** `view.state.values`: block_id → action_id → element state (e.g. `{ type: "plain_text_input", value: "hi" }`). */
  values?: Record<string, Record<string, Record<string, unknown>>>;
  privateMetadata?: string;
  viewId?: string;
  userId?: string;
  blocks?: unknown[];
  /** Present when the modal has `response_url_enabled` inputs. */
  responseUrls?: Array<{ block_id: string; action_id: string; channel_id: string; response_url: string }>;
}

/** A `view_submission` interactivity payload. */
export function viewSubmissionPayload(opts: ViewSubmissionOptions): Record<string, unknown> {
  const userId = opts.userId ?? "U0USER";
  const viewId = opts.viewId ?? `V${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`;
  return {
    type: "view_submission",
    team: { id: FAKE_TEAM_ID, domain: FAKE_TEAM_DOMAIN },
    user: { id: userId, username: "volunteer", name: "volunteer", team_id: FAKE_TEAM_ID },
    api_app_id: FAKE_APP_ID,
    token: FAKE_VERIFICATION_TOKEN,
    trigger_id: fakeTriggerId(),
    view: {
      id: viewId,
      team_id: FAKE_TEAM_ID,
      type: "modal",
      blocks: opts.blocks ?? [],
      private_metadata: opts.privateMetadata ?? "",
      callback_id: opts.callbackId,
      state: { values: opts.values ?? {} },
      hash: `${nowSeconds()}.fakehash`,
      title: { type: "plain_text", text: "Modal", emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: { type: "plain_text", text: "Submit", emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: FAKE_APP_ID,
      external_id: "",
      app_installed_team_id: FAKE_TEAM_ID,
      bot_id: FAKE_BOT_ID,
    },
    response_urls: opts.responseUrls ?? [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export interface PostToSlackAppOptions {
  secret: string;
  body: string;
  /** Defaults to application/json for a JSON body, else application/x-www-form-urlencoded. */
  contentType?: string;
  /** Unix seconds; defaults to now. An old one tests replay protection. */
  timestamp?: number;
  /** Sign with the wrong secret (a well-formed but invalid signature). */
  badSignature?: boolean;
  /** Extra headers, e.g. `{ "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" }`. */
  headers?: Record<string, string>;
  /** Defaults to "/slack/events" (Bolt's default endpoint). */
  path?: string;
}

export interface AppResponse {
  status: number;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  contentType: string | null;
}

/** Posts a signed request to the app's Slack endpoint. */
export async function postToSlackApp(appUrl: string, opts: PostToSlackAppOptions): Promise<AppResponse> {
  const secret = opts.badSignature ? `${opts.secret}-wrong` : opts.secret;
  const signed = signSlackRequest(secret, opts.body, opts.timestamp, opts.contentType);
  const res = await fetch(`${appUrl.replace(/\/$/, "")}${opts.path ?? "/slack/events"}`, {
    method: "POST",
    headers: { ...signed, "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)", ...opts.headers },
    body: opts.body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get("content-type") };
}

// ---- Twilio ------------------------------------------------------------------------------

/** Twilio's webhook signature, computed independently of the SDK. */
export function signTwilioWebhook(authToken: string, fullUrl: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], fullUrl);
  return createHmac("sha1", authToken).update(Buffer.from(data, "utf-8")).digest("base64");
}

export interface TwilioWebhookOptions {
  /** Sign with the wrong auth token. */
  badSignature?: boolean;
  /** Send no X-Twilio-Signature header at all. */
  omitSignature?: boolean;
  headers?: Record<string, string>;
}

export interface TwilioWebhookResponse {
  status: number;
  text: string;
  contentType: string | null;
}

/**
 * Posts a webhook to `${appBase}${path}` signed over `${publicUrl}${path}`: Twilio signs the
 * public URL configured in the console, which differs from where the app listens in tests.
 */
export async function postTwilioWebhook(
  appBase: string,
  publicUrl: string,
  path: string,
  authToken: string,
  params: Record<string, string>,
  options: TwilioWebhookOptions = {},
): Promise<TwilioWebhookResponse> {
  const headers: Record<string, string> = {
    "content-type": FORM_CONTENT_TYPE,
    "user-agent": "TwilioProxy/1.1",
    "i-twilio-idempotency-token": randomUUID(),
    ...options.headers,
  };
  if (!options.omitSignature) {
    const token = options.badSignature ? `${authToken}-wrong` : authToken;
    headers["x-twilio-signature"] = signTwilioWebhook(token, `${publicUrl.replace(/\/$/, "")}${path}`, params);
  }
  const res = await fetch(`${appBase.replace(/\/$/, "")}${path}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") };
}

export interface InboundSmsOptions {
  from: string;
  to: string;
  body: string;
  /** Defaults to "SM…" for SMS and "MM…" when media is attached (as Twilio does). */
  messageSid?: string;
  /** Media URLs, e.g. from `fakeTwilio.hostMedia`. */
  media?: Array<{ url: string; contentType: string }>;
  accountSid?: string;
  messagingServiceSid?: string;
  fromZip?: string;
  fromState?: string;
  fromCity?: string;
  /** Twilio adds this when the body is one of its keywords. */
  optOutType?: "STOP" | "START" | "HELP";
  numSegments?: number;
}

/** The parameters of an inbound SMS/MMS webhook, as Twilio posts them. */
export function inboundSmsParams(opts: InboundSmsOptions): Record<string, string> {
  const media = opts.media ?? [];
  const sid = opts.messageSid ?? twilioSid(media.length > 0 ? "MM" : "SM");
  const params: Record<string, string> = {
    ToCountry: "US",
    ToState: "NY",
    SmsMessageSid: sid,
    NumMedia: String(media.length),
    ToCity: "",
    FromZip: opts.fromZip ?? "10001",
    SmsSid: sid,
    FromState: opts.fromState ?? "NY",
    SmsStatus: "received",
    FromCity: opts.fromCity ?? "NEW YORK",
    Body: opts.body,
    FromCountry: "US",
    To: opts.to,
    ToZip: "",
    NumSegments: String(opts.numSegments ?? 1),
    ReferralNumMedia: "0",
    MessageSid: sid,
    AccountSid: opts.accountSid ?? FAKE_TWILIO_ACCOUNT_SID,
    From: opts.from,
    ApiVersion: "2010-04-01",
  };
  media.forEach((m, i) => {
    params[`MediaContentType${i}`] = m.contentType;
    params[`MediaUrl${i}`] = m.url;
  });
  if (opts.messagingServiceSid) params.MessagingServiceSid = opts.messagingServiceSid;
  if (opts.optOutType) params.OptOutType = opts.optOutType;
  return params;
}

export interface StatusCallbackOptions {
  messageSid: string;
  status: "accepted" | "queued" | "sending" | "sent" | "delivered" | "undelivered" | "failed" | "read" | "canceled";
  errorCode?: number;
  to?: string;
  from?: string;
  accountSid?: string;
  messagingServiceSid?: string;
}

/** The parameters of a message status callback, as Twilio posts them. */
export function statusCallbackParams(opts: StatusCallbackOptions): Record<string, string> {
  const params: Record<string, string> = {
    SmsSid: opts.messageSid,
    SmsStatus: opts.status,
    MessageStatus: opts.status,
    To: opts.to ?? "+12125550100",
    MessageSid: opts.messageSid,
    AccountSid: opts.accountSid ?? FAKE_TWILIO_ACCOUNT_SID,
    From: opts.from ?? "+12125550199",
    ApiVersion: "2010-04-01",
  };
  if (opts.messagingServiceSid) params.MessagingServiceSid = opts.messagingServiceSid;
  if (opts.errorCode !== undefined) params.ErrorCode = String(opts.errorCode);
  return params;
}
