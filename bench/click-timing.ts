import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { BENCH_CLICK_HEADER } from "./support";

/**
 * Times clicks from inside an app process: from a request carrying BENCH_CLICK_HEADER reaching
 * Node's HTTP server to the answer to the next card's post (Bolt's respond, over fetch) at the
 * response_url whose path ends in the same id. The parent takes the times over IPC.
 */
export function timeClicksForParent(): void {
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
