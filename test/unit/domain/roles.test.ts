import {
  PERMISSIONS,
  roleAllows,
  roleOf,
  roleRefusal,
  type Permission,
  type SlackMember,
} from "../../../src/domain/roles";

const TEAM = "T0HOME";
const member = (over: Partial<SlackMember> = {}): SlackMember => ({
  teamId: TEAM,
  isOwner: false,
  isAdmin: false,
  isRestricted: false,
  isUltraRestricted: false,
  deleted: false,
  isBot: false,
  isStranger: false,
  inOrganizerGroup: false,
  ...over,
});

describe("roles", () => {
  it("make owners, admins and the organizer group organizers, other full members volunteers", () => {
    expect(roleOf(member({ isOwner: true }), TEAM)).toBe("organizer");
    expect(roleOf(member({ isAdmin: true }), TEAM)).toBe("organizer");
    expect(roleOf(member({ inOrganizerGroup: true }), TEAM)).toBe("organizer");
    expect(roleOf(member(), TEAM)).toBe("volunteer");
  });

  it("leave out guests, other organizations, deactivated users, bots and unknown users, even if admins", () => {
    for (const over of [
      { isRestricted: true },
      { isUltraRestricted: true },
      { teamId: "T0OTHER" },
      { isStranger: true },
      { deleted: true },
      { isBot: true },
    ]) {
      expect(roleOf(member({ ...over, isAdmin: true }), TEAM)).toBe("outsider");
    }
    expect(roleOf(null, TEAM)).toBe("outsider");
  });

  it("let organizers do everything volunteers do, and outsiders nothing", () => {
    for (const permission of Object.keys(PERMISSIONS) as Permission[]) {
      expect(roleAllows("organizer", permission)).toBe(true);
      expect(roleAllows("outsider", permission)).toBe(false);
      expect(roleAllows("volunteer", permission)).toBe(PERMISSIONS[permission] === "volunteer");
    }
    expect(roleAllows("volunteer", "texts.send")).toBe(true);
    expect(roleAllows("volunteer", "campaigns.manage")).toBe(false);
  });

  it("refuse in one line that says who it is for", () => {
    expect(roleRefusal("volunteer", "campaigns.manage", "launching a campaign")).toBe(
      "Launching a campaign is for organizers: ask a workspace admin or someone in the organizers' user group.",
    );
    expect(roleRefusal("outsider", "texts.send", "texting voters")).toBe(
      "Texting voters is for members of this workspace; guests and people from other organizations can't use the texting console.",
    );
  });
});
