/**
 * `npm run doctor`: checks the real setup (Slack, Twilio, PUBLIC_URL, the database) and prints one
 * line per item, with the fix for each failure. Exit 0 when everything passes, 1 otherwise, 2 when
 * the settings themselves are invalid. Never a stack trace.
 */
import { ConfigError, environmentWithDotEnv, loadConfig } from "../config";
import { runDoctor } from "./doctor";
import { formatResult, reasonOf } from "./report";

async function main(): Promise<number> {
  const { env, file } = environmentWithDotEnv();
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  process.stdout.write(`Checking the setup${file ? ` (settings from the environment and ${file})` : ""}…\n`);
  const results = await runDoctor(config);
  for (const r of results) process.stdout.write(`${formatResult(r)}\n`);
  const failed = results.filter((r) => r.status === "fail").length;
  process.stdout.write(
    failed === 0 ? "Everything checked passed.\n" : `${failed} problem${failed === 1 ? "" : "s"} to fix.\n`,
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run doctor could not finish: ${reasonOf(error)}`);
    process.exit(1);
  },
);
