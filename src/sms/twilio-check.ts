import type { CheckOutcome } from "../boot/readiness";
import type { Config } from "../config";
import { createTwilioClient } from "./twilio-client";

/** The host Twilio calls go to, for log lines. */
export function twilioHost(apiUrl: string | undefined): string {
  return apiUrl ? new URL(apiUrl).host : "api.twilio.com";
}

/** Sorts a failed Twilio REST call into "Twilio refused the credentials" and "Twilio could not be reached". */
export function classifyTwilioFailure(error: unknown, call: string, apiUrl: string | undefined): CheckOutcome {
  const e = error as { status?: number; code?: number | string; message?: string };
  if (typeof e.status === "number" && (e.status === 401 || e.status === 403)) {
    return {
      kind: "rejected",
      message: `Twilio answered ${call} with HTTP ${e.status}${typeof e.code === "number" ? ` (error ${e.code})` : ""}`,
    };
  }
  const reason =
    typeof e.status === "number"
      ? `HTTP ${e.status}`
      : typeof e.code === "string"
        ? e.code
        : (e.message ?? "no answer");
  return { kind: "unreachable", host: twilioHost(apiUrl), call, reason };
}

/** Fetches the account with the configured SID and auth token: ok, rejected (wrong or suspended), or unreachable. */
export async function checkTwilioAccount(settings: Config["twilio"], timeoutMs = 10_000): Promise<CheckOutcome> {
  const call = `GET /2010-04-01/Accounts/${settings.accountSid}.json`;
  try {
    const account = await createTwilioClient(settings, { timeoutMs }).api.v2010.accounts(settings.accountSid).fetch();
    if (account.status !== "active") {
      return { kind: "rejected", message: `the Twilio account ${settings.accountSid} is ${account.status}` };
    }
    return { kind: "ok", detail: { account: account.friendlyName } };
  } catch (error) {
    return classifyTwilioFailure(error, call, settings.apiUrl);
  }
}
