/**
 * A local webhook receiver (a CRM's endpoint, as far as the app can tell): records every POST with
 * its headers and raw body, and answers 200, or a failing status / no answer when told to.
 */
import http from "node:http";
import { closeServer, listen, readBody, sendText } from "./http";

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface FakeWebhookReceiver {
  readonly url: string;
  readonly received: readonly ReceivedWebhook[];
  /** The next `times` requests answer `status` (e.g. 500), or hang up without answering (`"drop"`). */
  failNext(times: number, status: number | "drop"): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeWebhookReceiver(): Promise<FakeWebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures: { left: number; status: number | "drop" } = { left: 0, status: 500 };
  const server = http.createServer((req, res) => {
    void readBody(req).then((raw) => {
      const failing = failures.left > 0;
      if (failing) failures.left--;
      if (failing && failures.status === "drop") {
        received.push({ headers: req.headers, body: raw.toString("utf8"), status: 0 });
        req.socket.destroy();
        return;
      }
      const status = failing ? (failures.status as number) : 200;
      received.push({ headers: req.headers, body: raw.toString("utf8"), status });
      sendText(res, status, status === 200 ? "ok" : "failed");
    });
  });
  const url = `${await listen(server)}/hooks/texting`;
  return {
    url,
    received,
    failNext(times, status) {
      failures = { left: times, status };
    },
    reset() {
      received.length = 0;
      failures = { left: 0, status: 500 };
    },
    close: () => closeServer(server),
  };
}
