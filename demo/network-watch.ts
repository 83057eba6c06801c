/**
 * Watches every outgoing TCP connection this process opens (Node's `net.client.socket` diagnostics
 * channel: undici's fetch, axios and pg all connect through it), so the demo can show it never
 * left 127.0.0.1.
 */
import diagnostics from "node:diagnostics_channel";
import type { Socket } from "node:net";

export interface NetworkWatch {
  /** Remote addresses connected to, in order (each connection once). */
  readonly connected: string[];
  /** Connections to anything but the loopback address. */
  outside(): string[];
  stop(): void;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

export function watchNetwork(): NetworkWatch {
  const connected: string[] = [];
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    socket.once("connect", () => connected.push(socket.remoteAddress ?? "unknown"));
  };
  diagnostics.subscribe("net.client.socket", onSocket);
  return {
    connected,
    outside: () => connected.filter((address) => !LOOPBACK.has(address)),
    stop: () => diagnostics.unsubscribe("net.client.socket", onSocket),
  };
}
