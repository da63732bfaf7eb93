import type { IncomingMessage, ServerResponse } from "node:http";
import { RivuletError } from "@rivulet/shared";
import type { ResolvedOptions } from "./options.js";
import { createPipeline, type Reply } from "./pipeline.js";
import { SSE_HEADERS, type RequestParts } from "./request.js";
import type { Route } from "./routes.js";
import type { OpenStream } from "./stream-host.js";
import type { Sink } from "./sink.js";
import { TickBatcher } from "./tick-batcher.js";

/** A node `http` request handler; with Express/Connect, `next` is called for paths outside the prefix. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** The query of a request without one; only ever read. */
const NO_QUERY = new URLSearchParams();

export function createNodeHandler<TContext>(
  routes: ReadonlyMap<string, Route>,
  options: ResolvedOptions<IncomingMessage, TContext>,
): NodeHandler {
  const pipeline = createPipeline(routes, options);
  const batcher = new TickBatcher();
  const { crossOrigin } = pipeline;
  return (req, res, next) => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const path = pipeline.below(pathname);
    if (path === undefined && next) return next();
    if (crossOrigin) {
      const { headers } = req;
      const answer = crossOrigin(path, {
        method: req.method ?? "GET",
        pathname,
        origin: headerValue(headers.origin),
        host: headerValue(headers.host ?? headers[":authority"]),
        requestMethod: headerValue(headers["access-control-request-method"]),
      });
      // Set on the response, so that every `writeHead` below (stream, 204, refusal) merges them in.
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      if (answer.reply) return refuse(res, answer.reply, req);
    }
    if (path === undefined) return refuse(res, pipeline.outside(pathname), req);
    const search = queryAt === -1 ? "" : url.slice(queryAt + 1);
    void serve(req, res, {
      method: req.method ?? "GET",
      path,
      query: search === "" ? NO_QUERY : new URLSearchParams(search),
      lastEventIdHeader: headerValue(req.headers["last-event-id"]),
      contentType: req.headers["content-type"] ?? null,
      readBody: (limit, signal) => readBody(req, limit, signal),
      left: () => req.destroyed && res.destroyed,
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse, parts: RequestParts): Promise<void> {
    const decision = await pipeline.accept(req, parts);
    if (decision.kind !== "stream") return refuse(res, decision, req);
    if (res.destroyed) return;
    req.socket.setNoDelay(true);
    if (!decision.awaitFirstBytes) openStream(res);
    (res as StreamResponse)[RUN] = pipeline.start(decision, new NodeSink(res, batcher));
    res.on("close", abortRun);
  }
}

const RUN = Symbol("rivulet.run");
type StreamResponse = ServerResponse & { [RUN]?: OpenStream };

/**
 * "close" fires when the client leaves, and also after the stream ends the
 * response (`abort` is then a no-op). One listener for every response, which
 * finds its stream on it, rather than a closure per connection.
 */
function abortRun(this: StreamResponse): void {
  this[RUN]?.abort();
}

function openStream(res: ServerResponse): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
}

/** A `ServerResponse` as a sink; a class, so that each connection costs one small object rather than four closures. */
class NodeSink implements Sink {
  /** The tick of this response's last write (see `TickBatcher`). */
  #tick = -1;

  constructor(
    private readonly res: ServerResponse,
    private readonly batcher: TickBatcher,
  ) {}

  write(chunk: string): boolean {
    const { res } = this;
    if (!res.headersSent) openStream(res);
    this.#tick = this.batcher.beforeWrite(res, this.#tick);
    return res.write(chunk);
  }

  drained(): Promise<void> {
    const { res } = this;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }

  end(): void {
    const { res } = this;
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) openStream(res);
    res.end();
  }

  noContent(): void {
    this.res.writeHead(204);
    this.res.end();
  }

  refuse(status: number, headers: Readonly<Record<string, string>>, body: string): void {
    this.res.writeHead(status, headers);
    this.res.end(body);
  }
}

function refuse(res: ServerResponse, refusal: Reply, req: IncomingMessage): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (req.complete) {
    res.writeHead(refusal.status, refusal.headers);
    res.end(refusal.body);
    return;
  }
  // The rest of a body refused before it was all in (too large, too slow, not JSON) is never
  // read: the connection closes after the answer rather than wait for it to drain, and the
  // request, paused with what it had buffered, is destroyed with it.
  res.once("close", () => req.destroy());
  // HTTP/2 (node:http2's compatibility API) has no `Connection` header: its stream alone is reset.
  res.writeHead(refusal.status, req.httpVersionMajor === 1 ? { ...refusal.headers, connection: "close" } : refusal.headers);
  res.end(refusal.body);
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function readBody(req: IncomingMessage, limit: number, signal: AbortSignal): Promise<string> {
  // A body parser mounted before the adapter (Express's express.json(), body-parser) has read
  // the body to its end: no "data" or "end" comes again. Take what it parsed instead.
  if (req.readableEnded) return Promise.resolve().then(() => parsedBody(req, limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Stop reading but keep the socket so the refusal can be sent; the connection closes after
    // it, and the chunks read so far go with this closure.
    const stop = (error: unknown): void => {
      req.off("data", onData);
      signal.removeEventListener("abort", onAbort);
      req.pause();
      reject(error);
    };
    const onAbort = (): void => stop(signal.reason);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) return stop(new RivuletError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes.`));
      chunks.push(chunk);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    req.on("data", onData);
    req.on("end", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

/**
 * The body a parser mounted before the adapter left on `req.body` (a string from a text parser,
 * a Buffer from a raw one, a value from a JSON one), as text again, so that it goes through the
 * same limit and input checks as a body read here.
 * @throws {RivuletError} `INTERNAL_SERVER_ERROR` when the body was read but not left on `req.body`.
 */
function parsedBody(req: IncomingMessage & { body?: unknown }, limit: number): string {
  const { body } = req;
  if (body === undefined) {
    throw new RivuletError(
      "INTERNAL_SERVER_ERROR",
      "The request body was read before Rivulet's adapter: mount router.node() before body parsers.",
    );
  }
  const text = typeof body === "string" ? body : Buffer.isBuffer(body) ? body.toString("utf8") : JSON.stringify(body);
  if (Buffer.byteLength(text) > limit) throw new RivuletError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes.`);
  return text;
}
