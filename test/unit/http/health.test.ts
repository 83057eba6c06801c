import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Readiness } from "../../../src/boot/readiness";
import { healthRoute } from "../../../src/http/health";

/** /healthz over a real socket, with the readiness and database ping it reports on. */
async function askHealth(readiness: Readiness, ping: () => Promise<void>) {
  const logged: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logged.push(line) });
  const server = http.createServer(healthRoute({ readiness, ping, logger }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`);
    return { status: res.status, text: await res.text(), logged: logged.join("") };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const SECRET_TEXT = 'password authentication failed for user "campaign_admin" at db.internal.example.org:5432';

describe("GET /healthz", () => {
  it("never shows the database's error text (host, user) to the caller; the log keeps it", async () => {
    const ready = new Readiness([]);
    const answer = await askHealth(ready, () => Promise.reject(new Error(SECRET_TEXT)));
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({
      status: "unavailable",
      ready: false,
      database: "unreachable",
      waitingFor: ["database"],
    });
    expect(answer.text).not.toContain("campaign_admin");
    expect(answer.text).not.toContain("db.internal");
    expect(answer.logged).toContain("campaign_admin");
  });

  it("says what the process still waits for, then ok, then stopping", async () => {
    const readiness = new Readiness(["database", "slack", "twilio"]);
    const ping = () => Promise.resolve();
    readiness.done("database");
    expect(JSON.parse((await askHealth(readiness, ping)).text)).toEqual({
      status: "starting",
      ready: false,
      waitingFor: ["slack", "twilio"],
    });
    readiness.done("slack");
    readiness.done("twilio");
    const ok = await askHealth(readiness, ping);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ status: "ok", ready: true, database: "ok" });
    readiness.markStopping();
    const stopping = await askHealth(readiness, ping);
    expect([stopping.status, JSON.parse(stopping.text)]).toEqual([503, { status: "stopping", ready: false }]);
    // Requests already routed here are still served while health fails.
    expect(readiness.has("slack")).toBe(true);
  });
});
