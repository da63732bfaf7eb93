import type { CorsOptions } from "./cors.js";
import type { RunArgs, RunsOptions } from "./runs/host.js";
import type {
  AnyStream,
  ContractTree,
  DataCodec,
  InferParsedInput,
  InferYield,
  RivuletError,
} from "@rivulet/shared";

/** What a stream handler receives. */
export interface HandlerArgs<S extends AnyStream, TContext> {
  /** The input, parsed by the stream's input schema. */
  input: InferParsedInput<S>;
  /** Aborted the moment the client goes away; pass it to anything you await. */
  signal: AbortSignal;
  /** The `Last-Event-ID` the client resumes from, or `undefined` on a first connection. */
  lastEventId: string | undefined;
  /** What the adapter's `context` function returned for this request. */
  ctx: TContext;
  /**
   * Sends one event, for a handler that emits instead of yielding (see
   * {@link EmitHandler}); typed like a `yield`. `true`: the event went out.
   * `false`: the connection is full (the event waits in a queue; wait for
   * `drained()` before more), or the stream is over and the event is dropped.
   * An event its schema refuses ends the stream with `INVALID_EVENT`, as a
   * yield would; `emit` returns `false` and does not throw.
   */
  emit: (event: InferYield<S>) => boolean;
  /** Resolves once every emitted event was handed to the connection, or the stream is over. */
  drained: () => Promise<void>;
}

/**
 * What a handler that emits returns, which sets how long its stream lasts:
 * - nothing: the stream ends once the events it emitted are written;
 * - a function: the stream stays open until the client leaves (or it fails),
 *   then the function is called: the place to remove listeners;
 * - a promise (an `async` handler): the stream lasts until it settles; it
 *   resolves to nothing (the stream ends) or a cleanup function (as above),
 *   or rejects (the stream ends with that error, as a throwing generator's).
 */
export type EmitResult = void | (() => unknown) | Promise<void | (() => unknown)>;

/**
 * A stream's implementation that yields: an `async function*`. Or see
 * {@link EmitHandler}: a handler whose return value is an async iterable
 * yields, any other emits.
 *
 * @example
 * ticker: async function* ({ input }) {
 *   yield { event: "price", data: { symbol: input.symbol, price: 1, at: new Date() } };
 * },
 */
export type StreamHandler<S extends AnyStream, TContext> = (
  args: HandlerArgs<S, TContext>,
) => AsyncIterable<InferYield<S>>;

/**
 * A stream's implementation that emits its events with `emit` from
 * callbacks (an event emitter, a socket, a database listener), without a
 * generator step per event; its {@link EmitResult} sets how long the stream lasts.
 *
 * @example
 * // Open until the client leaves; then the listener is removed.
 * prices: ({ emit }) => {
 *   const onPrice = (price: Price) => emit({ event: "price", data: price });
 *   feed.on("price", onPrice);
 *   return () => feed.off("price", onPrice);
 * },
 */
export type EmitHandler<S extends AnyStream, TContext> = (args: HandlerArgs<S, TContext>) => EmitResult;

/**
 * A durable stream's run: an `async function*` that runs to its end whether
 * or not anyone watches. Runs do not emit: a run is a generator.
 */
export type RunHandler<S extends AnyStream, TContext> = (
  args: RunArgs<InferParsedInput<S>, TContext>,
) => AsyncIterable<InferYield<S>>;

/**
 * Folds events a run's history drops (the oldest, once it holds `runs.historySize`)
 * into one event of the contract that stands for them all: a client that
 * resumes from before them gets it, then what follows. `previous` is the
 * snapshot it returned last time.
 */
export type SnapshotHandler<S extends AnyStream> = (
  previous: InferYield<S> | undefined,
  events: InferYield<S>[],
) => InferYield<S>;

/** A durable stream's implementation: its run, and optionally how its history is folded into a snapshot. */
export type DurableHandler<S extends AnyStream, TContext> =
  | RunHandler<S, TContext>
  | { run: RunHandler<S, TContext>; snapshot?: SnapshotHandler<S> };

/** Handlers mirror the contract tree: one per stream, nested like it. */
export type Handlers<T extends ContractTree, TContext> = {
  [K in keyof T]: T[K] extends AnyStream
    ? T[K]["durable"] extends true
      ? DurableHandler<T[K], TContext>
      : StreamHandler<T[K], TContext> | EmitHandler<T[K], TContext>
    : T[K] extends ContractTree
      ? Handlers<T[K], TContext>
      : never;
};

/** The options of `implement`: what the router shares between all its adapters. */
export interface ImplementOptions<TContext> {
  /** How durable streams run: their store, owner, limits (docs/durable-runs.md). */
  runs?: RunsOptions<TContext>;
  /**
   * Events a handler that emits may have waiting while its connection is
   * full; one more ends the stream with `SLOW_CONSUMER` (the client resumes
   * from its last event id), so a producer that ignores `emit`'s `false`
   * cannot grow memory without bound.
   * @default 1000
   */
  emitQueueSize?: number;
}

