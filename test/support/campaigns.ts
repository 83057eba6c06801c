import type { Database } from "../../src/db/database";
import { EMPTY_CAMPAIGN_FORM, validateCampaignForm, type CampaignForm } from "../../src/domain/campaign-form";
import { mergeFieldsFor } from "../../src/domain/script";
import { campaignById, createCampaign } from "../../src/services/campaigns";
import { launchCampaign } from "../../src/services/campaign-launch";
import { actor } from "./actors";

/** A compliant first message: names the sender, asks something, says how to opt out. */
export const FIRST_TEXT =
  "Hi {firstName}, this is Sam with Neighbors for B. Will you vote on Nov 3? Reply STOP to opt out.";

/**
 * A campaign created and launched through the real services, texting the contacts tagged `tag`:
 * for tests and benchmarks about what happens after launch. `form` overrides any field.
 */
export async function launchedCampaign(
  db: Database,
  input: { name: string; tag: string; createdBy: string; form?: Partial<CampaignForm> },
): Promise<{ id: string; name: string }> {
  const segment = await db.prisma.segment.create({
    data: { name: `${input.name} audience`, filter: { tags: { any: [input.tag] } }, createdBy: input.createdBy },
  });
  const result = validateCampaignForm(
    {
      ...EMPTY_CAMPAIGN_FORM,
      name: input.name,
      goalType: "turnout",
      goalTarget: "10",
      goalOutcomeTag: "pledged",
      callToAction: "Will you vote on Nov 3?",
      senderIdentity: "Sam with Neighbors for B",
      scripts: [FIRST_TEXT, "", "", ""],
      channelId: "C0REPLIES",
      segmentId: segment.id,
      ...input.form,
    },
    { knownFields: mergeFieldsFor([]) },
  );
  if (!result.ok) throw new Error(`test campaign is invalid: ${JSON.stringify(result.problems)}`);
  const organizer = actor(input.createdBy);
  const saved = await createCampaign(db, result.draft, organizer);
  const launched = await launchCampaign(db, (await campaignById(db, saved.id))!, {
    pricePerSegmentUsd: 0.01,
    now: new Date(),
    timeZone: "America/New_York",
    confirmCapped: true,
    actor: organizer,
  });
  if (!launched.launched) throw new Error(`test campaign did not launch: ${JSON.stringify(launched.report.findings)}`);
  return saved;
}
