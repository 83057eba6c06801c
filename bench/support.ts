import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startFakeSlack, type FakeSlack } from "../test/fakes/slack-api";
import { startFakeTwilio } from "../test/fakes/twilio-api";
import pg from "pg";
import { appEnvironment, BOT_TOKEN } from "../test/support/app-harness";

export const ROOT = path.resolve(__dirname, "..");

export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    totalMemGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

let clockTicks: number | undefined;
/**
 * CPU time (user and system, every thread) a process has used so far, in ms, from /proc (Linux; NaN
 * elsewhere, or once it is gone). Unlike time in a profile, it leaves out the time the process
 * waited for a core on a busy machine.
 */
export function cpuMsOf(pid: number | undefined): number {
  try {
    clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // utime and stime are fields 14 and 15; the command name (field 2) may hold spaces, so count after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

/** Measures CPU time between `start` and `stop`, in ms. */
export interface CpuMeter {
  start(): Promise<void>;
  stop(): Promise<number>;
}

/** The CPU time of one process (see cpuMsOf). */
export function processCpu(pid: number | undefined): CpuMeter {
  let from = NaN;
  return {
    start: async () => void (from = cpuMsOf(pid)),
    stop: async () => cpuMsOf(pid) - from,
  };
}

/**
 * The CPU time of the PostgreSQL server processes serving one database (its backends, found in
 * pg_stat_activity; the server must run on this machine). A backend that starts between start and
 * stop counts whole; one that ends in between is lost.
 */
export function databaseCpu(url: string): CpuMeter {
  const backends = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      return new Map(rows.map((r) => [r.pid, cpuMsOf(r.pid)]));
    } finally {
      await client.end();
    }
  };
  let from = new Map<number, number>();
  return {
    start: async () => void (from = await backends()),
    async stop() {
      let total = 0;
      for (const [pid, ms] of await backends()) if (Number.isFinite(ms)) total += ms - (from.get(pid) ?? 0);
      return total;
    },
  };
}

/** Environment for the real app against a fake Slack on `port`, logging warnings only. */
export function appEnv(
  slack: FakeSlack & { twilioUrl?: string },
  port: number,
  extra: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const twilio = slack.twilioUrl ? { TWILIO_API_URL: slack.twilioUrl } : {};
  return appEnvironment(slack.apiUrl, port, { LOG_LEVEL: "warn", ...twilio, ...extra });
}

/** Starts the built app (`node dist/src/main.js`, what `npm start` runs after building). */
export function spawnBuiltApp(env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(ROOT, "dist/src/main.js")], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return { child, exited: new Promise((resolve) => child.on("exit", resolve)) };
}

export async function waitHealthy(port: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) return;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`app on port ${port} not healthy after ${timeoutMs} ms`);
}

/** A fake Slack, and a fake Twilio beside it (the app checks its credentials at boot). */
export async function withFakeSlack<T>(fn: (slack: FakeSlack & { twilioUrl: string }) => Promise<T>): Promise<T> {
  const slack = await startFakeSlack({ tokens: [BOT_TOKEN] });
  const twilio = await startFakeTwilio();
  try {
    return await fn(Object.assign(slack, { twilioUrl: twilio.url }));
  } finally {
    await Promise.all([slack.close(), twilio.close()]);
  }
}

export async function stop(app: { child: ChildProcess; exited: Promise<unknown> }): Promise<void> {
  app.child.kill("SIGTERM");
  await app.exited;
}

/**
 * App processes a benchmark started and has not seen exit. Whatever ends the benchmark (an error,
 * Ctrl-C, a kill), they are killed with their whole process group, so none is left running.
 */
const children = new Set<ChildProcess>();
let reaperInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the group: the app and anything it started
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function reapOnExit(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once("exit", () => {
    for (const c of children) killGroup(c, "SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.once(signal, () => {
      for (const c of children) killGroup(c, "SIGKILL");
      process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
    });
}

/** A running app process for a benchmark: its local URL, and how to stop it. */
export interface AppProcess {
  url: string;
  pid: number | undefined;
  /** What bench/server-timing.ts measured inside the app since the last call, sorted, in ms. */
  takeServerTimes(kind: ServerTimeKind): Promise<number[]>;
  stop(): Promise<void>;
  /** Kills it with SIGKILL, as a crash would (nothing drains, nothing closes), and waits until it is gone. */
  kill(): Promise<void>;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<unknown>;
}

/** Clicks: from the click reaching the app to Slack's answer to its post of the next card. Webhooks: from arrival to our answer. */
export type ServerTimeKind = "clicks" | "webhooks";

/** A click carrying this header (its value the id at the end of its response_url) is timed by the app process. */
export const BENCH_CLICK_HEADER = "x-bench-click";

/**
 * Starts bench/app-process.ts (the real app, its clock set to `clockStart` and running on), or
 * another `script` that answers the same messages, in a process of its own. BENCH_CPU_PROF=<dir>
 * writes a CPU profile of it there; BENCH_SQL_COUNT=<dir> counts its statements there
 * (bench/send-statements.ts).
 */
export async function startAppProcess(
  env: NodeJS.ProcessEnv,
  clockStart: number,
  script = "bench/app-process.ts",
): Promise<AppProcess> {
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const counting = process.env.BENCH_SQL_COUNT
    ? ["--import", pathToFileURL(path.join(ROOT, "bench/send-statements.ts")).href]
    : [];
  const child = fork(path.join(ROOT, script), [], {
    execArgv: ["--import", "tsx", ...counting, ...profile],
    env: {
      ...env,
      BENCH_CLOCK_START: String(clockStart),
      ...(process.env.BENCH_SQL_COUNT ? { BENCH_SQL_COUNT: process.env.BENCH_SQL_COUNT } : {}),
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    // A process group of its own, killed whole by reapOnExit if the benchmark dies first.
    detached: true,
  });
  reapOnExit(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { ready: string }).ready));
    child.once("exit", (code) => reject(new Error(`app exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid,
    exited,
    takeServerTimes: (kind) =>
      new Promise<number[]>((resolve) => {
        child.once("message", (m) => resolve((m as { times: number[] }).times.sort((a, b) => a - b)));
        child.send({ take: kind });
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      // A process that does not stop within 20 s is killed, group and all.
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      killGroup(child, "SIGKILL");
      await exited;
    },
  };
}
