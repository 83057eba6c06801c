import fc from "fast-check";
import {
  SEND_FAILURE_KINDS,
  classifyTwilioError,
  provesNotAccepted,
  sendFailureAdvice,
} from "../../../src/domain/twilio-errors";

describe("Twilio errors", () => {
  it.each([
    [21211, "invalid-number"],
    [21408, "country-not-enabled"],
    [21610, "opted-out"],
    [21614, "landline"],
    [21617, "too-long"],
    [30004, "blocked"],
    [30005, "not-in-service"],
    [30006, "landline"],
    [30007, "carrier-filtered"],
    [30034, "unregistered-sender"],
  ])("never retries %i (%s)", (code, kind) => {
    expect(classifyTwilioError({ code, httpStatus: 400 })).toMatchObject({ code, kind, retry: "never" });
    // Delivery failures arrive in status callbacks, without an HTTP status.
    expect(classifyTwilioError({ code })).toMatchObject({ code, kind, retry: "never" });
  });

  it("records an opt-out on 21610 and only there", () => {
    expect(classifyTwilioError({ code: 21610 }).recordOptOut).toBe(true);
    const others = SEND_FAILURE_KINDS.filter((k) => k !== "opted-out").map(sendFailureAdvice);
    expect(others.filter((advice) => advice.recordOptOut)).toEqual([]);
  });

  it("alerts admins about carrier filtering and tells them what to fix", () => {
    const filtered = classifyTwilioError({ code: 30007 });
    expect(filtered).toMatchObject({ alertAdmins: true, retry: "never" });
    expect(filtered.forVolunteer).toBe(
      "The carrier filtered this text as spam, so it wasn't delivered. Don't resend it; the campaign's admins have been told.",
    );
    expect(filtered.forAdmins).toMatch(/links/);
  });

  it("alerts admins about an unregistered 10DLC sender and says to register the campaign", () => {
    const unregistered = classifyTwilioError({ code: 30034 });
    expect(unregistered).toMatchObject({ kind: "unregistered-sender", alertAdmins: true, retry: "never" });
    expect(unregistered.forAdmins).toMatch(
      /Register the 10DLC campaign \(Political use case, with its Campaign Verify token\)/,
    );
  });

  it("explains a landline to the volunteer in plain words", () => {
    expect(classifyTwilioError({ code: 21614 }).forVolunteer).toBe(
      "This number is a landline and can't receive texts.",
    );
  });

  it("backs off on 20429 and on a bare HTTP 429", () => {
    expect(classifyTwilioError({ code: 20429, httpStatus: 429 })).toMatchObject({
      kind: "twilio-busy",
      retry: "backoff",
    });
    expect(classifyTwilioError({ code: null, httpStatus: 429 })).toMatchObject({
      kind: "twilio-busy",
      retry: "backoff",
      code: null,
    });
    expect(classifyTwilioError({ httpStatus: 429 }).forVolunteer).toBe(
      "Twilio is busy right now, so the text wasn't sent. Try again in a moment.",
    );
  });

  it("allows one more try later for 30003 and 30008", () => {
    expect(classifyTwilioError({ code: 30003 })).toMatchObject({ kind: "unreachable", retry: "once-later" });
    expect(classifyTwilioError({ code: 30008 })).toMatchObject({ kind: "delivery-failed", retry: "once-later" });
  });

  it("treats credentials and sender problems as setup to fix, with an alert", () => {
    for (const code of [20003, 21606, 30032]) {
      expect(classifyTwilioError({ code, httpStatus: 400 })).toMatchObject({
        kind: "sender-not-set-up",
        alertAdmins: true,
        retry: "never",
      });
    }
    expect(classifyTwilioError({ httpStatus: 401 }).kind).toBe("sender-not-set-up");
  });

  it("names an unlisted code so an admin can look it up", () => {
    const other = classifyTwilioError({ code: 21999, httpStatus: 400 });
    expect(other).toMatchObject({ kind: "rejected", retry: "never", code: 21999 });
    expect(other.forVolunteer).toBe("Twilio refused this text (error 21999: twilio.com/docs/api/errors/21999).");
    expect(classifyTwilioError({ httpStatus: 500 })).toMatchObject({ kind: "rejected", retry: "never", code: null });
  });

  it("counts only a 4xx answer as proof that Twilio created no message", () => {
    expect([400, 401, 404, 429].map(provesNotAccepted)).toEqual([true, true, true, true]);
    expect([200, 201, 500, 502, 503, 504].map(provesNotAccepted)).toEqual([false, false, false, false, false, false]);
  });

  it("gives every kind a volunteer sentence, and an admin instruction whenever admins are alerted", () => {
    for (const kind of SEND_FAILURE_KINDS) {
      const advice = sendFailureAdvice(kind);
      expect(advice.forVolunteer).toMatch(/^[A-Z].*\.$/);
      if (advice.alertAdmins) expect(advice.forAdmins).toEqual(expect.any(String));
    }
  });

  it("backs off on nothing but 'too many requests' (property)", () => {
    const listedCodes = [
      20003, 20005, 10001, 20429, 21211, 21212, 21408, 21601, 21606, 21608, 21610, 21611, 21614, 21617, 21661, 30001,
      30002, 30003, 30004, 30005, 30006, 30007, 30008, 30032, 30034, 30036,
    ];
    const code = fc.option(fc.oneof(fc.constantFrom(...listedCodes), fc.integer({ min: 10000, max: 99999 })), {
      nil: null,
    });
    const httpStatus = fc.option(fc.integer({ min: 100, max: 599 }), { nil: null });
    fc.assert(
      fc.property(code, httpStatus, (c, status) => {
        const classified = classifyTwilioError({ code: c, httpStatus: status });
        const tooManyRequests = c === 20429 || (status === 429 && (c === null || !listedCodes.includes(c)));
        expect(classified.retry === "backoff").toBe(tooManyRequests);
        expect(classified.code).toBe(c);
      }),
    );
  });
});
