/**
 * Small node:http helpers shared by the fake Slack and fake Twilio servers.
 * Kept dependency-free on purpose: the fakes must not add packages to the project.
 */
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Reads the whole request body. */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: http.ServerResponse,
  status: number,
  text: string | Buffer,
  contentType = "text/plain; charset=utf-8",
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Starts `server` on an ephemeral 127.0.0.1 port and returns its base URL (no trailing slash).
 */
export async function listen(server: http.Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/**
 * Closes the server and every socket it holds. SDK clients keep connections alive
 * (undici's fetch, axios' agent), so a plain close() would wait for their idle timeout.
 */
export async function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `n` random lowercase hex characters. */
export function randomHex(n: number): string {
  return randomBytes(Math.ceil(n / 2))
    .toString("hex")
    .slice(0, n);
}

/** `n` random characters from Slack's ID alphabet (uppercase letters and digits). */
export function randomSlackIdChars(n: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * Form fields as a record. A name sent once maps to a string, a repeated name
 * (Twilio's `MediaUrl=a&MediaUrl=b`) to an array of strings.
 */
export function formToRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? (all[0] as string) : all;
  }
  return out;
}

/** The media type of a Content-Type header, lowercased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Wraps an async request handler so an exception answers 500 (and is logged) instead of
 * leaving the client hanging until its timeout.
 */
export function safeHandler(
  name: string,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): http.RequestListener {
  return (req, res) => {
    handler(req, res).catch((err: unknown) => {
      console.error(`${name}: handler crashed on ${req.method} ${req.url}`, err);
      if (!res.headersSent) sendText(res, 500, `${name} crashed: ${String(err)}`);
      else res.destroy();
    });
  };
}
