import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Real servers on 127.0.0.1, port 0, for one test file. Call `closeAll` in
 * `afterEach`: it drops every open connection, so vitest exits by itself.
 */
export function createServerPool(): {
  /** Starts a server and returns its origin, `http://127.0.0.1:<port>`. */
  start(listener: http.RequestListener): Promise<string>;
  closeAll(): Promise<void>;
} {
  const servers = new Set<http.Server>();
  return {
    async start(listener) {
      const server = http.createServer(listener);
      servers.add(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async closeAll() {
      const closing = [...servers].map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      });
      servers.clear();
      await Promise.all(closing);
    },
  };
}

/**
 * The smallest node → fetch bridge: turns each node request into a web
 * `Request` (aborted when the node response closes), and pipes the web
 * `Response` back. What a user would write to serve `router.fetch` from
 * `http.createServer` without a framework.
 */
export function fetchToNode(handler: (request: Request) => Promise<Response>): http.RequestListener {
  return (req, res) => {
    bridge(handler, req, res).catch(() => res.destroy());
  };
}

const HOP_BY_HOP = new Set(["host", "connection", "content-length", "keep-alive", "transfer-encoding"]);

async function bridge(
  handler: (request: Request) => Promise<Response>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const controller = new AbortController();
  res.once("close", () => controller.abort());
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const init: RequestInit = { method: req.method ?? "GET", headers, signal: controller.signal };
  if (chunks.length > 0) init.body = Buffer.concat(chunks).toString("utf8");
  const response = await handler(new Request(new URL(req.url ?? "/", "http://127.0.0.1"), init));

  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  controller.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined), { once: true });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}

/** A promise with its resolve function outside, for "wait until the server saw X". */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves when the signal aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Drains an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The error a promise rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("Expected the promise to reject, but it resolved.");
}
