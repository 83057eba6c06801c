import { LogLevel, type Logger } from "@slack/bolt";

/** A Slack SDK logger that says nothing: suites that provoke failures on purpose stay readable. */
export const quietSlackLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
