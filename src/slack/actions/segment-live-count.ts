import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs, ViewOutput, webApi } from "@slack/bolt";
import type { AudienceFilter } from "../../domain/audience-filter";
import { filterFromForm } from "../../domain/segment-form";
import { normalizeSegmentName, segmentNameProblem } from "../../domain/segment-name";
import { previewAudience, segmentNameTaken } from "../../services/segments";
import { withAudienceStatus, type AudienceStatus } from "../blocks/segment-count";
import type { SlackDeps } from "../deps";
import { readSegmentForm, withChange, type ChangedElement, type ViewStateValues } from "../segment-form";
import { slackErrorCode } from "../tell-user";

/**
 * Any element of the `/segment new` form changed: rebuild the filter from the modal's values,
 * count reachable contacts and show the count (or what to fix) at the top of the modal.
 *
 * The count runs after the acknowledgement (Bolt answers Slack when the listener returns), and
 * only the newest edit of a view may update it: an older count finishing late would show
 * numbers for a filter the organizer already changed. Slack's `hash` guards the rest: an update
 * racing another one is refused with hash_conflict, which is fine to drop.
 * Typing the name rechecks the name but reuses the view's last count: the filter did not change.
 */
export function segmentFieldChanged(deps: SlackDeps) {
  const newest = new Map<string, number>();
  const previews = new PreviewCache();
  let edits = 0;

  return async ({ ack, body, client }: SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const view = body.view;
    if (!view) return;
    const values = withChange(view.state.values as ViewStateValues, body.actions[0] as ChangedElement | undefined);
    const edit = ++edits;
    newest.set(view.id, edit);
    deps.background.run("segment-live-count", async () => {
      try {
        let status: AudienceStatus;
        try {
          status = await audienceStatus(deps, values, (filter) => previews.get(deps, view.id, filter));
        } catch (error) {
          deps.logger.error({ err: error, viewId: view.id, user: body.user.id }, "live count failed");
          status = { kind: "failed" };
        }
        if (newest.get(view.id) !== edit) return;
        await updateStatus(deps, client, view, status);
      } finally {
        if (newest.get(view.id) === edit) newest.delete(view.id);
      }
    });
  };
}

type Preview = { reachable: number; description: string };

/**
 * The last count per view for a minute, so edits that leave the filter as it was (typing the
 * name) do not count a million contacts again. Saving always counts afresh.
 */
class PreviewCache {
  private static readonly MAX_VIEWS = 500;
  private static readonly TTL_MS = 60_000;
  private readonly byView = new Map<string, { key: string; at: number; preview: Preview }>();

  async get(deps: SlackDeps, viewId: string, filter: AudienceFilter): Promise<Preview> {
    const key = JSON.stringify(filter);
    const cached = this.byView.get(viewId);
    if (cached?.key === key && Date.now() - cached.at < PreviewCache.TTL_MS) return cached.preview;
    const preview = await previewAudience(deps.db, filter);
    this.byView.delete(viewId);
    this.byView.set(viewId, { key, at: Date.now(), preview });
    // Slack does not say when a modal closes: forget the oldest views instead.
    if (this.byView.size > PreviewCache.MAX_VIEWS) this.byView.delete(this.byView.keys().next().value as string);
    return preview;
  }
}

async function audienceStatus(
  deps: SlackDeps,
  values: ViewStateValues,
  preview: (filter: AudienceFilter) => Promise<Preview>,
): Promise<AudienceStatus> {
  const { name, form } = readSegmentForm(values);
  const result = filterFromForm(form);
  const normalized = normalizeSegmentName(name);
  let nameProblem: string | undefined;
  if (normalized) {
    nameProblem = segmentNameProblem(normalized) ?? undefined;
    if (!nameProblem && (await segmentNameTaken(deps.db, normalized)))
      nameProblem = `A segment named “${normalized}” already exists: pick another name.`;
  }
  if (result.ok) {
    return { kind: "count", ...(await preview(result.filter)), fieldsIgnored: result.fieldsIgnored, nameProblem };
  }
  return result.empty ? { kind: "prompt", nameProblem } : { kind: "problems", problems: result.problems, nameProblem };
}

async function updateStatus(
  deps: SlackDeps,
  client: webApi.WebClient,
  view: ViewOutput,
  status: AudienceStatus,
): Promise<void> {
  try {
    await client.views.update({ view_id: view.id, hash: view.hash, view: withAudienceStatus(view, status) });
  } catch (error) {
    // A newer edit updated the view first (its own count follows), or the organizer closed the modal.
    const code = slackErrorCode(error);
    if (code === "hash_conflict" || code === "not_found") {
      deps.logger.debug({ viewId: view.id, code }, "live count not shown");
      return;
    }
    throw error;
  }
}