/** Where an error reported to `onError` happened. */
export type ErrorPhase = "request" | "context" | "stream" | "event";

export interface ErrorInfo {
  /** The stream's path (`chat/room`), or the request path when no stream matched. */
  path: string;
  phase: ErrorPhase;
}

/**
 * Every adapter option, `context` optional whatever the context type: what
 * the adapters resolve. Users see {@link AdapterOptions}, which requires
 * `context` when the handlers expect one.
 */
export interface AnyAdapterOptions<TRequest, TContext> {
  /**
   * Path prefix the streams are served under: `/sse` serves `chat.room` at `/sse/chat/room`.
   * @default ""
   */
  prefix?: string;
  /**
   * Builds the handlers' `ctx` from the request. Throw a `RivuletError`
   * (`UNAUTHORIZED`, `FORBIDDEN`, …) to refuse the request with its status.
   */
  context?: (request: TRequest) => TContext | Promise<TContext>;
  /**
   * Interval of the keep-alive comment on an idle stream, in ms; `false` turns it off.
   * @default 15000
   */
  keepAliveMs?: number | false;
  /**
   * End each connection after this long, in ms (less up to 10 % of jitter),
   * with a `retry:` hint and no end event: clients reconnect and resume with
   * their last event ID, so load balancers and proxies can rotate connections.
   * Meant for resumable streams (events with ids). `false` keeps connections open.
   * @default false
   */
  maxDurationMs?: number | false;
  /**
   * Validate every yielded event against its schema before it is written.
   * Turn off only when the handlers' data is trusted and speed matters.
   * @default true
   */
  validate?: boolean;
  /**
   * Encodes event data; the client must use the same codec.
   * @default superjsonCodec
   */
  codec?: DataCodec;
  /**
   * Largest POST body accepted, in bytes; a larger one is refused with 413.
   * @default 1048576
   */
  maxBodyBytes?: number;
  /**
   * Time a POST body has to arrive whole, in ms, from when the adapter
   * starts reading it (with node: as its handler is called); a slower one is
   * refused with 408 `REQUEST_TIMEOUT` and the rest of it is not read.
   * `false` leaves it to the transport (node's `requestTimeout`, 300 s by default).
   * @default 10000
   */
  bodyTimeoutMs?: number | false;
  /**
   * Deepest input accepted, in nested objects (`{}` is 1, `{"a":[1]}` is 2;
   * arrays, Maps, Sets and Dates count too); a deeper one — which could overflow a recursive schema's
   * stack — is refused with 400 `INVALID_INPUT`, as is an input that contains
   * itself (superjson's `referentialEqualities` can build one).
   * @default 64
   */
  maxInputDepth?: number;
  /**
   * Told of every error: refused requests, failing `context`, handlers that
   * throw, invalid events. The original error is `error.cause` where there is one.
   * @default logs 5xx errors with console.error
   */
  onError?: (error: RivuletError, info: ErrorInfo) => void;
  /**
   * Serve pages on other origins: answer their preflights and add
   * `Access-Control-Allow-Origin` (and `-Credentials`) for the allowed
   * ones, on streams and error responses alike, with `Vary: Origin` on
   * every response. A request from an origin not allowed is refused with 403
   * `FORBIDDEN` before `context` runs. Without it, no CORS header is sent.
   * @default none
   */
  cors?: CorsOptions;
  /**
   * Serve the devtools page at `{prefix}/_devtools`: every stream with its
   * input and event JSON Schemas, a form to subscribe, a live timeline of
   * events, keep-alives and reconnects, and the open connections per stream
   * (docs/devtools.md). Refused with `INVALID_OPTION` when the adapter is made
   * with `NODE_ENV=production`, unless `"force"`; refused too when the
   * contract has a top-level key `_devtools`, whose path it would take.
   * @default false
   */
  devtools?: boolean | "force";
}

/** `context` is required exactly when the handlers expect a context. */
export type ContextOption<TRequest, TContext> = undefined extends TContext
  ? {
      /** Builds the handlers' `ctx` from the request; throw a `RivuletError` to refuse it. */
      context?: (request: TRequest) => TContext | Promise<TContext>;
    }
  : {
      /** Builds the handlers' `ctx` from the request; throw a `RivuletError` to refuse it. */
      context: (request: TRequest) => TContext | Promise<TContext>;
    };

/**
 * The options of `router.node()` and `router.fetchHandler()`; `TRequest` is
 * what `context` receives (node's `IncomingMessage` or a web `Request`).
 *
 * @example
 * const options: AdapterOptions<Request, { user: string }> = {
 *   prefix: "/sse",
 *   context: (request) => ({ user: authenticate(request) }),
 * };
 */
export type AdapterOptions<TRequest, TContext> = Omit<AnyAdapterOptions<TRequest, TContext>, "context"> &
  ContextOption<TRequest, TContext>;
