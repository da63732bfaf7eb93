import type { IncomingMessage, ServerResponse } from "node:http";
import { RivuletError } from "@rivulet/shared";
import type { ResolvedOptions } from "./options.js";
import { SSE_HEADERS, errorBody, readStreamRequest } from "./request.js";
import type { Route } from "./routes.js";
import { runStream } from "./run-stream.js";
import type { Sink } from "./sink.js";

/** A node `http` request handler; with Express/Connect, `next` is called for paths outside the prefix. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

export function createNodeHandler<TContext>(
  routes: ReadonlyMap<string, Route>,
  options: ResolvedOptions<IncomingMessage, TContext>,
): NodeHandler {
  const { prefix } = options;
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
          query: new URLSearchParams(search),
          lastEventIdHeader: headerValue(req.headers["last-event-id"]),
          readBody: () => readBody(req, options.maxBodyBytes),
        },
        options.codec,
      );
      phase = "context";
      const ctx = options.context ? await options.context(req) : undefined;
      if (res.destroyed) return;

      const controller = new AbortController();
      // "close" fires when the client leaves, and also after we end the response; the abort is then a no-op.
      res.once("close", () => controller.abort());
      req.socket.setNoDelay(true);
      const resumed = request.lastEventId !== undefined;
      // A resume waits for its first bytes, so that a stream with nothing left can still answer 204.
      if (!resumed) openStream(res);
      await runStream({
        path: request.route.path,
        stream: request.route.stream,
        events: request.route.handler({
          input: request.input,
          signal: controller.signal,
          lastEventId: request.lastEventId,
          ctx,
        } as never),
        sink: nodeSink(res),
        controller,
        resumed,
        options: options as ResolvedOptions<never, unknown>,
      });
    } catch (thrown) {
      // The client left while we read its body or ran `context`: nobody to answer, nothing to report.
      if (req.destroyed && res.destroyed) return;
      const error = thrown instanceof URIError ? new RivuletError("NOT_FOUND", "Malformed path.") : RivuletError.from(thrown);
      options.onError(error, { path, phase });
      refuse(res, error);
    }
  }
}

function openStream(res: ServerResponse): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
}

/**
 * Responses corked in this tick. Events written in one tick go out in one
 * syscall per response: corked on the first write, all uncorked together on
 * the next tick — one callback for every response, however many, which
 * matters when a broker message is written to thousands of them at once.
 */
let corked: ServerResponse[] = [];

function uncorkAll(): void {
  const responses = corked;
  corked = [];
  for (const res of responses) res.uncork();
}

function corkForThisTick(res: ServerResponse): void {
  if (res.writableCorked > 0) return;
  res.cork();
  if (corked.push(res) === 1) process.nextTick(uncorkAll);
}

function nodeSink(res: ServerResponse): Sink {
  return {
    write: (chunk) => {
      if (!res.headersSent) openStream(res);
      corkForThisTick(res);
      return res.write(chunk);
    },
    drained: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      }),
    end: () => {
      if (res.destroyed || res.writableEnded) return;
      if (!res.headersSent) openStream(res);
      res.end();
    },
    noContent: () => {
      res.writeHead(204);
      res.end();
    },
  };
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
