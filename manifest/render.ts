/**
 * Prints slack-manifest.yml with the placeholder host replaced by a real public URL.
 * Usage: npm run manifest -- https://texting.example.org   (or set PUBLIC_URL)
 */
import { readFileSync } from "node:fs";
import path from "node:path";

export const MANIFEST_PATH = path.resolve(__dirname, "../slack-manifest.yml");
export const PLACEHOLDER_BASE = "https://YOUR-PUBLIC-HOST";

/** The manifest text for `publicUrl`; throws with a clear message when the URL is not https. */
export function renderManifest(publicUrl: string, template = readFileSync(MANIFEST_PATH, "utf8")): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new Error(
      `"${publicUrl}" is not a URL. Give the https address Slack will reach, e.g. https://texting.example.org`,
    );
  }
  if (url.protocol !== "https:") {
    throw new Error(`Slack only calls https URLs; "${publicUrl}" starts with ${url.protocol}//`);
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  return template.split(PLACEHOLDER_BASE).join(base);
}

if (require.main === module) {
  const publicUrl = process.argv[2] ?? process.env.PUBLIC_URL;
  if (!publicUrl) {
    console.error("Give the public https URL: npm run manifest -- https://texting.example.org (or set PUBLIC_URL)");
    process.exit(2);
  }
  try {
    process.stdout.write(renderManifest(publicUrl));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}
