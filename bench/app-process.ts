import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { startApp } from "../src/app";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { BENCH_CLICK_HEADER } from "./support";

/**
 * The app process the send and inbound benchmarks drive: the real app, its clock set to BENCH_CLOCK_START
 * (a weekday morning in New York) and running on from there, so sending hours are open whatever
 * time the benchmark runs.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const offset = Number(process.env.BENCH_CLOCK_START) - Date.now();
  const running = await startApp(config, createLogger(config.logLevel), { clock: () => new Date(Date.now() + offset) });
  timeClicks();
  process.send?.({ ready: running.localUrl });
  process.once("SIGTERM", () => void running.stop().then(() => process.exit(0)));
}

void main();

/**
 * Times clicks from inside the app: from a request carrying BENCH_CLICK_HEADER reaching Node's
 * HTTP server to the answer to the next card's post at the response_url whose path ends in the same id.
 */
function timeClicks(): void {
  const arrived = new Map<string, number>();
  let times: number[] = [];
  diagnostics.subscribe("http.server.request.start", (message) => {
    const id = (message as { request: IncomingMessage }).request.headers[BENCH_CLICK_HEADER];
    if (typeof id === "string") arrived.set(id, performance.now());
  });
  diagnostics.subscribe("undici:request:headers", (message) => {
    const id = decodeURIComponent((message as { request: { path: string } }).request.path.split("/").pop() ?? "");
    const start = arrived.get(id);
    if (start === undefined) return;
    arrived.delete(id);
    times.push(performance.now() - start);
  });
  process.on("message", (message) => {
    if ((message as { take?: string }).take !== "clickTimes") return;
    process.send?.({ clickTimes: times });
    times = [];
  });
}
