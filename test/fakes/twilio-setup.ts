/**
 * The account setup the fake Twilio serves, in Twilio's wire format: Messaging Services
 * (messaging.twilio.com/v1/Services), their A2P 10DLC campaigns (/Compliance/Usa2p) and the
 * account's phone numbers (/2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers.json). `npm run doctor` reads them.
 */
import { randomHex } from "./http";

export interface FakeMessagingService {
  sid: string;
  friendlyName: string;
  /** Where Twilio posts inbound texts when the service handles them ("Send a webhook"). */
  inboundRequestUrl: string | null;
  /** True: "Defer to sender's webhook", each number's own SMS URL is used instead. */
  useInboundWebhookOnNumber: boolean;
  /** The A2P 10DLC campaign's status (VERIFIED, PENDING, IN_PROGRESS, FAILED); null: none registered. */
  a2pCampaignStatus: string | null;
}

export interface FakePhoneNumber {
  sid: string;
  phoneNumber: string;
  smsUrl: string;
}

interface Answer {
  status: number;
  body: unknown;
}

const DATE = "Mon, 01 Jan 2024 00:00:00 +0000";
const ISO_DATE = "2024-01-01T00:00:00Z";

export class FakeTwilioSetup {
  readonly services = new Map<string, FakeMessagingService>();
  readonly numbers: FakePhoneNumber[] = [];

  constructor(private readonly accountSid: string) {}

  addMessagingService(service: Partial<FakeMessagingService> & { sid: string }): FakeMessagingService {
    const full: FakeMessagingService = {
      friendlyName: "Campaign texting",
      inboundRequestUrl: null,
      useInboundWebhookOnNumber: false,
      a2pCampaignStatus: null,
      ...service,
    };
    this.services.set(full.sid, full);
    return full;
  }

  addPhoneNumber(number: Partial<FakePhoneNumber> & { phoneNumber: string }): FakePhoneNumber {
    const full: FakePhoneNumber = { sid: `PN${randomHex(32)}`, smsUrl: "", ...number };
    this.numbers.push(full);
    return full;
  }

  /** Answers the paths this class owns; undefined for any other path. */
  route(method: string, path: string, query: URLSearchParams, notFound: (path: string) => Answer): Answer | undefined {
    if (method !== "GET") return undefined;
    const service = /^\/v1\/Services\/(MG[0-9a-f]{32})$/i.exec(path);
    if (service) {
      const found = this.services.get(service[1]!);
      return found ? { status: 200, body: this.serviceResource(found) } : notFound(path);
    }
    const a2p = /^\/v1\/Services\/(MG[0-9a-f]{32})\/Compliance\/Usa2p$/i.exec(path);
    if (a2p) {
      const found = this.services.get(a2p[1]!);
      if (!found) return notFound(path);
      const compliance = found.a2pCampaignStatus === null ? [] : [this.a2pResource(found)];
      return { status: 200, body: { compliance, meta: this.meta(path, "compliance") } };
    }
    if (path === `/2010-04-01/Accounts/${this.accountSid}/IncomingPhoneNumbers.json`) {
      const wanted = query.get("PhoneNumber");
      const list = this.numbers.filter((n) => !wanted || n.phoneNumber === wanted).map((n) => this.numberResource(n));
      return {
        status: 200,
        body: {
          incoming_phone_numbers: list,
          start: 0,
          end: Math.max(list.length - 1, 0),
          page: 0,
          page_size: 50,
          uri: path,
          first_page_uri: path,
          next_page_uri: null,
          previous_page_uri: null,
        },
      };
    }
    return undefined;
  }

  private serviceResource(s: FakeMessagingService): Record<string, unknown> {
    const url = `https://messaging.twilio.com/v1/Services/${s.sid}`;
    return {
      account_sid: this.accountSid,
      sid: s.sid,
      friendly_name: s.friendlyName,
      date_created: ISO_DATE,
      date_updated: ISO_DATE,
      inbound_request_url: s.inboundRequestUrl,
      inbound_method: "POST",
      fallback_url: null,
      fallback_method: "POST",
      status_callback: null,
      sticky_sender: true,
      mms_converter: true,
      smart_encoding: true,
      scan_message_content: "inherit",
      fallback_to_long_code: false,
      area_code_geomatch: true,
      synchronous_validation: false,
      validity_period: 14400,
      url,
      links: {
        phone_numbers: `${url}/PhoneNumbers`,
        us_app_to_person: `${url}/Compliance/Usa2p`,
      },
      usecase: "political",
      us_app_to_person_registered: s.a2pCampaignStatus === "VERIFIED",
      use_inbound_webhook_on_number: s.useInboundWebhookOnNumber,
    };
  }

  private a2pResource(s: FakeMessagingService): Record<string, unknown> {
    return {
      sid: `QE${randomHex(32)}`,
      account_sid: this.accountSid,
      brand_registration_sid: `BN${randomHex(32)}`,
      messaging_service_sid: s.sid,
      description: "Volunteers text voters about the election",
      message_samples: ["Hi, this is Sam with the campaign. Reply STOP to opt out."],
      us_app_to_person_usecase: "POLITICAL",
      has_embedded_links: false,
      has_embedded_phone: false,
      campaign_status: s.a2pCampaignStatus,
      campaign_id: s.a2pCampaignStatus === "VERIFIED" ? "CFOOBAR" : null,
      is_externally_registered: false,
      rate_limits: {},
      message_flow: "Voters give their number at events.",
      opt_in_message: null,
      opt_out_message: null,
      help_message: null,
      opt_in_keywords: null,
      opt_out_keywords: null,
      help_keywords: null,
      date_created: ISO_DATE,
      date_updated: ISO_DATE,
      url: `https://messaging.twilio.com/v1/Services/${s.sid}/Compliance/Usa2p`,
      mock: false,
      errors: s.a2pCampaignStatus === "FAILED" ? [{ code: 30886, message: "Campaign vetting failed" }] : [],
    };
  }

  private numberResource(n: FakePhoneNumber): Record<string, unknown> {
    return {
      sid: n.sid,
      account_sid: this.accountSid,
      friendly_name: n.phoneNumber,
      phone_number: n.phoneNumber,
      sms_url: n.smsUrl,
      sms_method: "POST",
      sms_fallback_url: "",
      sms_fallback_method: "POST",
      voice_url: "",
      status_callback: "",
      capabilities: { sms: true, mms: true, voice: true, fax: false },
      status: "in-use",
      date_created: DATE,
      date_updated: DATE,
      uri: `/2010-04-01/Accounts/${this.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    };
  }

  private meta(path: string, key: string): Record<string, unknown> {
    const url = `https://messaging.twilio.com${path}?PageSize=50&Page=0`;
    return { page: 0, page_size: 50, first_page_url: url, previous_page_url: null, url, next_page_url: null, key };
  }
}
