/**
 * Helpers for the server's tests: real servers on port 0, raw sockets, and an
 * SSE reader built on the shared parser. Everything opened here is tracked and
 * closed by `closeAll()`, which each test file runs in `afterEach`.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createEventStreamParser, type ParsedEvent } from "@rivulet/shared";

export { sleep };

const servers = new Set<http.Server>();
const sockets = new Set<net.Socket>();

export interface Served {
  server: http.Server;
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
}

/** Starts `http.createServer(listener)` on an ephemeral port of 127.0.0.1. */
export async function serve(listener: http.RequestListener): Promise<Served> {
  const server = http.createServer(listener);
  servers.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, port, origin: `http://127.0.0.1:${port}` };
}

/** A raw TCP connection to a test server. */
export async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, "127.0.0.1");
  sockets.add(socket);
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

/** Closes one server: drops its connections, then waits for `close`. */
export async function closeServer(server: http.Server): Promise<void> {
  servers.delete(server);
  server.closeAllConnections();
  if (!server.listening) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Destroys every socket and closes every server the helpers opened. */
export async function closeAll(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all([...servers].map(closeServer));
}

/** Number of open connections of a server. */
export function connectionCount(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface StreamRead {
  /** The raw body text. */
  text: string;
  events: ParsedEvent[];
  /** Comment lines (keep-alive pings come as `"ping"`). */
  comments: string[];
  /** Whether the body ended (as opposed to being cancelled by `readFor`). */
  ended: boolean;
}

/** Reads an SSE body to its end. */
export function readStream(body: ReadableStream<Uint8Array> | null): Promise<StreamRead> {
  return read(body, undefined);
}

/** Reads an SSE body for `ms`, then cancels it (or returns earlier if it ends). */
export function readFor(body: ReadableStream<Uint8Array> | null, ms: number): Promise<StreamRead> {
  return read(body, ms);
}

async function read(body: ReadableStream<Uint8Array> | null, ms: number | undefined): Promise<StreamRead> {
  if (!body) throw new Error("response has no body");
  const out: StreamRead = { text: "", events: [], comments: [], ended: false };
  const parser = createEventStreamParser({
    onEvent: (event) => out.events.push(event),
    onComment: (text) => out.comments.push(text),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let cancelled = false;
  const timer =
    ms === undefined
      ? undefined
      : setTimeout(() => {
          cancelled = true;
          void reader.cancel().catch(() => {});
        }, ms);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out.text += decoder.decode(value, { stream: true });
      parser.feed(value);
    }
    out.ended = !cancelled;
  } finally {
    clearTimeout(timer);
    parser.end();
  }
  return out;
}

/** Sends a raw HTTP/1.1 request over `socket` and reads until the server closes or `until` matches. */
export function rawExchange(socket: net.Socket, request: string, until?: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const done = (): void => {
      socket.off("data", onData);
      resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("utf8");
      if (until?.test(text)) done();
    };
    socket.on("data", onData);
    socket.once("close", done);
    socket.write(request);
  });
}

/** Counts active `Timeout` resources of this process. */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "Timeout").length;
}
