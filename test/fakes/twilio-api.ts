/**
 * A fake Twilio REST API (the 2010-04-01 Messages resource) on 127.0.0.1, for tests that run
 * the real `twilio` SDK against it.
 *
 * Wire format, as twilio 6.x sends it (axios through its RequestClient): HTTP Basic auth
 * `AccountSid:AuthToken`; `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with an
 * `application/x-www-form-urlencoded` body using Twilio's PascalCase names (`To`, `From`,
 * `MessagingServiceSid`, `Body`, `StatusCallback`, `ValidityPeriod`, and `MediaUrl` repeated
 * once per URL); `Accept: application/json`. Success is 201 with a snake_case resource. Errors
 * are JSON `{ code, message, more_info, status }`, which the SDK turns into a `RestException`.
 *
 * `GET .../Messages.json` lists messages newest first, filtered by `To`, `From` and `DateSent`
 * (also `DateSent<` / `DateSent>`, sent by the SDK as `DateSent<=` / `DateSent>=` once encoded),
 * paged by `PageSize` and `Page`, in Twilio's envelope (`messages`, `next_page_uri`, ...).
 *
 * The SDK always builds `https://api.twilio.com/...` URLs; point it here with a custom
 * httpClient that rewrites the origin (the app's `createTwilioClient` with `apiUrl`).
 */
import { FakeTwilioSetup } from "./twilio-setup";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { closeServer, formToRecord, listen, randomHex, readBody, safeHandler, sendJson, sendText, sleep } from "./http";

export const FAKE_TWILIO_ACCOUNT_SID = `AC${"0".repeat(28)}fa4e`;
export const FAKE_TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef";
const API_VERSION = "2010-04-01";

/** A Twilio SID: two-letter prefix plus 32 hex characters (SM/MM message, ME media, AC account, MG service). */
export function twilioSid(prefix: string): string {
  return `${prefix}${randomHex(32)}`;
}

/** What the fake recorded for each message Twilio accepted. */
export interface FakeTwilioMessage {
  sid: string;
  to: string;
  /** null when only a MessagingServiceSid was given (as in Twilio's resource). */
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  mediaUrls: string[];
  statusCallback: string | null;
  validityPeriod: number | null;
  at: Date;
  /** The form fields exactly as received. */
  params: Record<string, string | string[]>;
}

/** Every request the fake received, including rejected ones: lets tests count retries. */
export interface FakeTwilioRequest {
  method: string;
  path: string;
  params: Record<string, string | string[]>;
  status: number;
  /** Twilio error code when the answer was an error. */
  code?: number;
  /** True when the fake destroyed the socket instead of answering. */
  dropped?: boolean;
  at: Date;
}

export interface TwilioFailure {
  /** Twilio error code (21610 opted out, 30007 filtered, 20429 too many requests, 21211 invalid To, ...). Below 1000 (or absent) means a bare HTTP error with a plain-text body. */
  code?: number;
  /** HTTP status; derived from the code when absent (400 for 21xxx/30xxx, 429 for 20429, ...). */
  status?: number;
  /** Overrides the error message. */
  message?: string;
  /** How many consecutive requests fail (default 1). */
  times?: number;
}

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  /** Twilio's clock, for message timestamps (default: the real one); tests share theirs with the app. */
  now?: () => Date;
  /** The account's status as `GET /Accounts/{Sid}.json` reports it (default "active"; "suspended", "closed"). */
  accountStatus?: string;
}

