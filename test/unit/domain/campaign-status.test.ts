import {
  CAMPAIGN_STATUSES,
  CAMPAIGN_TRANSITIONS,
  campaignAllows,
  campaignRefusal,
  type CampaignAction,
} from "../../../src/domain/campaign-status";

const ACTIONS = Object.keys(CAMPAIGN_TRANSITIONS) as CampaignAction[];

describe("campaign states", () => {
  it("allow each action only where it makes sense", () => {
    const allowed = Object.fromEntries(
      ACTIONS.map((action) => [action, CAMPAIGN_STATUSES.filter((status) => campaignAllows(status, action))]),
    );
    expect(allowed).toEqual({
      edit: ["draft", "paused"],
      launch: ["draft"],
      send: ["running"],
      pause: ["running"],
      resume: ["paused"],
      archive: ["draft", "running", "paused"],
      followUp: ["running", "paused", "archived"],
    });
  });

  it("never leave an archived campaign, and never send from a campaign that is not running", () => {
    // Following up only reads an archived campaign's conversations; it changes nothing about the campaign.
    for (const action of ACTIONS) expect(campaignAllows("archived", action)).toBe(action === "followUp");
    expect(CAMPAIGN_TRANSITIONS.followUp.to).toBeNull();
    for (const status of CAMPAIGN_STATUSES) {
      expect(campaignAllows(status, "send")).toBe(status === "running");
      const { to } = CAMPAIGN_TRANSITIONS.launch;
      expect(to).toBe("running");
    }
  });

  it("word every refusal for the organizer, naming the campaign and what to do instead", () => {
    const refusals = ACTIONS.flatMap((action) =>
      CAMPAIGN_STATUSES.filter((status) => !campaignAllows(status, action)).map((status) => ({
        action,
        status,
        text: campaignRefusal(action, { name: "GOTV Nov 3", status }),
      })),
    );
    for (const { action, text } of refusals) {
      if (action !== "send") expect(text).toContain("“GOTV Nov 3”");
      expect(text).not.toMatch(/undefined|null|\s$/);
    }
    expect(campaignRefusal("edit", { name: "GOTV", status: "running" })).toBe(
      "“GOTV” is running. Pause it first with /campaign pause GOTV, edit it, then resume it.",
    );
    expect(campaignRefusal("launch", { name: "GOTV", status: "paused" })).toBe(
      "“GOTV” cannot be launched. It was launched and is paused: /campaign resume GOTV to send again.",
    );
    expect(campaignRefusal("followUp", { name: "GOTV", status: "draft" })).toBe(
      "“GOTV” is a draft that was never launched: nobody was texted yet, so there is no one to follow up with. Launch it first with /campaign launch GOTV.",
    );
    expect(campaignRefusal("send", { name: "GOTV", status: "paused" })).toBe(
      "The campaign is paused: nothing was sent.",
    );
  });
});
