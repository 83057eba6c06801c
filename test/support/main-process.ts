import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");

export interface MainProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs a TypeScript entry point (default the app's, what `npm start` runs) as its own process. */
export function startMain(env: NodeJS.ProcessEnv, entry = "src/main.ts", cwd = ROOT, args: string[] = []): MainProcess {
  // Node itself with tsx's loader, not the tsx CLI: the CLI relays signals and SIGKILLs a child that is slow to acknowledge one.
  const child = spawn(process.execPath, ["--import", require.resolve("tsx"), path.resolve(ROOT, entry), ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Polls until `test` holds for the app's /healthz answer, or the process exits, or the deadline passes. */
export async function waitForHealth(
  port: number,
  exited: Promise<unknown>,
  test: (status: number, body: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void exited.then(() => (done = true));
  let last: { status: number; body: Record<string, unknown> } | undefined;
  while (Date.now() < deadline && !done) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      last = { status: res.status, body: (await res.json()) as Record<string, unknown> };
      if (test(last.status, last.body)) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/healthz never answered as expected; last answer: ${JSON.stringify(last)}`);
}

export async function waitForHealthy(port: number, exited: Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  await waitForHealth(port, exited, (status) => status === 200, timeoutMs);
}

/** Waits until the process has written `text` (log lines can trail the state they describe). */
export async function waitForOutput(proc: MainProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`the process never wrote ${JSON.stringify(text)}:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const freePort = () => 20_000 + Math.floor(Math.random() * 20_000);
