import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BENCH_CLICK_HEADER, type ServerTimeKind } from "./support";

/**
 * Times requests from inside an app process, so a benchmark reports the server's own time and not
 * also its client's delays. The parent takes the times over IPC, by kind:
 * - clicks: from a request carrying BENCH_CLICK_HEADER reaching Node's HTTP server to the answer to
 *   the next card's post (Bolt's respond, over fetch) at the response_url ending in the same id;
 * - webhooks: from a Twilio webhook reaching the server to the last byte of our answer.
 */
export function timeRequestsForParent(): void {
  const arrived = new Map<string, number>();
  const times: Record<ServerTimeKind, number[]> = { clicks: [], webhooks: [] };
  diagnostics.subscribe("http.server.request.start", (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const start = performance.now();
    const id = request.headers[BENCH_CLICK_HEADER];
    if (typeof id === "string") arrived.set(id, start);
    if (request.url?.startsWith("/twilio/"))
      response.once("finish", () => times.webhooks.push(performance.now() - start));
  });
  diagnostics.subscribe("undici:request:headers", (message) => {
    const id = decodeURIComponent((message as { request: { path: string } }).request.path.split("/").pop() ?? "");
    const start = arrived.get(id);
    if (start === undefined) return;
    arrived.delete(id);
    times.clicks.push(performance.now() - start);
  });
  process.on("message", (message) => {
    const kind = (message as { take?: ServerTimeKind }).take;
    if (kind !== "clicks" && kind !== "webhooks") return;
    process.send?.({ times: times[kind] });
    times[kind] = [];
  });
}
