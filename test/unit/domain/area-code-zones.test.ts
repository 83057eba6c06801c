import { parsePhoneNumberFromString } from "libphonenumber-js";
import { AREA_CODE_ZONES, TERRITORY_AREA_CODE_ZONES } from "../../../src/domain/area-code-zones";

/** Area codes libphonenumber-js accepts as geographic US numbers (50 states and DC). */
function libraryUsGeographicAreaCodes(): string[] {
  const codes: string[] = [];
  for (let code = 200; code <= 999; code += 1) {
    const parsed = parsePhoneNumberFromString(`${code}5550143`, "US");
    const type = parsed?.getType();
    if (
      parsed?.isValid() &&
      parsed.country === "US" &&
      (type === "FIXED_LINE_OR_MOBILE" || type === "FIXED_LINE" || type === "MOBILE")
    ) {
      codes.push(String(code));
    }
  }
  return codes;
}

describe("area code zones", () => {
  it("covers exactly the US geographic area codes libphonenumber-js knows", () => {
    expect(Object.keys(AREA_CODE_ZONES).sort()).toEqual(libraryUsGeographicAreaCodes());
  });

  it("names only zones the runtime knows, each code with at least one", () => {
    for (const zones of [...Object.values(AREA_CODE_ZONES), ...Object.values(TERRITORY_AREA_CODE_ZONES)]) {
      expect(zones.length).toBeGreaterThan(0);
      for (const zone of zones) expect(() => new Intl.DateTimeFormat("en-US", { timeZone: zone })).not.toThrow();
    }
  });

  it("leaves out toll-free, premium and non-geographic codes", () => {
    for (const code of [
      "800",
      "833",
      "844",
      "855",
      "866",
      "877",
      "888",
      "900",
      "500",
      "521",
      "533",
      "544",
      "566",
      "577",
      "588",
    ]) {
      expect(AREA_CODE_ZONES[code]).toBeUndefined();
    }
  });

  it.each([
    ["208", ["America/Boise", "America/Los_Angeles"]],
    ["541", ["America/Los_Angeles", "America/Boise"]],
    ["850", ["America/Chicago", "America/New_York"]],
    ["906", ["America/New_York", "America/Chicago"]],
    ["812", ["America/New_York", "America/Chicago"]],
    ["270", ["America/Chicago", "America/New_York"]],
    ["423", ["America/New_York", "America/Chicago"]],
    ["308", ["America/Chicago", "America/Denver"]],
    ["605", ["America/Chicago", "America/Denver"]],
    ["701", ["America/Chicago", "America/Denver"]],
    ["785", ["America/Chicago", "America/Denver"]],
    ["432", ["America/Chicago", "America/Denver"]],
    ["928", ["America/Phoenix", "America/Denver"]],
    ["907", ["America/Anchorage", "America/Adak"]],
    ["915", ["America/Denver"]],
    ["602", ["America/Phoenix"]],
    ["808", ["Pacific/Honolulu"]],
    ["212", ["America/New_York"]],
  ])("maps %s to %j, most populous first", (code, zones) => {
    expect(AREA_CODE_ZONES[code]).toEqual(zones);
  });

  it("keeps territories apart from the states", () => {
    for (const code of Object.keys(TERRITORY_AREA_CODE_ZONES)) expect(AREA_CODE_ZONES[code]).toBeUndefined();
  });
});
