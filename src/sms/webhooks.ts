import type { IncomingMessage, ServerResponse } from "node:http";
import twilio from "twilio";
import { z } from "zod";
import type { SqlRunner } from "../db/database";
import type { PrismaClient } from "../db/generated/client";
import { OUTBOUND_STATUSES } from "../domain/message-status";
import { BodyTooLargeError, readBody, send } from "../http/io";
import type { Logger } from "../logger";
import { recordDeliveryStatus, recordInboundSms, type CarrierKeyword } from "../services/inbound-sms";

/** Twilio posts at most a few KB (1,600 chars of body plus up to 10 media URLs). */
const WEBHOOK_BODY_LIMIT = 64 * 1024;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export interface TwilioWebhookDeps {
  prisma: PrismaClient;
  /** Inbound texts are stored with one plain statement: the webhook's only query. */
  sql: SqlRunner;
  authToken: string;
  /** The https base Twilio was given; signatures cover this URL, not our internal one. */
  publicUrl: string;
  logger: Logger;
  /** The app's one clock: an inbound text is dated by it, like every text we send. */
  clock: () => Date;
  /** Called after a new inbound text is stored, so it is processed at once. */
  onInboundStored?: () => void;
}

const inboundSchema = z
  .object({
    MessageSid: z.string().min(1),
    From: z.string().min(1),
    To: z.string().min(1),
    Body: z.string().default(""),
    NumMedia: z.coerce.number().int().min(0).max(10).default(0),
    // Present when Twilio's Advanced Opt-Out handled a keyword (and answered the voter itself).
    OptOutType: z
      .string()
      .transform((v) => v.toUpperCase())
      .pipe(z.enum(["STOP", "START", "HELP"]))
      .optional()
      .catch(undefined),
  })
  .loose();

const CARRIER_KEYWORDS: Record<"STOP" | "START" | "HELP", CarrierKeyword> = {
  STOP: "opt-out",
  START: "opt-in",
  HELP: "help",
};

const statusSchema = z
  .object({
    MessageSid: z.string().min(1),
    MessageStatus: z.enum(OUTBOUND_STATUSES),
    ErrorCode: z.coerce.number().int().optional(),
  })
  .loose();

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Reads, size-limits and signature-checks a Twilio webhook; answers the failure itself and returns null. */
async function verifiedParams(
  req: IncomingMessage,
  res: ServerResponse,
  deps: TwilioWebhookDeps,
): Promise<Record<string, string> | null> {
  let raw: string;
  try {
    raw = await readBody(req, WEBHOOK_BODY_LIMIT);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      send(res, 413, "Webhook body too large.");
      return null;
    }
    throw error;
  }
  const params = Object.fromEntries(new URLSearchParams(raw));
  const signature = req.headers["x-twilio-signature"];
  const url = deps.publicUrl + (req.url ?? "");
  if (typeof signature !== "string" || !twilio.validateRequest(deps.authToken, signature, url, params)) {
    deps.logger.warn(
      { path: req.url, hasSignature: typeof signature === "string" },
      "twilio webhook: bad signature, ignored",
    );
    send(res, 403, "Invalid or missing X-Twilio-Signature.");
    return null;
  }
  return params;
}

/** A verified webhook whose parameters also match `schema`; a malformed one gets 400 naming the fields. */
async function verifiedWebhook<T>(
  req: IncomingMessage,
  res: ServerResponse,
  deps: TwilioWebhookDeps,
  schema: z.ZodType<T>,
  what: string,
): Promise<{ params: Record<string, string>; data: T } | null> {
  const params = await verifiedParams(req, res, deps);
  if (!params) return null;
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues }, `twilio webhook: malformed ${what}, ignored`);
    send(res, 400, `Malformed ${what}: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
    return null;
  }
  return { params, data: parsed.data };
}

function guarded(name: string, logger: Logger, handler: Handler): Handler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      // A 5xx makes Twilio log the failure (and retry where configured); nothing was half-stored.
      logger.error({ err: error, route: name }, "twilio webhook failed");
      if (!res.headersSent) send(res, 500, "Temporary failure; please retry.");
    }
  };
}

/** POST /twilio/sms: a voter's text. Stored once, answered with empty TwiML (we reply from Slack, not here). */
export function inboundSmsRoute(deps: TwilioWebhookDeps): Handler {
  return guarded("inbound", deps.logger, async (req, res) => {
    const webhook = await verifiedWebhook(req, res, deps, inboundSchema, "inbound message");
    if (!webhook) return;
    const { params, data: p } = webhook;
    const media = Array.from({ length: p.NumMedia }, (_, i) => ({
      url: params[`MediaUrl${i}`] ?? "",
      contentType: params[`MediaContentType${i}`] ?? "",
    })).filter((m) => m.url);
    const result = await recordInboundSms(
      deps.sql,
      {
        sid: p.MessageSid,
        from: p.From,
        to: p.To,
        body: p.Body,
        media,
        carrierKeyword: p.OptOutType ? CARRIER_KEYWORDS[p.OptOutType] : null,
        raw: params,
      },
      deps.clock(),
    );
    deps.logger.info({ sid: p.MessageSid, duplicate: !result.stored }, "twilio inbound stored");
    if (result.stored) deps.onInboundStored?.();
    send(res, 200, EMPTY_TWIML, "text/xml; charset=utf-8");
  });
}

/** POST /twilio/status: delivery callbacks for our outbound messages. */
export function statusCallbackRoute(deps: TwilioWebhookDeps): Handler {
  return guarded("status", deps.logger, async (req, res) => {
    const webhook = await verifiedWebhook(req, res, deps, statusSchema, "status callback");
    if (!webhook) return;
    const { params, data: p } = webhook;
    const outcome = await recordDeliveryStatus(deps.prisma, {
      sid: p.MessageSid,
      status: p.MessageStatus,
      errorCode: p.ErrorCode ?? null,
      raw: params,
    });
    deps.logger.info({ sid: p.MessageSid, status: p.MessageStatus, outcome }, "twilio status callback");
    send(res, 204, "");
  });
}
