import pino from "pino";
import { LogLevel, type Logger as SlackLogger } from "@slack/bolt";

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: { app: "p2p-texting" } });
}

/** Bolt wants its own Logger interface; route it into pino so there is one log stream. */
export function boltLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: "bolt" });
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ");
  return {
    debug: (...msg) => child.debug(join(msg)),
    info: (...msg) => child.info(join(msg)),
    warn: (...msg) => child.warn(join(msg)),
    error: (...msg) => child.error(join(msg)),
    setLevel: () => undefined,
    getLevel: () => (child.isLevelEnabled("debug") ? LogLevel.DEBUG : LogLevel.INFO),
    setName: () => undefined,
  };
}
