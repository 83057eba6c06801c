import { startApp } from "../src/app";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { timeRequestsForParent } from "./server-timing";

/**
 * The app process the send and inbound benchmarks drive: the real app, its clock set to BENCH_CLOCK_START
 * (a weekday morning in New York) and running on from there, so sending hours are open whatever
 * time the benchmark runs.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // BENCH_CLOCK_ORIGIN (when set) is the real time at which the clock read BENCH_CLOCK_START, so
  // several app processes, and one restarted, keep one clock.
  const offset = Number(process.env.BENCH_CLOCK_START) - Number(process.env.BENCH_CLOCK_ORIGIN ?? Date.now());
  const running = await startApp(config, createLogger(config.logLevel), { clock: () => new Date(Date.now() + offset) });
  timeRequestsForParent();
  process.send?.({ ready: running.localUrl });
  const stop = () => {
    setTimeout(() => process.exit(1), 15_000).unref();
    void running.stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  // The benchmark died without stopping us (even SIGKILL closes the IPC channel): never outlive it.
  process.once("disconnect", stop);
}

void main();
