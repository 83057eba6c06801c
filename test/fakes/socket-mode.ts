/**
 * A fake of Slack's Socket Mode WebSocket endpoint (the URL apps.connections.open hands out), on
 * 127.0.0.1 and built on node:http alone: the RFC 6455 handshake, text frames, ping → pong, close.
 * It says hello, delivers envelopes (slash commands, interactivity, events) as Slack does, and
 * records each acknowledgement the app sends back.
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";
import { closeServer, listen } from "./http";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface SocketModeAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface FakeSocketMode {
  /** The ws:// URL apps.connections.open should return. */
  readonly url: string;
  readonly acks: readonly SocketModeAck[];
  /** Resolves once a client finished the handshake and got its hello. */
  connected(): Promise<void>;
  /** Sends an envelope to the connected app and resolves with its acknowledgement. */
  deliver(
    type: "slash_commands" | "interactive" | "events_api",
    payload: Record<string, unknown>,
  ): Promise<SocketModeAck>;
  close(): Promise<void>;
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Reads complete (masked, client-sent) frames from `buffer`; returns them and what is left over. */
function readFrames(buffer: Buffer): { frames: Array<{ opcode: number; payload: Buffer }>; rest: Buffer } {
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  let at = 0;
  while (buffer.length - at >= 2) {
    const opcode = buffer[at]! & 0x0f;
    const masked = (buffer[at + 1]! & 0x80) !== 0;
    let len = buffer[at + 1]! & 0x7f;
    let offset = at + 2;
    if (len === 126) {
      if (buffer.length < offset + 2) break;
      len = buffer.readUInt16BE(offset);
      offset += 2;
    } else if (len === 127) {
      if (buffer.length < offset + 8) break;
      len = Number(buffer.readBigUInt64BE(offset));
      offset += 8;
    }
    const maskLen = masked ? 4 : 0;
    if (buffer.length < offset + maskLen + len) break;
    const mask = buffer.subarray(offset, offset + maskLen);
    const payload = Buffer.from(buffer.subarray(offset + maskLen, offset + maskLen + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
    frames.push({ opcode, payload });
    at = offset + maskLen + len;
  }
  return { frames, rest: buffer.subarray(at) };
}

export async function startFakeSocketMode(appId = "A0FAKEAPP"): Promise<FakeSocketMode> {
  const acks: SocketModeAck[] = [];
  const waiting = new Map<string, (ack: SocketModeAck) => void>();
  const sockets = new Set<Duplex>();
  let current: Duplex | undefined;
  let onConnected: (() => void) | undefined;
  const connectedOnce = new Promise<void>((resolve) => (onConnected = resolve));

  const server = http.createServer((_req, res) => {
    res.writeHead(426).end();
  });
  server.on("upgrade", (req, socket) => {
    const key = req.headers["sec-websocket-key"];
    if (!key) return socket.destroy();
    const accept = createHash("sha1").update(`${key}${GUID}`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    current = socket;
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const f of frames) {
        if (f.opcode === 0x9) socket.write(frame(0xa, f.payload));
        else if (f.opcode === 0x8) socket.end(frame(0x8, f.payload.subarray(0, 2)));
        else if (f.opcode === 0x1) {
          const ack = JSON.parse(f.payload.toString("utf8")) as SocketModeAck;
          acks.push(ack);
          waiting.get(ack.envelope_id)?.(ack);
        }
      }
    });
    const hello = {
      type: "hello",
      num_connections: 1,
      debug_info: { host: "applink-fake", approximate_connection_time: 18060 },
      connection_info: { app_id: appId },
    };
    socket.write(frame(0x1, Buffer.from(JSON.stringify(hello))));
    onConnected?.();
  });
  const base = await listen(server);

  return {
    url: `${base.replace(/^http/, "ws")}/link/?ticket=${randomUUID()}&app_id=${appId}`,
    acks,
    connected: () => connectedOnce,
    deliver(type, payload) {
      if (!current) return Promise.reject(new Error("no Socket Mode client is connected"));
      const envelope_id = randomUUID();
      const acked = new Promise<SocketModeAck>((resolve) => waiting.set(envelope_id, resolve));
      const envelope = {
        envelope_id,
        payload,
        type,
        accepts_response_payload: type !== "events_api",
        retry_attempt: 0,
        retry_reason: "",
      };
      current.write(frame(0x1, Buffer.from(JSON.stringify(envelope))));
      return acked;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}
