import type { Database } from "../db/database";
import type { Logger } from "../logger";
import { recordInboundSms } from "./inbound-sms";
import type { LoggedInboundSms, SmsGateway } from "./sms-gateway";

/*
 * Lost webhooks: Twilio does not retry an inbound webhook that failed (the app was down, overloaded
 * and answered 503, or the network broke), but every text stays in its message log. This compares
 * the recent log with the inbox and stores what never arrived, through the same dedupe as the
 * webhook (the MessageSid), so each text is processed exactly once whichever way it came.
 */

/** How far back each run reads Twilio's log: covers an outage (or the app being down) this long. */
export const INBOUND_LOOKBACK_MS = 6 * 3600_000;

const KNOWN_SQL = `SELECT "externalId" FROM "InboundEvent" WHERE source = 'twilio.sms' AND "externalId" = ANY($1::text[])`;

export interface InboundReconciliation {
  /** Voters' texts in the log for the window. */
  listed: number;
  /** Of those, the ones the webhook had not delivered: stored now, and processed by the inbox like any other. */
  recovered: number;
}

export async function reconcileInboundTexts(
  deps: { db: Pick<Database, "sql">; sms: Pick<SmsGateway, "listInbound">; logger: Logger },
  now: Date,
): Promise<InboundReconciliation> {
  if (!deps.sms.listInbound) return { listed: 0, recovered: 0 };
  const logged = await deps.sms.listInbound({ since: new Date(now.getTime() - INBOUND_LOOKBACK_MS) });
  if (logged.length === 0) return { listed: 0, recovered: 0 };
  const known = new Set(
    (await deps.db.sql.query<{ externalId: string }>(KNOWN_SQL, [logged.map((m) => m.sid)])).map((r) => r.externalId),
  );
  // Oldest first, so the inbox takes a voter's recovered texts in the order they were sent.
  const missing = logged
    .filter((m) => !known.has(m.sid))
    .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  let recovered = 0;
  for (const text of missing) {
    // A webhook arriving meanwhile is not a problem: whichever stores it first wins, the other adds nothing.
    const result = await recordInboundSms(
      deps.db.sql,
      {
        sid: text.sid,
        from: text.from,
        to: text.to,
        body: text.body,
        media: [],
        carrierKeyword: null,
        raw: rawOf(text),
      },
      text.receivedAt,
    );
    if (!result.stored) continue;
    recovered++;
    deps.logger.warn(
      { sid: text.sid, receivedAt: text.receivedAt, numMedia: text.numMedia },
      text.numMedia > 0
        ? "inbound text recovered from Twilio's message log (its webhook never arrived); its pictures stay in Twilio's log"
        : "inbound text recovered from Twilio's message log (its webhook never arrived)",
    );
  }
  return { listed: logged.length, recovered };
}

/** What the inbox keeps as the carrier's parameters: the log's fields under the webhook's names, marked as recovered. */
function rawOf(text: LoggedInboundSms): Record<string, string> {
  return {
    MessageSid: text.sid,
    From: text.from,
    To: text.to,
    Body: text.body,
    NumMedia: String(text.numMedia),
    DateSent: text.receivedAt.toISOString(),
    RecoveredFrom: "message-log",
  };
}
