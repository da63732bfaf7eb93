import { RivuletError } from "@rivulet/shared";
import type { ResolvedOptions } from "./options.js";
import { SSE_HEADERS, errorBody, readStreamRequest } from "./request.js";
import type { Route } from "./routes.js";
import { StreamRun } from "./run-stream.js";
import type { Sink } from "./sink.js";

/** A web-standard handler: `Request → Response`, for Hono, Bun, Deno, workers and node adapters. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Bytes the response body may queue before the generator is paused. */
const HIGH_WATER_MARK = 64 * 1024;

export function createFetchHandler<TContext>(
  routes: ReadonlyMap<string, Route>,
  options: ResolvedOptions<Request, TContext>,
): FetchHandler {
  const { prefix } = options;
  return async (request) => {
    const url = new URL(request.url);
    let path = url.pathname;
    let phase: "request" | "context" = "request";
    try {
      if (!url.pathname.startsWith(`${prefix}/`)) throw new RivuletError("NOT_FOUND", `No stream at "${url.pathname}".`);
      try {
        path = decodeURIComponent(url.pathname.slice(prefix.length + 1));
      } catch {
        throw new RivuletError("NOT_FOUND", "Malformed path.");
      }
      const streamRequest = await readStreamRequest(
        routes,
        {
          method: request.method,
          path,
          query: url.searchParams,
          lastEventIdHeader: request.headers.get("last-event-id"),
          readBody: () => readBody(request, options.maxBodyBytes),
        },
        options.codec,
      );
      phase = "context";
      const ctx = options.context ? await options.context(request) : undefined;

      const resumed = streamRequest.lastEventId !== undefined;
      const { body, head } = createBody((sink) => {
        const onRequestAbort = (): void => run.abort();
        request.signal.addEventListener("abort", onRequestAbort, { once: true });
        const run = new StreamRun(streamRequest, ctx, sink, options as ResolvedOptions<never, unknown>, () =>
          request.signal.removeEventListener("abort", onRequestAbort),
        );
        // The client may have left while `context` ran; "abort" does not fire again for it.
        if (request.signal.aborted) run.abort();
        return run;
      });
      // A resume waits for its first bytes, so that a stream with nothing left can still answer 204.
      if (resumed && (await head) === "empty") return new Response(null, { status: 204 });
      return new Response(body, { status: 200, headers: SSE_HEADERS });
    } catch (thrown) {
      const error = RivuletError.from(thrown);
      options.onError(error, { path, phase });
      const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
      if (error.code === "METHOD_NOT_SUPPORTED") headers["allow"] = "GET, POST";
      return new Response(errorBody(error), { status: error.status, headers });
    }
  };
}

/**
 * A byte stream whose `pull` is the backpressure signal for the sink, and
 * `head`: whether the stream has bytes ("stream") or ended with none ("empty").
 * Cancelling the body aborts what `run` started.
 */
function createBody(
  run: (sink: Sink) => { abort(): void },
): { body: ReadableStream<Uint8Array>; head: Promise<"stream" | "empty"> } {
  const encoder = new TextEncoder();
  let pulled: (() => void) | undefined;
  let closed = false;
  let started: { abort(): void } | undefined;
  let settleHead: (kind: "stream" | "empty") => void = () => {};
  const head = new Promise<"stream" | "empty">((resolve) => (settleHead = resolve));
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const close = (kind: "stream" | "empty"): void => {
          settleHead(kind);
          if (closed) return;
          closed = true;
          controller.close();
        };
        const sink: Sink = {
          write(chunk) {
            settleHead("stream");
            if (closed) return true;
            controller.enqueue(encoder.encode(chunk));
            return (controller.desiredSize ?? 0) > 0;
          },
          drained: () => new Promise<void>((resolve) => (pulled = resolve)),
          end: () => close("stream"),
          noContent: () => close("empty"),
        };
        started = run(sink);
      },
      pull() {
        pulled?.();
        pulled = undefined;
      },
      cancel() {
        closed = true;
        pulled?.();
        started?.abort();
      },
    },
    { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
  return { body, head };
}

async function readBody(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new RivuletError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes.`);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