export interface FakeTwilio {
  /** Base URL, e.g. http://127.0.0.1:PORT (no trailing slash): replaces https://api.twilio.com. */
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly messages: readonly FakeTwilioMessage[];
  readonly requests: readonly FakeTwilioRequest[];
  /** The next API request(s), after authentication, answer this error. */
  failNext(failure: TwilioFailure): void;
  /** Adds latency (ms) before every following answer; 0 turns it off. */
  delay(ms: number): void;
  /**
   * The next API request gets its socket destroyed without an answer (the SDK sees a network
   * error). With `afterCreate` the message is created first: the ambiguous "did it send?" case.
   */
  dropConnectionNext(options?: { afterCreate?: boolean }): void;
  /**
   * Stops listening and closes every open connection: clients get ECONNREFUSED, as when Twilio is
   * unreachable, and nothing is recorded. `acceptConnections` listens again on the same port.
   */
  refuseConnections(): Promise<void>;
  acceptConnections(): Promise<void>;
  /** Moves a stored message along its lifecycle (what a later GET returns). */
  setStatus(sid: string, status: string, errorCode?: number): void;
  /**
   * A voter's text arriving at Twilio: kept in the message log (what `GET Messages.json` lists, as an
   * `inbound` message with status `received`) whether or not its webhook reaches the app. Returns the
   * webhook parameters Twilio would post for it, for tests that deliver it too.
   */
  receive(text: { from: string; to: string; body: string }): { sid: string; params: Record<string, string> };
  /** Serves `bytes` at a Twilio-style media URL (public, like Twilio's default) and returns that URL. */
  hostMedia(bytes: Buffer, contentType: string): string;
  /** Messaging Services, phone numbers and A2P campaigns the account has (`npm run doctor` reads them). */
  readonly setup: FakeTwilioSetup;
  /** Clears stored messages and recorded requests, pending failures, drops and latency. */
  reset(): void;
  close(): Promise<void>;
}

/** Messages for the codes tests inject most; any other code gets a generic message. */
const ERROR_MESSAGES: Record<number, string> = {
  20003: "Authenticate",
  20404: "The requested resource was not found",
  20429: "Too Many Requests",
  21211: "The 'To' number is not a valid phone number.",
  21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
  21602: "Message body is required.",
  21603: "A 'From' phone number is required.",
  21604: "A 'To' phone number is required.",
  21610: "Attempt to send to unsubscribed recipient",
  21614: "'To' number is not a valid mobile number",
  21617: "The concatenated message body exceeds the 1600 character limit.",
  30007: "Message filtered by the carrier.",
  30034: "Message from an unregistered number.",
};

const HTTP_REASONS: Record<number, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

type Answer = { status: number; body: unknown; code?: number; headers?: Record<string, string>; plain?: boolean };

