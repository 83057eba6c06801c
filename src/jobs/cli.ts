import { jobDeps } from "../app";
import { ConfigError, environmentWithDotEnv, loadConfig } from "../config";
import { openDatabase } from "../db/database";
import { applyMigrations } from "../db/migrate";
import { createLogger } from "../logger";
import { createTwilioGateway } from "../sms/twilio-gateway";
import { JOBS, runJob } from "./scheduler";

/*
 * `npm run job -- list` prints every scheduled job; `npm run job -- NAME` runs one now against the
 * configured database (the same settings as `npm start`), skipping it if a running app is at it.
 * Prints one JSON line with what it did. Exit 0 when it ran or was skipped, 1 when it failed,
 * 2 for a mistake on the command line or in the settings.
 */

async function main(args: string[]): Promise<number> {
  const [name] = args;
  if (!name || name === "list" || name === "--help") {
    const width = Math.max(...JOBS.map((j) => j.name.length));
    for (const job of JOBS) console.log(`${job.name.padEnd(width)}  ${job.schedule.padEnd(12)}  ${job.description}`);
    if (!name) console.error("\nRun one now with: npm run job -- <name>");
    return 0;
  }
  const job = JOBS.find((j) => j.name === name);
  if (!job) {
    console.error(`There is no job named “${name}”. npm run job -- list shows them all.`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(environmentWithDotEnv().env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  const db = await openDatabase(config.database);
  try {
    await applyMigrations(db);
    const sms = createTwilioGateway(config.twilio, config.publicUrl, { logger });
    const outcome = await runJob(jobDeps({ db, logger, sms, clock: () => new Date() }, config), job);
    console.log(JSON.stringify(outcome.ran ? outcome : { ...outcome, why: "another process is running this job now" }));
    return 0;
  } catch (error) {
    console.error(`The job ${job.name} failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
