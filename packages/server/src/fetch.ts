import { RivuletError } from "@rivulet/shared";
import type { ResolvedOptions } from "./options.js";
import { createPipeline, type Reply } from "./pipeline.js";
import { SSE_HEADERS } from "./request.js";
import type { Route } from "./routes.js";
import type { Sink } from "./sink.js";

/** A web-standard handler: `Request → Response`, for Hono, Bun, Deno, workers and node adapters. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Bytes the response body may queue before the generator is paused. */
const HIGH_WATER_MARK = 64 * 1024;

export function createFetchHandler<TContext>(
  routes: ReadonlyMap<string, Route>,
  options: ResolvedOptions<Request, TContext>,
): FetchHandler {
  const pipeline = createPipeline(routes, options);
  const { crossOrigin } = pipeline;
  if (!crossOrigin) {
    return (request) => {
      const url = new URL(request.url);
      return answer(request, url, pipeline.below(url.pathname));
    };
  }
  return async (request) => {
    const url = new URL(request.url);
    const path = pipeline.below(url.pathname);
    const { headers } = request;
    const cors = crossOrigin(path, {
      method: request.method,
      pathname: url.pathname,
      origin: headers.get("origin"),
      host: url.host,
      requestMethod: headers.get("access-control-request-method"),
    });
    const response = cors.reply ? reply(cors.reply) : await answer(request, url, path);
    for (const [name, value] of Object.entries(cors.headers)) response.headers.set(name, value);
    return response;
  };

  /** `path`: below the prefix, or `undefined` outside it. */
  async function answer(request: Request, url: URL, path: string | undefined): Promise<Response> {
    const decision =
      path === undefined
        ? pipeline.outside(url.pathname)
        : await pipeline.accept(request, {
            method: request.method,
            path,
            query: url.searchParams,
            lastEventIdHeader: request.headers.get("last-event-id"),
            contentType: request.headers.get("content-type"),
            readBody: (limit, signal) => readBody(request, limit, signal),
          });
    if (decision.kind !== "stream") return reply(decision);

    const { body, head } = createBody((sink) => {
      const onRequestAbort = (): void => run.abort();
      request.signal.addEventListener("abort", onRequestAbort, { once: true });
      const run = pipeline.start(decision, sink, () => request.signal.removeEventListener("abort", onRequestAbort));
      // The client may have left while `context` ran; "abort" does not fire again for it.
      if (request.signal.aborted) run.abort();
      return run;
    });
    if (decision.awaitFirstBytes) {
      const first = await head;
      if (first === "empty") return new Response(null, { status: 204 });
      if (first !== "stream") return new Response(first.body, { status: first.status, headers: first.headers });
    }
    return new Response(body, { status: 200, headers: SSE_HEADERS });
  }
}

function reply({ status, headers, body }: Reply): Response {
  // A 204 may have no body at all, not even an empty one.
  return new Response(status === 204 ? null : body, { status, headers });
}

/** How a response begins: with the stream's bytes, empty (204), or as an HTTP error instead. */
type Head = "stream" | "empty" | { status: number; headers: Readonly<Record<string, string>>; body: string };

/**
 * A byte stream whose `pull` is the backpressure signal for the sink, and
 * `head`: whether the stream has bytes ("stream"), ended with none ("empty"),
 * or was refused before its first byte (the error response to send instead).
 * Cancelling the body aborts what `run` started.
 */
function createBody(run: (sink: Sink) => { abort(): void }): { body: ReadableStream<Uint8Array>; head: Promise<Head> } {
  const encoder = new TextEncoder();
  let pulled: (() => void) | undefined;
  let closed = false;
  let started: { abort(): void } | undefined;
  let settleHead: (kind: Head) => void = () => {};
  const head = new Promise<Head>((resolve) => (settleHead = resolve));
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const close = (kind: Head): void => {
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
          refuse: (status, headers, text) => close({ status, headers, body: text }),
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

async function readBody(request: Request, limit: number, signal: AbortSignal): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  // Cancelling settles the read in progress (as done), and lets go of the body's source.
  const onAbort = (): void => void reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const decoder = new TextDecoder();
    let text = "";
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw signal.reason;
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new RivuletError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes.`);
      }
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
