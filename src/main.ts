import { startApp, StartupError } from "./app";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./logger";

/** Composition root: config → app (database, migrations, Slack, webhooks) → graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let running;
  try {
    running = await startApp(config, logger);
  } catch (error) {
    if (error instanceof StartupError) {
      logger.fatal({ cause: (error.cause as Error | undefined)?.message }, error.message);
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  logger.info({ url: running.localUrl, publicUrl: config.publicUrl }, "texting console listening");

  const app = running;
  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    app.stop().then(
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
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

void main();
