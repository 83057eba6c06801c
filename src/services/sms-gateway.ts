import type { SendFailureKind } from "../domain/twilio-errors";

export type { SendFailureKind } from "../domain/twilio-errors";

/** One outbound text, as services see it: no Twilio types. */
export interface OutboundSms {
  /** E.164 phone number of the recipient. */
  to: string;
  body: string;
  /** Public URLs of up to 10 images: makes the text an MMS. */
  mediaUrls?: readonly string[];
  /** How long Twilio may hold the text in its queue before dropping it, in seconds (1 up to MAX_VALIDITY_SECONDS, quiet-hours.ts). */
  validityPeriodSeconds?: number;
}

/**
 * What came of one `send`:
 * - `accepted`: Twilio took the text (it will report delivery to the status callback).
 * - `rejected`: Twilio proved it did not take the text, or it could not be reached at all; nothing
 *   was sent. The gateway already retried what may be retried (`twilio-busy`, `twilio-unreachable`
 *   mean the retries ran out: the volunteer may click again).
 * - `unknown`: the request may have reached Twilio. Never resend automatically: reconcile with
 *   `findSent` first, since a second request could text the voter twice.
 */
export type SendResult =
  | { outcome: "accepted"; sid: string; status: string; segments: number | null; attempts: number }
  | {
      outcome: "rejected";
      code: number | null;
      kind: SendFailureKind;
      /** For the volunteer's card (see `sendFailureAdvice(kind)` for what admins should do). */
      message: string;
      /** What Twilio (or the network) said, for the log. */
      detail: string;
      retryable: false;
      attempts: number;
    }
  | { outcome: "unknown"; message: string; detail: string; attempts: number };

export interface SentMessage {
  sid: string;
  status: string;
}

/** A voter's text as the carrier's message log has it (Twilio keeps every one, delivered to us or not). */
export interface LoggedInboundSms {
  sid: string;
  from: string;
  to: string;
  body: string;
  /** Pictures it carried; the log lists them apart, and reconciliation does not fetch them. */
  numMedia: number;
  receivedAt: Date;
}

export interface SmsGateway {
  send(sms: OutboundSms): Promise<SendResult>;
  /**
   * For reconciling an `unknown` outcome: the earliest text with this body that Twilio has for this
   * number, created at or after `after` (the moment before the send began) and not one of `except`
   * (SIDs already stored on other messages), or null when there is none.
   */
  findSent(query: { to: string; after: Date; body: string; except?: readonly string[] }): Promise<SentMessage | null>;
  /**
   * Texts voters sent to our number(s) since `since`, newest first, from the carrier's message log:
   * what inbound reconciliation compares with the inbox (a webhook lost in an outage is not retried).
   */
  listInbound?(query: { since: Date }): Promise<LoggedInboundSms[]>;
}
