/*
 * What to do when Twilio refuses or fails a text: which errors may be retried, which record an
 * opt-out, which alert the campaign's admins, and what the volunteer is told (PLATFORM.md, "Errors").
 * The same codes arrive two ways: in the API's answer to a send, and later as a status callback's
 * ErrorCode (30003–30034 are delivery failures reported by carriers). Codes: twilio.com/docs/api/errors.
 */

export const SEND_FAILURE_KINDS = [
  "opted-out",
  "invalid-number",
  "landline",
  "not-in-service",
  "blocked",
  "country-not-enabled",
  "too-long",
  "unreachable",
  "delivery-failed",
  "expired",
  "carrier-filtered",
  "unregistered-sender",
  "sender-not-set-up",
  "sender-queue-full",
  "twilio-busy",
  "twilio-unreachable",
  "rejected",
] as const;

export type SendFailureKind = (typeof SEND_FAILURE_KINDS)[number];

/**
 * - `never`: resending cannot help, or would break a rule.
 * - `backoff`: Twilio proved it did not take the text; the same request may go again after a pause.
 * - `once-later`: a delivery failure that may pass (phone off, carrier hiccup): one more text later, never more.
 */
export type RetryPolicy = "never" | "backoff" | "once-later";

export interface SendFailureAdvice {
  readonly kind: SendFailureKind;
  readonly retry: RetryPolicy;
  /** Shown on the volunteer's card. */
  readonly forVolunteer: string;
  /** What an admin has to do about it; null when nothing. */
  readonly forAdmins: string | null;
  /** Post an alert to the campaign's admins (carrier filtering, unregistered sender, broken setup). */
  readonly alertAdmins: boolean;
  /** The caller records an opt-out for the number (Twilio already blocks it). */
  readonly recordOptOut: boolean;
}

export interface TwilioErrorClass extends SendFailureAdvice {
  /** Twilio's error code, when it gave one. */
  readonly code: number | null;
}

type Advice = Omit<SendFailureAdvice, "kind">;

const advice = (forVolunteer: string, extra: Partial<Advice> = {}): Advice => ({
  retry: "never",
  forVolunteer,
  forAdmins: null,
  alertAdmins: false,
  recordOptOut: false,
  ...extra,
});

const ADVICE: Record<SendFailureKind, Advice> = {
  "opted-out": advice("This person has opted out of texts (they replied STOP), so they can't be texted.", {
    recordOptOut: true,
  }),
  "invalid-number": advice("This phone number isn't valid, so it can't be texted."),
  landline: advice("This number is a landline and can't receive texts."),
  "not-in-service": advice("This number isn't in service, so the text wasn't delivered."),
  blocked: advice("The recipient's phone or carrier blocked this text. Don't resend it."),
  "country-not-enabled": advice("Texts to this number's country aren't enabled for the campaign.", {
    forAdmins:
      "A text went to a country the Twilio account may not text. If the campaign should reach it, enable the country in Twilio Console → Messaging → Settings → Geo permissions.",
  }),
  "too-long": advice("This message is over 1,600 characters, so Twilio refused it. Shorten it and send again.", {
    forAdmins: "A message was over Twilio's 1,600-character limit: shorten the campaign's script.",
  }),
  unreachable: advice(
    "The phone is off or out of coverage, so the text wasn't delivered. It can be tried once more later.",
    {
      retry: "once-later",
    },
  ),
  "delivery-failed": advice(
    "The carrier couldn't deliver this text, for no stated reason. It can be tried once more later.",
    {
      retry: "once-later",
    },
  ),
  expired: advice(
    "The text waited in Twilio's queue until the recipient's texting hours ran out, so it wasn't sent. It can be tried once more in their next window.",
    {
      retry: "once-later",
    },
  ),
  "carrier-filtered": advice(
    "The carrier filtered this text as spam, so it wasn't delivered. Don't resend it; the campaign's admins have been told.",
    {
      alertAdmins: true,
      forAdmins:
        'Carriers filtered a text from this campaign as spam (Twilio error 30007). Review the script: say who is texting and for which campaign, keep "Reply STOP to opt out", drop links from first messages (or use a branded short link, never a public shortener), and avoid spam-like wording (all caps, urgency, money). Repeated filtering gets the sending number blocked.',
    },
  ),
  "unregistered-sender": advice(
    "This text can't go out: the campaign's sending number isn't registered with US carriers yet. The campaign's admins have been told.",
    {
      alertAdmins: true,
      forAdmins:
        "US carriers blocked a text because the sending number isn't registered for A2P 10DLC (Twilio error 30034). Register the 10DLC campaign (Political use case, with its Campaign Verify token) in Twilio Console → Messaging → Regulatory Compliance, and link the Messaging Service that holds the sending numbers to it. Every text fails until then.",
    },
  ),
  "sender-not-set-up": advice(
    "Texting isn't set up correctly for this campaign, so nothing was sent. The campaign's admins have been told.",
    {
      alertAdmins: true,
      forAdmins:
        "Twilio refused the app's credentials or sender. Check that TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are current, that the Twilio account is active and funded, and that TWILIO_MESSAGING_SERVICE_SID (or TWILIO_FROM_NUMBER) names an SMS-capable, verified sender of that account.",
    },
  ),
  "sender-queue-full": advice(
    "The campaign's sending numbers have hours of texts waiting, so this one wasn't sent. Try again later.",
    {
      alertAdmins: true,
      forAdmins:
        "Twilio's queue for the sending numbers is full (10 hours of texts). Add numbers to the Messaging Service, or send more slowly.",
    },
  ),
  "twilio-busy": advice("Twilio is busy right now, so the text wasn't sent. Try again in a moment.", {
    retry: "backoff",
  }),
  "twilio-unreachable": advice("The app couldn't reach Twilio, so the text wasn't sent. Try again in a moment.", {
    retry: "backoff",
    forAdmins:
      "The app could not connect to Twilio. If this keeps happening, check the server's network and DNS for api.twilio.com.",
  }),
  rejected: advice("Twilio refused this text."),
};

