/*
 * What each campaign state allows. A campaign is a draft until launched; running while volunteers
 * may send; paused to change it or stop sending; archived for good. Every check of "may this
 * campaign be edited / launched / sent from …" reads this table, and every refusal is worded here.
 */

export const CAMPAIGN_STATUSES = ["draft", "running", "paused", "archived"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export type CampaignAction = "edit" | "launch" | "send" | "pause" | "resume" | "archive" | "followUp";

/** The states each action is allowed in, and the state it moves the campaign to (null: it stays). */
export const CAMPAIGN_TRANSITIONS: Readonly<
  Record<CampaignAction, { readonly from: readonly CampaignStatus[]; readonly to: CampaignStatus | null }>
> = {
  // A running campaign must be paused first, so a text never changes under a volunteer's click.
  edit: { from: ["draft", "paused"], to: null },
  launch: { from: ["draft"], to: "running" },
  send: { from: ["running"], to: null },
  pause: { from: ["running"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  archive: { from: ["draft", "running", "paused"], to: "archived" },
  // A follow-up campaign texts people by how they answered this one: only a launched campaign texted anyone.
  followUp: { from: ["running", "paused", "archived"], to: null },
};

export function campaignAllows(status: CampaignStatus, action: CampaignAction): boolean {
  return CAMPAIGN_TRANSITIONS[action].from.includes(status);
}

/** Why `action` is refused for a campaign in its state, in words for the organizer (with what to do instead). */
export function campaignRefusal(action: CampaignAction, campaign: { name: string; status: CampaignStatus }): string {
  const { name, status } = campaign;
  switch (action) {
    case "edit":
      return status === "running"
        ? `“${name}” is running. Pause it first with /campaign pause ${name}, edit it, then resume it.`
        : `“${name}” is ${status} and cannot be edited.`;
    case "launch": {
      const hint: Record<CampaignStatus, string> = {
        draft: "",
        running: "It is already running: volunteers send with /campaign send.",
        paused: `It was launched and is paused: /campaign resume ${name} to send again.`,
        archived: "It is archived. Create a new campaign to text this audience again.",
      };
      return `“${name}” cannot be launched. ${hint[status]}`.trim();
    }
    case "send":
      return `The campaign is ${status}: nothing was sent.`;
    case "pause":
    case "resume":
    case "archive": {
      const why: Record<CampaignStatus, string> = {
        draft: `It is a draft that was never launched: /campaign launch ${name} checks it and starts it.`,
        running: "It is already running.",
        paused: action === "pause" ? "It is already paused." : "",
        archived: "It is archived, which is final.",
      };
      const verb = { pause: "paused", resume: "resumed", archive: "archived" }[action];
      return `“${name}” cannot be ${verb}. ${why[status]}`.trim();
    }
    case "followUp":
      return `“${name}” is a draft that was never launched: nobody was texted yet, so there is no one to follow up with. Launch it first with /campaign launch ${name}.`;
  }
}
