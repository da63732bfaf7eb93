import type { IncomingMessage, ServerResponse } from "node:http";
import { RivuletError } from "@rivulet/shared";
import type { ResolvedOptions } from "./options.js";
import { SSE_HEADERS, errorBody, readStreamRequest } from "./request.js";
import type { Route } from "./routes.js";
import { StreamRun } from "./run-stream.js";
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
  const { prefix } = options;
  const batcher = new TickBatcher();
  return (req, res, next) => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    if (!pathname.startsWith(`${prefix}/`)) {
      if (next) return next();
      return refuse(res, new RivuletError("NOT_FOUND", `No stream at "${pathname}".`));
    }
    void serve(req, res, pathname.slice(prefix.length + 1), queryAt === -1 ? "" : url.slice(queryAt + 1));
  };

  async function serve(req: IncomingMessage, res: ServerResponse, rawPath: string, search: string): Promise<void> {
    let path = rawPath;
    let phase: "request" | "context" = "request";
    try {
      path = decodeURIComponent(rawPath);
      const request = await readStreamRequest(
        routes,
        {
          method: req.method ?? "GET",
          path,
          query: search === "" ? NO_QUERY : new URLSearchParams(search),
          lastEventIdHeader: headerValue(req.headers["last-event-id"]),
          readBody: () => readBody(req, options.maxBodyBytes),
        },
        options.codec,
      );
      phase = "context";
      const ctx = options.context ? await options.context(req) : undefined;
      if (res.destroyed) return;

      req.socket.setNoDelay(true);
      // A resume waits for its first bytes, so that a stream with nothing left can still answer 204.
      if (request.lastEventId === undefined) openStream(res);
      (res as StreamResponse)[RUN] = new StreamRun(request, ctx, new NodeSink(res, batcher), options as ResolvedOptions<never, unknown>);
      res.on("close", abortRun);
    } catch (thrown) {
      // The client left while we read its body or ran `context`: nobody to answer, nothing to report.
      if (req.destroyed && res.destroyed) return;
      const error = thrown instanceof URIError ? new RivuletError("NOT_FOUND", "Malformed path.") : RivuletError.from(thrown);
      options.onError(error, { path, phase });
      refuse(res, error);
    }
  }
}

const RUN = Symbol("rivulet.run");
type StreamResponse = ServerResponse & { [RUN]?: StreamRun };

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
}

function refuse(res: ServerResponse, error: RivuletError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (error.code === "METHOD_NOT_SUPPORTED") headers["allow"] = "GET, POST";
  // The rest of an oversized body is never read, so the connection cannot be reused.
  if (error.code === "PAYLOAD_TOO_LARGE") headers["connection"] = "close";
  res.writeHead(error.status, headers);
  res.end(errorBody(error));
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        // Stop reading but keep the socket so the 413 can be sent; the connection closes after it.
        req.pause();
        reject(new RivuletError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
