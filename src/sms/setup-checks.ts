import type { Config } from "../config";
import { fail, pass, skip, type CheckResult } from "../doctor/report";
import { classifyTwilioFailure, checkTwilioAccount } from "./twilio-check";
import { createTwilioClient } from "./twilio-client";

const UNREACHABLE_FIX =
  "check this machine's network, DNS and proxy settings (and TWILIO_API_URL if set), then run npm run doctor again";

/** Credentials, the sender (Messaging Service or number) and where its inbound texts go, and A2P 10DLC registration. */
export async function checkTwilioSetup(settings: Config["twilio"], publicUrl: string): Promise<CheckResult[]> {
  const account = await checkTwilioAccount(settings);
  if (account.kind !== "ok") {
    const result =
      account.kind === "unreachable"
        ? fail(
            "Twilio credentials",
            `Twilio could not be reached (${account.call} to ${account.host}: ${account.reason})`,
            UNREACHABLE_FIX,
          )
        : fail(
            "Twilio credentials",
            account.message,
            "copy the Account SID and Auth Token from the Twilio Console → Account Info into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
          );
    return [result, skip("Twilio sender", "not checked without working credentials"), skip("A2P 10DLC", "not checked")];
  }
  const results = [pass("Twilio credentials", `accepted (${String(account.detail?.account ?? settings.accountSid)})`)];
  const client = createTwilioClient(settings, { timeoutMs: 10_000 });
  const inboundUrl = `${publicUrl}/twilio/sms`;
  const unreachable = (item: string, error: unknown, call: string): CheckResult => {
    const o = classifyTwilioFailure(error, call, settings.apiUrl);
    return o.kind === "unreachable"
      ? fail(item, `could not ask Twilio (${o.call} to ${o.host}: ${o.reason})`, UNREACHABLE_FIX)
      : fail(item, o.kind === "rejected" ? o.message : "refused", "check the credentials' permissions");
  };

  if (settings.messagingServiceSid) {
    const sid = settings.messagingServiceSid;
    const call = `GET /v1/Services/${sid}`;
    try {
      const service = await client.messaging.v1.services(sid).fetch();
      if (service.useInboundWebhookOnNumber) {
        results.push(
          fail(
            "Twilio sender",
            `Messaging Service ${service.friendlyName} defers inbound texts to each number's own webhook`,
            `in the Twilio Console → Messaging → Services → ${service.friendlyName} → Integration, choose "Send a webhook" with the URL ${inboundUrl}`,
          ),
        );
      } else if (service.inboundRequestUrl !== inboundUrl) {
        results.push(
          fail(
            "Twilio sender",
            `Messaging Service ${service.friendlyName} sends inbound texts to ${service.inboundRequestUrl || "nowhere"}, not ${inboundUrl}`,
            `set its Integration → Incoming Messages → "Send a webhook" URL to ${inboundUrl} (method POST)`,
          ),
        );
      } else
        results.push(
          pass("Twilio sender", `Messaging Service ${service.friendlyName} posts inbound texts to ${inboundUrl}`),
        );
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        results.push(
          fail(
            "Twilio sender",
            `no Messaging Service ${sid} in this account`,
            "copy the service's SID (MG…) from the Twilio Console → Messaging → Services into TWILIO_MESSAGING_SERVICE_SID",
          ),
        );
        results.push(skip("A2P 10DLC", "not checked without the Messaging Service"));
        return results;
      }
      results.push(unreachable("Twilio sender", error, call));
    }
    results.push(await checkA2p(client, sid, settings.apiUrl));
    return results;
  }

  const number = settings.fromNumber!;
  try {
    const [found] = await client.incomingPhoneNumbers.list({ phoneNumber: number, limit: 1 });
    if (!found) {
      results.push(
        fail(
          "Twilio sender",
          `${number} is not a number of this account`,
          "set TWILIO_FROM_NUMBER to one of the account's numbers (Phone Numbers → Manage → Active numbers)",
        ),
      );
    } else if (found.smsUrl !== inboundUrl) {
      results.push(
        fail(
          "Twilio sender",
          `${number} sends inbound texts to ${found.smsUrl || "nowhere"}, not ${inboundUrl}`,
          `in Phone Numbers → ${number} → Messaging, set "A message comes in" to Webhook ${inboundUrl} (HTTP POST)`,
        ),
      );
    } else results.push(pass("Twilio sender", `${number} posts inbound texts to ${inboundUrl}`));
  } catch (error) {
    results.push(unreachable("Twilio sender", error, "GET IncomingPhoneNumbers.json"));
  }
  results.push(
    skip(
      "A2P 10DLC",
      "registration is read from a Messaging Service; with TWILIO_FROM_NUMBER alone Twilio's API does not tell",
    ),
  );
  return results;
}

async function checkA2p(
  client: ReturnType<typeof createTwilioClient>,
  serviceSid: string,
  apiUrl: string | undefined,
): Promise<CheckResult> {
  const item = "A2P 10DLC";
  try {
    const campaigns = await client.messaging.v1.services(serviceSid).usAppToPerson.list({ limit: 20 });
    if (campaigns.length === 0) {
      return fail(
        item,
        "no A2P 10DLC campaign registered on the Messaging Service: carriers block unregistered texts (error 30034)",
        "register a brand and a Political campaign (Campaign Verify token) under Messaging → Regulatory Compliance, on this Messaging Service",
      );
    }
    const verified = campaigns.find((c) => c.campaignStatus === "VERIFIED");
    if (verified) return pass(item, `campaign ${verified.usAppToPersonUsecase} is VERIFIED`);
    const first = campaigns[0]!;
    return fail(
      item,
      `campaign ${first.usAppToPersonUsecase} is ${first.campaignStatus}${first.errors?.length ? ` (${JSON.stringify(first.errors).slice(0, 200)})` : ""}`,
      first.campaignStatus === "FAILED"
        ? "fix what the vetting rejected and resubmit the campaign in the Twilio Console"
        : "wait for carrier vetting to finish (days); texts sent before then may be blocked",
    );
  } catch (error) {
    const o = classifyTwilioFailure(error, `GET /v1/Services/${serviceSid}/Compliance/Usa2p`, apiUrl);
    return o.kind === "unreachable"
      ? fail(item, `could not ask Twilio (${o.call} to ${o.host}: ${o.reason})`, UNREACHABLE_FIX)
      : fail(item, o.kind === "rejected" ? o.message : "refused", "check the credentials' permissions");
  }
}
