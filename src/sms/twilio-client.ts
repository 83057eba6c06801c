import twilio from "twilio";
import RequestClient from "twilio/lib/base/RequestClient";
import type { Config } from "../config";

export interface TwilioClientOptions {
  /** Per-request timeout in milliseconds (the SDK's default is 30 s). */
  timeoutMs?: number;
}

/**
 * The Twilio SDK client. With `apiUrl` set (tests, demos) every request is sent there instead of
 * api.twilio.com, through the SDK's own httpClient seam, so the rest of the SDK runs unchanged.
 */
export function createTwilioClient(settings: Config["twilio"], options: TwilioClientOptions = {}): twilio.Twilio {
  const { apiUrl } = settings;
  const timeout = options.timeoutMs;
  if (!apiUrl) return twilio(settings.accountSid, settings.authToken, { timeout });
  const base = apiUrl.replace(/\/+$/, "");
  class RedirectingRequestClient extends RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      return super.request<TData>({ ...opts, uri: opts.uri.replace(/^https:\/\/[a-z0-9.-]*twilio\.com/i, base) });
    }
  }
  return twilio(settings.accountSid, settings.authToken, { httpClient: new RedirectingRequestClient({ timeout }) });
}
