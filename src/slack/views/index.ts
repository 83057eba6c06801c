import { IMPORT_VIEW } from "../blocks/contact-import";
import type { SlackDeps } from "../deps";
import type { SlackListenerRegistrar } from "../registrar";
import { contactImportSubmitted } from "./contact-import";

export function register(app: SlackListenerRegistrar, deps: SlackDeps): void {
  app.view(IMPORT_VIEW, contactImportSubmitted(deps));
}
