import { AREA_CODE_ZONES } from "../../../src/domain/area-code-zones";
import {
  assignTimeZone,
  US_STATE_ZONES,
  zoneForZip,
  zonesForAreaCode,
  zonesForPhone,
} from "../../../src/domain/time-zone";

/** How a zone behaves: its UTC offsets in January and July ("GMT-05:00/GMT-04:00"). */
function behaviour(zone: string): string {
  const offset = (at: string) =>
    new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(new Date(at))
      .find((part) => part.type === "timeZoneName")?.value;
  return `${offset("2025-01-15T12:00:00Z")}/${offset("2025-07-15T12:00:00Z")}`;
}

describe("zoneForZip", () => {
  it.each([
    ["90210", "America/Los_Angeles"],
    ["10001", "America/New_York"],
    ["10001-1234", "America/New_York"],
    ["100011234", "America/New_York"],
    [" 85001 ", "America/Phoenix"],
    ["96813", "Pacific/Honolulu"],
    ["99501", "America/Anchorage"],
    ["60601", "America/Chicago"],
    ["86515", "America/Denver"], // Window Rock, Navajo Nation: observes daylight saving time unlike the rest of Arizona
  ])("finds the zone of %j", (zip, zone) => {
    expect(zoneForZip(zip)).toBe(zone);
  });

  it.each([[null], [undefined], [""], ["1000"], ["ABCDE"], ["902101"], ["90210-12"], ["00000"]])(
    "is null for %j",
    (zip) => {
      expect(zoneForZip(zip)).toBeNull();
    },
  );

  it("answers only zones the runtime knows, under their canonical names", () => {
    const zones = new Set<string>();
    for (let zip = 0; zip <= 99_999; zip += 1) {
      const zone = zoneForZip(String(zip).padStart(5, "0"));
      if (zone) zones.add(zone);
    }
    expect(zones.has("America/Shiprock")).toBe(false);
    for (const zone of zones) expect(() => new Intl.DateTimeFormat("en-US", { timeZone: zone })).not.toThrow();
  });
});

describe("zonesForAreaCode", () => {
  it("lists every zone of a split area code", () => {
    expect(zonesForAreaCode("208")).toEqual(["America/Boise", "America/Los_Angeles"]);
  });

  it("is empty for toll-free, non-geographic and Canadian codes", () => {
    for (const code of ["800", "833", "844", "855", "866", "877", "888", "900", "500", "521", "416", "999"]) {
      expect(zonesForAreaCode(code)).toEqual([]);
    }
  });

  it("includes the US territories", () => {
    expect(zonesForAreaCode("787")).toEqual(["America/Puerto_Rico"]);
    expect(zonesForAreaCode("671")).toEqual(["Pacific/Guam"]);
  });

  it("hands out copies, so the table cannot be changed through them", () => {
    zonesForAreaCode("212").push("Europe/London");
    expect(zonesForAreaCode("212")).toEqual(["America/New_York"]);
  });

  it("reads the area code from a phone number in E.164 or as typed", () => {
    expect(zonesForPhone("+19075550143")).toEqual(["America/Anchorage", "America/Adak"]);
    expect(zonesForPhone("(907) 555-0143")).toEqual(["America/Anchorage", "America/Adak"]);
    expect(zonesForPhone("+442079460958")).toEqual([]);
    expect(zonesForPhone("not a phone")).toEqual([]);
  });
});

describe("assignTimeZone", () => {
  it("takes the ZIP's zone first", () => {
    expect(assignTimeZone({ zip: "90210", phone: "+12125550143" })).toEqual({
      timeZone: "America/Los_Angeles",
      source: "zip",
    });
  });

  it("falls back to the most populous zone of the area code", () => {
    expect(assignTimeZone({ phone: "+12085550143" })).toEqual({ timeZone: "America/Boise", source: "area_code" });
    expect(assignTimeZone({ zip: "ABCDE", phone: "+18505550143" })).toEqual({
      timeZone: "America/Chicago",
      source: "area_code",
    });
    expect(assignTimeZone({ zip: null, phone: "+19285550143" })).toEqual({
      timeZone: "America/Phoenix",
      source: "area_code",
    });
  });

  it("knows nothing about a toll-free or foreign number without a ZIP", () => {
    expect(assignTimeZone({ phone: "+18005550143" })).toEqual({ timeZone: null, source: "unknown" });
    expect(assignTimeZone({ zip: "", phone: "+442079460958" })).toEqual({ timeZone: null, source: "unknown" });
  });
});

describe("US_STATE_ZONES", () => {
  it("has one zone for each clock found in the 50 states, no more", () => {
    const stateBehaviours = new Set(Object.values(AREA_CODE_ZONES).flat().map(behaviour));
    const representatives = US_STATE_ZONES.map(behaviour);
    expect(new Set(representatives)).toEqual(stateBehaviours);
    expect(new Set(representatives).size).toBe(US_STATE_ZONES.length);
  });

  it("includes the zones without daylight saving time", () => {
    expect(US_STATE_ZONES).toEqual(expect.arrayContaining(["America/Phoenix", "Pacific/Honolulu", "America/Adak"]));
  });
});
