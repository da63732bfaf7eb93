import http from "node:http";
import type { AddressInfo } from "node:net";
import { END_EVENT, encodeEvent, superjsonCodec } from "@rivulet/shared";

/** One request a test server received, with its body read in full. */
export interface ReceivedRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Resolves when the response's connection closes (the client left, or the server ended it). */
  closed: Promise<void>;
}

export type TestHandler = (req: http.IncomingMessage, res: http.ServerResponse, received: ReceivedRequest) => void;

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: ReceivedRequest[];
}

/**
 * Hand-written HTTP servers on port 0 for one test file. Call `closeAll` in
 * `afterEach`: it drops every open connection, so no socket outlives a test.
 */
export function createServerPool(): {
  start(handler: TestHandler): Promise<TestServer>;
  /** A port that refuses connections: a server is opened there, then closed. */
  closedPort(): Promise<number>;
  closeAll(): Promise<void>;
} {
  const servers = new Set<http.Server>();

  const close = async (server: http.Server): Promise<void> => {
    servers.delete(server);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  const listen = async (server: http.Server): Promise<number> => {
    servers.add(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };

  return {
    async start(handler) {
      const requests: ReceivedRequest[] = [];
      const server = http.createServer((req, res) => {
        const closed = new Promise<void>((resolve) => res.once("close", resolve));
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          const received: ReceivedRequest = {
            method: req.method ?? "",
            url: new URL(req.url ?? "/", "http://127.0.0.1"),
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            closed,
          };
          requests.push(received);
          handler(req, res, received);
        });
      });
      const port = await listen(server);
      return { origin: `http://127.0.0.1:${port}`, requests };
    },
    async closedPort() {
      const server = http.createServer();
      const port = await listen(server);
      await close(server);
      return port;
    },
    async closeAll() {
      await Promise.all([...servers].map(close));
    },
  };
}

/** Starts a 200 `text/event-stream` response and sends its headers at once. */
export function openStream(res: http.ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  res.flushHeaders();
}

/** Writes one event the way a Rivulet server does: superjson `data:` and, when needed, `meta:`. */
export function sendEvent(res: http.ServerResponse, event: string, data: unknown, id?: string): void {
  const encoded = superjsonCodec.encode(data);
  res.write(
    encodeEvent({
      event,
      data: encoded.data,
      ...(id !== undefined && { id }),
      ...(encoded.meta !== undefined && { meta: encoded.meta }),
    }),
  );
}

/** Writes the end event and ends the response. */
export function sendEnd(res: http.ServerResponse): void {
  res.end(encodeEvent({ event: END_EVENT, data: "" }));
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

/** A promise with its resolve function outside, for "wait until the server saw X". */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