/** Twilio's codes by what they mean for the campaign. */
const KIND_OF_CODE: ReadonlyMap<number, SendFailureKind> = new Map([
  [21610, "opted-out"], // recipient replied STOP: Twilio blocks the number itself
  [21211, "invalid-number"],
  [21614, "landline"], // 'To' is not a mobile number
  [30006, "landline"], // landline or unreachable carrier
  [30005, "not-in-service"], // unknown destination handset
  [30004, "blocked"],
  [21408, "country-not-enabled"], // geo permissions
  [21617, "too-long"], // over 1,600 characters
  [30003, "unreachable"], // handset off or out of coverage
  [30008, "delivery-failed"], // unknown carrier error
  [30036, "expired"], // validity period elapsed in Twilio's queue
  [30007, "carrier-filtered"],
  [30034, "unregistered-sender"], // A2P 10DLC
  [20003, "sender-not-set-up"], // authentication failed
  [20005, "sender-not-set-up"], // account not active
  [10001, "sender-not-set-up"], // account not active
  [30002, "sender-not-set-up"], // account suspended
  [21212, "sender-not-set-up"], // invalid From number
  [21601, "sender-not-set-up"], // From is not a number of this account
  [21606, "sender-not-set-up"], // From is not message-capable
  [21608, "sender-not-set-up"], // trial account: unverified recipient
  [21661, "sender-not-set-up"], // From is not SMS-capable
  [30032, "sender-not-set-up"], // toll-free number not verified
  [21611, "sender-queue-full"],
  [30001, "sender-queue-full"], // queue overflow
  [20429, "twilio-busy"], // too many requests
]);

export function sendFailureAdvice(kind: SendFailureKind): SendFailureAdvice {
  return { kind, ...ADVICE[kind] };
}

/**
 * Classifies what Twilio answered (`httpStatus` from the API, `code` from the body or a status
 * callback's ErrorCode). A code Twilio gave wins over the HTTP status.
 */
export function classifyTwilioError(error: { code?: number | null; httpStatus?: number | null }): TwilioErrorClass {
  const code = error.code ?? null;
  const byCode = code === null ? undefined : KIND_OF_CODE.get(code);
  const kind: SendFailureKind = byCode ?? kindOfStatus(error.httpStatus ?? null);
  const advice = sendFailureAdvice(kind);
  if (kind === "rejected" && code !== null) {
    return {
      ...advice,
      code,
      forVolunteer: `Twilio refused this text (error ${code}: twilio.com/docs/api/errors/${code}).`,
    };
  }
  return { ...advice, code };
}

function kindOfStatus(httpStatus: number | null): SendFailureKind {
  if (httpStatus === 429) return "twilio-busy";
  if (httpStatus === 401 || httpStatus === 403) return "sender-not-set-up";
  return "rejected";
}

/**
 * True when an HTTP answer to a send proves Twilio created no message: a 4xx refuses the request.
 * A 5xx (or no answer) does not: the message may exist, and sending again risks a double text.
 */
export function provesNotAccepted(httpStatus: number): boolean {
  return httpStatus >= 400 && httpStatus < 500;
}
