/**
 * `npm run demo`: plays a whole campaign against the real app, offline and with no settings, and
 * prints it as the Slack channel and the voters' phones would show it.
 * `npm run demo -- --html out.html` also writes it as a page that looks like Slack.
 */
import { writeFile } from "node:fs/promises";
import { demoPage } from "./html";
import { runDemo } from "./scenario";
import { transcriptText } from "./transcript";

function htmlTarget(args: readonly string[]): string | null {
  const at = args.indexOf("--html");
  if (at === -1) return null;
  const target = args[at + 1];
  if (!target || target.startsWith("--")) throw new Error("Give the page's file name: npm run demo -- --html out.html");
  return target;
}

async function main(): Promise<void> {
  const target = htmlTarget(process.argv.slice(2));
  const run = await runDemo();
  process.stdout.write(transcriptText(run));
  if (target) {
    await writeFile(target, demoPage(run));
    console.log(`Wrote ${target}: open it in a browser.`);
  }
}

main().then(
  // The app and the fakes are closed; exit without waiting on idle keep-alive timers.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
