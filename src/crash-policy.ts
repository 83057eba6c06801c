import type { Logger } from "./logger";

/** How long a crashing process may spend closing the database before it exits anyway. */
const CRASH_CLOSE_LIMIT_MS = 5_000;

/**
 * What the process does with an error nothing caught: log it with its context, close what can be
 * closed within a few seconds (the embedded database above all), and exit 1 so the supervisor
 * (systemd, Docker, Kubernetes) starts a fresh process. Going on after an unknown failure could
 * leave work half done in memory; everything durable is in the database and is resumed on boot.
 */
export function installCrashPolicy(
  logger: Logger,
  closeQuickly: () => Promise<void>,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let crashing = false;
  const crash = (kind: "unhandledRejection" | "uncaughtException", error: unknown) => {
    logger.fatal(
      { err: error, kind, pid: process.pid, uptimeSeconds: Math.round(process.uptime()) },
      `${kind === "unhandledRejection" ? "unhandled promise rejection" : "uncaught exception"}: exiting with code 1 so the supervisor restarts the process`,
    );
    if (crashing) return exit(1);
    crashing = true;
    const limit = setTimeout(() => exit(1), CRASH_CLOSE_LIMIT_MS);
    limit.unref();
    closeQuickly()
      .catch((closeError: unknown) => logger.error({ err: closeError }, "could not close cleanly while crashing"))
      .finally(() => exit(1));
  };
  process.on("unhandledRejection", (reason) => crash("unhandledRejection", reason));
  process.on("uncaughtException", (error) => crash("uncaughtException", error));
}
