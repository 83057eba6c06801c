import { SEGMENT_DELETE_CANCEL, SEGMENT_DELETE_CONFIRM, SEGMENT_FIELD_ACTIONS, SEGMENT_TAG_ACTIONS } from "../blocks/segment";
import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { segmentDeleteCancelled, segmentDeleteConfirmed } from "./segment-delete";
import { segmentFieldChanged } from "./segment-live-count";
import { segmentTagOptions } from "./segment-tag-options";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.action(SEGMENT_FIELD_ACTIONS, segmentFieldChanged(deps));
  app.options(SEGMENT_TAG_ACTIONS, segmentTagOptions(deps));
  app.action(SEGMENT_DELETE_CONFIRM, segmentDeleteConfirmed(deps));
  app.action(SEGMENT_DELETE_CANCEL, segmentDeleteCancelled);
}
