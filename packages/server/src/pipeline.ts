import { RivuletError, type StreamMethod } from "@rivulet/shared";
import { VARY_ORIGIN, type Cors, type CrossOrigin } from "./cors.js";
import type { ResolvedOptions } from "./options.js";
import { readStreamRequest, type RequestParts, type RequestReading, type StreamRequest } from "./request.js";
import type { Route } from "./routes.js";
import type { Sink } from "./sink.js";
import { createDevtools } from "./devtools/devtools.js";
import { isDevtoolsPath } from "./devtools/option.js";
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

/** A whole answer the adapter sends as it is. */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** `""` for a `204`. */
  readonly body: string;
}

/** A whole answer that refuses nothing (the devtools page and its JSON): the adapter sends it as it is. */
export interface Answered extends Reply {
  readonly kind: "reply";
}

/** A request the pipeline refused, already reported to `onError`: the adapter sends it as it is. */
export interface Refusal extends Reply {
  readonly kind: "refusal";
  readonly error: RivuletError;
  /** `{ "error": { code, message, issues? } }` */
  readonly body: string;
}

/** What an adapter reads for CORS, only when it has a `cors` option. */
export interface CrossOriginRequest {
  method: string;
  /** The request's path, without the query: what `onError` is told when CORS fails it outside the prefix. */
  pathname: string;
  /** The `Origin` header. */
  origin: string | null;
  /** The `Host` header (HTTP/2: `:authority`). */
  host: string | null;
  /** The `Access-Control-Request-Method` header: present on a preflight. */
  requestMethod: string | null;
}

/** The CORS answer to one request: headers for every response to it, and a `reply` when CORS answers it alone. */
export interface CrossOriginAnswer {
  readonly headers: Readonly<Record<string, string>>;
  /** A preflight's `204`, or the refusal of an origin not allowed; the request goes no further. */
  readonly reply?: Reply;
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
  /**
   * Reads, checks and authorises a request below the prefix. Never rejects: a failure is a {@link Refusal}.
   * With devtools on, its routes are answered here too, without `context` (docs/devtools.md).
   */
  accept(request: TRequest, parts: RequestParts): Promise<Accepted | Answered | Refusal>;
  /** Starts an accepted stream's handler, writing to `sink`; `onFinish` is called once, when it is over. */
  start(accepted: Accepted, sink: Sink, onFinish?: () => void): OpenStream;
  /**
   * CORS, before anything else is read: `undefined` without a `cors` option,
   * so that an adapter without one reads no header for it. `path` is the one
   * `below` returned (`undefined` outside the prefix: headers only, no preflight, no refusal).
   */
  readonly crossOrigin: ((path: string | undefined, request: CrossOriginRequest) => CrossOriginAnswer) | undefined;
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
  const devtools = options.devtools ? createDevtools(routes, options) : undefined;
  const host = createStreamHost(options, devtools?.watch);

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
        // Before the path is decoded: `%5Fdevtools` names a stream, and there is none (`checkDevtoolsPath`).
        if (devtools && isDevtoolsPath(path)) return await devtools.answer(path, parts.method);
        path = decodePath(path);
        let streamRequest = await readStreamRequest(path, parts, reading);
        phase = "context";
        const ctx = options.context ? await options.context(request) : undefined;
        const { run } = streamRequest;
        const durable = streamRequest.route.durable;
        if (durable && run) {
          // Every request to a run is checked against its owner: a start, a join, each resume, a stop.
          phase = "request";
          switch (run.kind) {
            case "stop":
              await durable.runs.stop(durable, run.id, ctx);
              return { kind: "reply", status: 204, headers: {}, body: "" };
            case "join":
              await durable.runs.open(durable, run.id, ctx);
              break;
            case "start": {
              const id = await durable.runs.start(durable, streamRequest.input, ctx);
              streamRequest = { ...streamRequest, run: { kind: "join", id, afterSeq: -1 } };
              break;
            }
          }
        }
        const resumed = streamRequest.run?.kind === "join" ? streamRequest.run.afterSeq >= 0 : streamRequest.lastEventId !== undefined;
        return { kind: "stream", request: streamRequest, ctx, awaitFirstBytes: resumed };
      } catch (thrown) {
        const error = RivuletError.from(thrown);
        // The client left while we read its body or ran `context`: nobody to answer, nothing to report.
        if (!parts.left?.()) options.onError(error, { path, phase });
        return refusal(error, devtools && isDevtoolsPath(path) ? "GET" : routes.get(path)?.stream.method);
      }
    },
    start: (accepted, sink, onFinish) => host.start(accepted.request, accepted.ctx, sink, onFinish),
    crossOrigin: options.cors && answerCrossOrigin(options.cors),
  };

  function answerCrossOrigin(cors: Cors): (path: string | undefined, request: CrossOriginRequest) => CrossOriginAnswer {
    return (path, request) => {
      let decision: CrossOrigin;
      try {
        decision = cors.check(request.origin, request.host);
      } catch (thrown) {
        // The user's `origin` test threw: a 500 like any other throw of theirs, the origin not allowed.
        const error = RivuletError.from(thrown);
        options.onError(error, { path: path ?? request.pathname, phase: "request" });
        return { headers: VARY_ORIGIN, reply: refusal(error) };
      }
      if (path === undefined) return { headers: decision.headers };
      if (decision.verdict === "refused") {
        // Refused here, before `context` and the handler: a page may not read the answer, but a
        // browser would still send a GET (an `EventSource`), and its handler would run for nobody.
        const error = new RivuletError("FORBIDDEN", `Origin ${request.origin ?? ""} is not allowed.`);
        options.onError(error, { path, phase: "request" });
        return { headers: decision.headers, reply: refusal(error) };
      }
      if (decision.verdict === "allowed" && request.method === "OPTIONS" && request.requestMethod !== null) {
        return { headers: decision.headers, reply: { status: 204, headers: cors.preflight(decision, methodsOf(path)), body: "" } };
      }
      return { headers: decision.headers };
    };
  }

  /** The methods a stream accepts, for a preflight; a path with no stream may still be asked (its 404 is readable). */
  function methodsOf(path: string): string {
    try {
      const route = routes.get(decodePath(path));
      // A durable stream's runs are stopped with DELETE, and joined with GET whatever the stream's own method.
      if (route?.durable) return "GET, POST, DELETE";
      return route?.stream.method ?? "GET, POST";
    } catch {
      return "GET, POST";
    }
  }
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
