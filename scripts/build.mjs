// Compiles the app to dist/ (what `npm start`, `npm run job` and `npm run doctor` run).
// With --if-stale it compiles only when a source file changed since the last build, so a start
// does not spend seconds type-checking an unchanged tree.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stamp = path.join(root, "dist", ".built");
const inputs = ["src", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];

function newestChange(target) {
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestChange(path.join(target, entry)));
  return newest;
}

const ifStale = process.argv.includes("--if-stale");
if (ifStale && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  const changed = Math.max(
    ...inputs
      .map((p) => path.join(root, p))
      .filter(existsSync)
      .map(newestChange),
  );
  if (changed <= built) process.exit(0);
  console.error("Sources changed since the last build: compiling (npm run dev skips this step).");
}
const tsc = spawnSync(
  process.execPath,
  [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
