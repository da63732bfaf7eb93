import { RivuletError, type StreamMethod } from "@rivulet/shared";
import type { ResolvedOptions } from "./options.js";
import { readStreamRequest, type RequestParts, type RequestReading, type StreamRequest } from "./request.js";
import type { Route } from "./routes.js";
import type { Sink } from "./sink.js";
import { createStreamHost, type OpenStream } from "./stream-host.js";
import type { ErrorPhase } from "./types.js";

/** A request the pipeline accepted: the adapter answers it and `start`s it. */
export interface Accepted {
  readonly kind: "stream";
  readonly request: StreamRequest;
  readonly ctx: unknown;
  /**
   * Send `200` only with the first bytes, not at once: a resume, which must
   * still be able to answer `204` when the handler has nothing left for it
   * (the sink's `noContent`).
   */
  readonly awaitFirstBytes: boolean;
}

/** A request the pipeline refused, already reported to `onError`: the adapter sends it as it is. */
export interface Refusal {
  readonly kind: "refusal";
  readonly error: RivuletError;
  readonly status: number;
  readonly headers: Record<string, string>;
  /** `{ "error": { code, message, issues? } }` */
  readonly body: string;
}

/**
 * What happens to a request between the transport and the stream, the same
 * for every adapter: prefix, path, method, body, input, `context`, the
 * refusals and their report to `onError`. An adapter only reads its request
 * into {@link RequestParts}, sends what comes back, and gives `start` a sink.
 */
export interface Pipeline<TRequest> {
  /** The path below the prefix, still percent-encoded; `undefined` for a path outside it. */
  below(pathname: string): string | undefined;
  /** Refuses a path outside the prefix (`NOT_FOUND`), for an adapter that has nowhere to pass it on. */
  outside(pathname: string): Refusal;
  /** Reads, checks and authorises a request below the prefix. Never rejects: a failure is a {@link Refusal}. */
  accept(request: TRequest, parts: RequestParts): Promise<Accepted | Refusal>;
  /** Starts an accepted stream's handler, writing to `sink`; `onFinish` is called once, when it is over. */
  start(accepted: Accepted, sink: Sink, onFinish?: () => void): OpenStream;
}

/** Made once per adapter: its stream host (and so its keep-alive timer) is shared by all its streams. */
export function createPipeline<TRequest, TContext>(
  routes: ReadonlyMap<string, Route>,
  options: ResolvedOptions<TRequest, TContext>,
): Pipeline<TRequest> {
  const base = `${options.prefix}/`;
  const reading: RequestReading = {
    routes,
    codec: options.codec,
    maxBodyBytes: options.maxBodyBytes,
    bodyTimeoutMs: options.bodyTimeoutMs,
    maxInputDepth: options.maxInputDepth,
  };
  const host = createStreamHost(options);

  return {
    below: (pathname) => (pathname.startsWith(base) ? pathname.slice(base.length) : undefined),
    outside(pathname) {
      const error = new RivuletError("NOT_FOUND", `No stream at "${pathname}".`);
      options.onError(error, { path: pathname, phase: "request" });
      return refusal(error);
    },
    async accept(request, parts) {
      let path = parts.path;
      let phase: ErrorPhase = "request";
      try {
        path = decodePath(path);
        const streamRequest = await readStreamRequest(path, parts, reading);
        phase = "context";
        const ctx = options.context ? await options.context(request) : undefined;
        return { kind: "stream", request: streamRequest, ctx, awaitFirstBytes: streamRequest.lastEventId !== undefined };
      } catch (thrown) {
        const error = RivuletError.from(thrown);
        // The client left while we read its body or ran `context`: nobody to answer, nothing to report.
        if (!parts.left?.()) options.onError(error, { path, phase });
        return refusal(error, routes.get(path)?.stream.method);
      }
    },
    start: (accepted, sink, onFinish) => host.start(accepted.request, accepted.ctx, sink, onFinish),
  };
}

/** The answer to a refused request: the error's status and its JSON; a 405 says the methods allowed (`method`: the stream's own). */
function refusal(error: RivuletError, method?: StreamMethod): Refusal {
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (error.code === "METHOD_NOT_SUPPORTED") headers["allow"] = method ?? "GET, POST";
  return { kind: "refusal", error, status: error.status, headers, body: JSON.stringify({ error: error.toJSON() }) };
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new RivuletError("NOT_FOUND", "Malformed path.");
  }
}
