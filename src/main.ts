import { launchApp, StartupError, type LaunchedApp } from "./app";
import { ConfigError, environmentWithDotEnv, loadConfig } from "./config";
import { installCrashPolicy } from "./crash-policy";
import { createLogger } from "./logger";

/**
 * Composition root: settings (.env under the environment) → app (port first, then database,
 * Slack, Twilio) → graceful shutdown, answered at any moment, booting or not.
 */
async function main(): Promise<void> {
  const { env, file } = environmentWithDotEnv();
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message + (file ? `\n(Settings read from the environment and ${file}.)` : ""));
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (file) logger.info({ file }, "settings read from .env (the environment wins over it)");
  let app: LaunchedApp | undefined;
  let stopping = false;
  installCrashPolicy(logger, async () => {
    await app?.stop();
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    // SIGTERM comes from a supervisor or load balancer: fail health, keep serving a moment, then close.
    const drainMs = signal === "SIGTERM" ? (config.shutdownDrainSeconds ?? 0) * 1000 : 0;
    logger.info({ signal, drainMs }, "shutting down: health fails now, in-flight requests finish");
    (app ? app.stop({ drainMs }) : Promise.resolve()).then(
      () => {
        logger.info("stopped cleanly");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  try {
    app = await launchApp(config, logger);
  } catch (error) {
    fail(error);
    return;
  }
  logger.info({ url: app.localUrl, publicUrl: config.publicUrl }, "texting console listening");
  app.ready.catch((error: unknown) => {
    if (stopping) return;
    stopping = true;
    fail(error, app);
  });

  function fail(error: unknown, opened?: LaunchedApp): void {
    const message = error instanceof StartupError ? error.message : `Could not start: ${(error as Error).message}`;
    logger.fatal({ cause: ((error as Error).cause as Error | undefined)?.message }, message);
    console.error(message);
    void (opened ? opened.stop() : Promise.resolve()).finally(() => process.exit(1));
  }
}

void main();