function twilioError(code: number, status: number, message?: string): Answer {
  return {
    status,
    code,
    body: {
      code,
      message: message ?? ERROR_MESSAGES[code] ?? `Error ${code}`,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
  };
}

function statusForCode(code: number): number {
  if (code === 20003) return 401;
  if (code === 20404) return 404;
  if (code === 20429) return 429;
  return 400;
}

/** Twilio's dates are RFC 2822 with a numeric zone: "Tue, 14 Nov 2023 22:13:20 +0000". */
function rfc2822(date: Date): string {
  return date.toUTCString().replace("GMT", "+0000");
}

const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENDED = "^{}\\[~]|€\f";

/** Segment count as Twilio bills it: GSM-7 160/153 septets, otherwise UCS-2 70/67 UTF-16 units. */
export function smsSegments(body: string): number {
  if (body.length === 0) return 1;
  let septets = 0;
  for (const ch of body) {
    if (GSM7_BASIC.includes(ch)) septets += 1;
    else if (GSM7_EXTENDED.includes(ch)) septets += 2;
    else {
      septets = -1;
      break;
    }
  }
  if (septets >= 0) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  return body.length <= 70 ? 1 : Math.ceil(body.length / 67);
}

export async function startFakeTwilio(opts: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = opts.accountSid ?? FAKE_TWILIO_ACCOUNT_SID;
  const authToken = opts.authToken ?? FAKE_TWILIO_AUTH_TOKEN;
  const clock = opts.now ?? (() => new Date());
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
  const accountPath = `/${API_VERSION}/Accounts/${accountSid}`;
  const messages: FakeTwilioMessage[] = [];
  const setup = new FakeTwilioSetup(accountSid);
  const resources = new Map<string, Record<string, unknown>>();
  const media = new Map<string, { bytes: Buffer; contentType: string }>();
  const requests: FakeTwilioRequest[] = [];
  const failures: Array<TwilioFailure & { remaining: number }> = [];
  const drops: Array<{ afterCreate: boolean }> = [];
  let latencyMs = 0;
  let url = "";

  function createMessage(params: Record<string, string | string[]>): Answer {
    const one = (name: string): string | undefined => {
      const v = params[name];
      return Array.isArray(v) ? v[v.length - 1] : v;
    };
    const to = one("To");
    const from = one("From") ?? null;
    const messagingServiceSid = one("MessagingServiceSid") ?? null;
    const body = one("Body") ?? "";
    const rawMedia = params.MediaUrl;
    const mediaUrls = rawMedia === undefined ? [] : Array.isArray(rawMedia) ? rawMedia : [rawMedia];

    // Validation in the order Twilio reports it.
    if (!to) return twilioError(21604, 400);
    if (!from && !messagingServiceSid) return twilioError(21603, 400);
    if (!/^\+[1-9]\d{1,14}$/.test(to) && !to.includes(":"))
      return twilioError(21211, 400, `The 'To' number ${to} is not a valid phone number.`);
    if (!body && mediaUrls.length === 0 && !one("ContentSid")) return twilioError(21602, 400);
    if (body.length > 1600) return twilioError(21617, 400);

    const sid = twilioSid(mediaUrls.length > 0 ? "MM" : "SM");
    const now = clock();
    const validity = one("ValidityPeriod");
    messages.push({
      sid,
      to,
      from,
      messagingServiceSid,
      body,
      mediaUrls,
      statusCallback: one("StatusCallback") ?? null,
      validityPeriod: validity === undefined ? null : Number(validity),
      at: now,
      params,
    });
    const uri = `${accountPath}/Messages/${sid}.json`;
    const resource = {
      account_sid: accountSid,
      api_version: API_VERSION,
      body,
      date_created: rfc2822(now),
      date_sent: null,
      date_updated: rfc2822(now),
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from,
      messaging_service_sid: messagingServiceSid,
      // Twilio sends these two counts as strings; through a Messaging Service num_segments is "0"
      // until the service has picked a sender.
      num_media: String(mediaUrls.length),
      num_segments: messagingServiceSid ? "0" : String(smsSegments(body)),
      price: null,
      price_unit: "USD",
      sid,
      // A message sent through a Messaging Service starts "accepted" (the service picks the sender).
      status: messagingServiceSid ? "accepted" : "queued",
      subresource_uris: {
        media: `${accountPath}/Messages/${sid}/Media.json`,
        feedback: `${accountPath}/Messages/${sid}/Feedback.json`,
      },
      to,
      uri,
    };
    resources.set(sid, resource);
    return { status: 201, body: resource };
  }

  function listMessages(query: URLSearchParams): Answer {
    const to = query.get("To");
    const from = query.get("From");
    const dateFilters: Array<[string, (sent: Date, bound: DateBound) => boolean]> = [
      ["DateSent", (sent, bound) => bound.matches(sent)],
      ["DateSent<", (sent, bound) => sent.getTime() <= bound.end],
      ["DateSent>", (sent, bound) => sent.getTime() >= bound.start],
    ];
    const bounds: Array<[DateBound, (sent: Date, bound: DateBound) => boolean]> = [];
    for (const [name, test] of dateFilters) {
      const value = query.get(name);
      if (value === null) continue;
      const bound = parseDateBound(value);
      if (!bound) return twilioError(20001, 400, `Invalid ${name}: ${value}`);
      bounds.push([bound, test]);
    }
    const pageSize = Math.min(Math.max(Number(query.get("PageSize") ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(query.get("Page") ?? 0) || 0, 0);
    // Reversed first so that, the sort being stable, messages of the same second list newest first too.
    const matching = [...resources.values()]
      .reverse()
      .filter((r) => (to === null || r.to === to) && (from === null || r.from === from))
      // A message not yet sent has no date_sent, so no DateSent filter matches it.
      .filter((r) =>
        bounds.every(([bound, test]) => r.date_sent !== null && test(new Date(String(r.date_sent)), bound)),
      )
      .sort(newestFirst);
    const listUri = (p: number) => {
      const q = new URLSearchParams(query);
      q.set("PageSize", String(pageSize));
      q.set("Page", String(p));
      return `${accountPath}/Messages.json?${q.toString()}`;
    };
    const start = page * pageSize;
    const messagesOnPage = matching.slice(start, start + pageSize);
    return {
      status: 200,
      body: {
        messages: messagesOnPage,
        start,
        end: start + Math.max(messagesOnPage.length - 1, 0),
        page,
        page_size: pageSize,
        uri: listUri(page),
        first_page_uri: listUri(0),
        next_page_uri: start + pageSize < matching.length ? listUri(page + 1) : null,
        previous_page_uri: page > 0 ? listUri(page - 1) : null,
      },
    };
  }

  /** The account resource, as Twilio's 2010-04-01 API renders it. */
  function accountResource(): Record<string, unknown> {
    return {
      sid: accountSid,
      owner_account_sid: accountSid,
      friendly_name: "Fake Twilio account",
      status: opts.accountStatus ?? "active",
      type: "Full",
      auth_token: authToken,
      date_created: "Mon, 01 Jan 2024 00:00:00 +0000",
      date_updated: "Mon, 01 Jan 2024 00:00:00 +0000",
      uri: `${accountPath}.json`,
      subresource_uris: { messages: `${accountPath}/Messages.json` },
    };
  }

  function route(
    method: string,
    path: string,
    params: Record<string, string | string[]>,
    query: URLSearchParams,
  ): Answer {
    if (method === "GET" && path === `${accountPath}.json`) return { status: 200, body: accountResource() };
    const fromSetup = setup.route(method, path, query, (p) =>
      twilioError(20404, 404, `The requested resource ${p} was not found`),
    );
    if (fromSetup) return fromSetup;
    if (method === "POST" && path === `${accountPath}/Messages.json`) return createMessage(params);
    if (method === "GET" && path === `${accountPath}/Messages.json`) return listMessages(query);
    const fetch = new RegExp(`^${accountPath}/Messages/((?:SM|MM)[0-9a-f]{32})\\.json$`).exec(path);
    if (method === "GET" && fetch) {
      const resource = resources.get(fetch[1]!);
      if (resource) return { status: 200, body: resource };
    }
    return twilioError(20404, 404, `The requested resource ${path} was not found`);
  }

  /** Twilio's media URLs are public by default (no auth), and so are these. */
  function serveMedia(res: http.ServerResponse, path: string): boolean {
    const hosted = media.get(path);
    if (!hosted) return false;
    sendText(res, 200, hosted.bytes, hosted.contentType);
    return true;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const requestUrl = new URL(req.url ?? "/", "http://x");
    const path = requestUrl.pathname;
    const method = req.method ?? "GET";
    if (method === "GET" && serveMedia(res, path)) return;

    // GETs carry their filters in the query string; POSTs in a form body.
    const params = formToRecord(method === "GET" ? requestUrl.searchParams : new URLSearchParams(raw.toString("utf8")));
    const log = (answer: Answer, dropped = false): void => {
      requests.push({
        method,
        path,
        params,
        status: answer.status,
        code: answer.code,
        dropped: dropped || undefined,
        at: new Date(),
      });
    };

    let answer: Answer;
    const credentialsOk =
      req.headers.authorization === expectedAuth &&
      (path === `${accountPath}.json` || path.startsWith(`${accountPath}/`) || path.startsWith("/v1/"));
    const failure = credentialsOk ? failures[0] : undefined;
    const drop = credentialsOk && !failure ? drops.shift() : undefined;
    if (!credentialsOk) {
      // Also what Twilio answers when valid credentials name another account in the path.
      answer = twilioError(20003, 401);
      (answer.body as Record<string, unknown>).detail = "Your AccountSid or AuthToken was incorrect.";
      answer.headers = { "www-authenticate": 'Basic realm="Twilio API"' };
    } else if (failure) {
      if (--failure.remaining <= 0) failures.shift();
      answer = failureAnswer(failure);
    } else if (drop) {
      answer = drop.afterCreate ? route(method, path, params, requestUrl.searchParams) : { status: 0, body: null };
      log(answer, true);
      if (latencyMs > 0) await sleep(latencyMs);
      req.socket.destroy();
      return;
    } else {
      answer = route(method, path, params, requestUrl.searchParams);
    }
    log(answer);
    if (latencyMs > 0) await sleep(latencyMs);
    if (answer.plain) sendText(res, answer.status, String(answer.body));
    else sendJson(res, answer.status, answer.body, answer.headers);
  }

  const server = http.createServer(safeHandler("fake Twilio", handle));
  url = await listen(server);
  const { port } = server.address() as AddressInfo;

  return {
    url,
    accountSid,
    authToken,
    messages,
    requests,
    setup,
    failNext(failure) {
      failures.push({ ...failure, remaining: failure.times ?? 1 });
    },
    delay(ms) {
      latencyMs = ms;
    },
    dropConnectionNext(options = {}) {
      drops.push({ afterCreate: options.afterCreate ?? false });
    },
    async refuseConnections() {
      if (server.listening) await closeServer(server);
      // Let clients in this process read the close (poll phase) and drop their kept-alive sockets
      // (close phase), so their next request opens a connection and is refused, not reset.
      for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    },
    async acceptConnections() {
      if (server.listening) return;
      server.listen(port, "127.0.0.1");
      await once(server, "listening");
    },
    setStatus(sid, status, errorCode) {
      const resource = resources.get(sid);
      if (!resource) throw new Error(`fake Twilio: no message ${sid}`);
      Object.assign(resource, {
        status,
        date_updated: rfc2822(clock()),
        date_sent: ["sent", "delivered", "undelivered"].includes(status) ? rfc2822(clock()) : resource.date_sent,
        error_code: errorCode ?? null,
        error_message: errorCode ? (ERROR_MESSAGES[errorCode] ?? null) : null,
      });
    },
    receive(text) {
      const sid = twilioSid("SM");
      const now = clock();
      resources.set(sid, {
        account_sid: accountSid,
        api_version: API_VERSION,
        body: text.body,
        date_created: rfc2822(now),
        date_sent: rfc2822(now),
        date_updated: rfc2822(now),
        direction: "inbound",
        error_code: null,
        error_message: null,
        from: text.from,
        messaging_service_sid: null,
        num_media: "0",
        num_segments: String(smsSegments(text.body)),
        price: null,
        price_unit: "USD",
        sid,
        status: "received",
        subresource_uris: {
          media: `${accountPath}/Messages/${sid}/Media.json`,
          feedback: `${accountPath}/Messages/${sid}/Feedback.json`,
        },
        to: text.to,
        uri: `${accountPath}/Messages/${sid}.json`,
      });
      const params = {
        ToCountry: "US",
        SmsMessageSid: sid,
        NumMedia: "0",
        SmsSid: sid,
        SmsStatus: "received",
        Body: text.body,
        To: text.to,
        NumSegments: String(smsSegments(text.body)),
        MessageSid: sid,
        AccountSid: accountSid,
        From: text.from,
        ApiVersion: API_VERSION,
      };
      return { sid, params };
    },
    hostMedia(bytes, contentType) {
      const path = `${accountPath}/Messages/${twilioSid("MM")}/Media/${twilioSid("ME")}`;
      media.set(path, { bytes, contentType });
      return `${url}${path}`;
    },
    reset() {
      messages.length = 0;
      resources.clear();
      requests.length = 0;
      failures.length = 0;
      drops.length = 0;
      latencyMs = 0;
    },
    close: async () => {
      if (server.listening) await closeServer(server);
    },
  };
}

/** A DateSent value: a whole UTC day (YYYY-MM-DD, as Twilio documents) or an instant (as the SDK sends). */
interface DateBound {
  start: number;
  end: number;
  matches(sent: Date): boolean;
}

function parseDateBound(value: string): DateBound | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(start)) return null;
    const end = start + 24 * 3600_000 - 1;
    return { start, end, matches: (sent) => sent.getTime() >= start && sent.getTime() <= end };
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  // Twilio's timestamps have whole seconds.
  return { start: at, end: at, matches: (sent) => Math.floor(sent.getTime() / 1000) === Math.floor(at / 1000) };
}

/** Twilio lists by date_sent, newest first; messages still waiting to be sent come before all of them. */
function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const unsent = (r: Record<string, unknown>) => r.date_sent === null;
  if (unsent(a) !== unsent(b)) return unsent(a) ? -1 : 1;
  const at = (r: Record<string, unknown>) => Date.parse(String(r.date_sent ?? r.date_created));
  return at(b) - at(a);
}

function failureAnswer(failure: TwilioFailure): Answer {
  const code = failure.code;
  if (code === undefined || code < 1000) {
    // A bare HTTP failure (load balancer, outage): plain-text body, no Twilio code.
    const status = failure.status ?? code ?? 500;
    return { status, body: failure.message ?? `${status} ${HTTP_REASONS[status] ?? "Error"}`, plain: true };
  }
  return twilioError(code, failure.status ?? statusForCode(code), failure.message);
}
