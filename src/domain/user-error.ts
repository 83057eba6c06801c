/**
 * A problem the person who asked can act on. Its `message` is written for them (what went wrong
 * and what to do next) and is shown as it is; any other error is logged and answered generically.
 */
export class UserError extends Error {
  override name = "UserError";
}
