import type {
  AnyStream,
  ContractTree,
  DataCodec,
  InferEvent,
  InferEventData,
  InferEventName,
  InferInput,
} from "@rivulet/shared";

/** Where a subscription's connection stands, for a UI to show. */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** How a subscription reconnects after the network fails it. */
export interface ReconnectOptions {
  /**
   * The first backoff step, in ms, unless the server sent a `retry:` hint, which takes its place.
   * The step doubles with each failure in a row (from at least 1 ms, so also after `retry: 0`),
   * and the wait is half the step plus a random part of the other half.
   * @default 1000
   */
  initialDelayMs?: number;
  /**
   * The largest backoff step, in ms: no wait is longer, not even one a 429 or 503's
   * `Retry-After` asks for (the wait is the longer of the backoff and `Retry-After`, cut here).
   * @default 30000
   */
  maxDelayMs?: number;
  /**
   * Failed attempts in a row before giving up with `NETWORK_ERROR`. A connection that
   * delivers an event resets the count, and the backoff; bytes alone (a comment, a `retry:`) do not.
   * @default Infinity
   */
  maxAttempts?: number;
}

/**
 * What `new Headers(init)` takes. Named through `Headers`, which both the DOM's types and
 * Node's (`@types/node`) declare: Node's have no global `HeadersInit`, so a Node project
 * without the DOM library could not read a declaration that used it.
 */
type HeadersInput = NonNullable<ConstructorParameters<typeof Headers>[0]>;

export interface ClientOptions {
  /** Where the server serves the contract, prefix included: `http://localhost:8080/sse`. */
  baseUrl: string | URL;
  /** Headers for every request, or a function called before each connection (for fresh tokens). */
  headers?: HeadersInput | (() => HeadersInput | Promise<HeadersInput>);
  /**
   * The `fetch` to use (a test double, a proxy-aware fetch, …).
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Validate every received event against the contract's schema.
   * Turn off for speed when the server is trusted.
   * @default true
   */
  validate?: boolean;
  /**
   * How event data and input are encoded; must match the server's. For streams whose
   * contract names no `codec`: a stream's own codec always wins.
   * @default superjsonLiteCodec (superjson's format without the superjson library)
   */
  codec?: DataCodec;
  /**
   * `GET` puts the input in the query string (what `EventSource` can do); `POST` sends it as the body, for large inputs.
   * For streams whose contract names no `method`: a stream's own `method` always wins.
   * @default "GET"
   */
  method?: "GET" | "POST";
  /**
   * Reconnect after network errors, 5xx responses, a 429 with `Retry-After`, a
   * dead connection, or a response that ends before the stream's end; `false`
   * throws instead. A stream whose events carry no id is not requested again
   * once it delivered an event: a new request would start it over, so the
   * drop is thrown as `NETWORK_ERROR`.
   * @default { initialDelayMs: 1000, maxDelayMs: 30000, maxAttempts: Infinity }
   */
  reconnect?: ReconnectOptions | false;
  /**
   * No bytes (events or keep-alive comments) for this long means the
   * connection is dead: it is dropped and, with `reconnect`, made again.
   * The default is 2.5 × the server's default keep-alive of 15 s; set it
   * above your server's `keepAliveMs`, or `false` when the server sends none.
   * @default 37500
   */
  idleTimeoutMs?: number | false;
  /**
   * The largest event the server may send: the lines of one event together
   * (field names included), or one line still arriving, counted in characters
   * of the decoded text (UTF-16 code units: for ASCII, bytes; never more than
   * the UTF-8 bytes). Past it the subscription ends with `EVENT_TOO_LARGE`,
   * without a retry, and what was buffered is released. At most 268435456
   * (256 MiB), so that no buffered string nears the engine's string limit.
   * @default 16777216 (16 MiB)
   */
  maxEventBytes?: number;
  /** Told of every state change of every subscription of this client. */
  onStateChange?: (state: ConnectionState) => void;
}

export interface CallOptions {
  /** Ends the subscription when aborted. */
  signal?: AbortSignal;
  /** Resume after this event ID (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** Told of this subscription's state changes: `connecting`, `open`, `reconnecting`, `closed`. */
  onStateChange?: (state: ConnectionState) => void;
}

/**
 * One stream call: iterate it for the union of its events, or `.events.<name>`
 * for one event's data. Each iteration opens its own connection; leaving the
 * loop (`break`, `throw`, `return`) closes it, and `close()` closes them all.
 */
export interface Subscription<S extends AnyStream> extends AsyncIterable<InferEvent<S>> {
  readonly events: { readonly [K in InferEventName<S>]: AsyncIterable<InferEventData<S, K>> };
  /** Closes every connection of this subscription; iterations end quietly. */
  close(): void;
}

/** Calls one stream; the input may be left out when the schema accepts `undefined`. */
export type StreamCaller<S extends AnyStream> = undefined extends InferInput<S>
  ? (input?: InferInput<S>, options?: CallOptions) => Subscription<S>
  : (input: InferInput<S>, options?: CallOptions) => Subscription<S>;

/** Options of a call that starts a durable run. */
export interface DurableCallOptions {
  /** Ends the subscription when aborted (a disconnect: the run goes on). */
  signal?: AbortSignal;
  /** Told of this subscription's state changes: `connecting`, `open`, `reconnecting`, `closed`. */
  onStateChange?: (state: ConnectionState) => void;
  /**
   * Resume after this event of a run (`"<runId>:<n>"`, an `ev.id` delivered before): the
   * call then joins that run instead of starting one, as `join(runId, { lastEventId })`
   * does — which is what a caller that only knows how to resume (`useStream` after a
   * remount) needs. Without it a call starts a run; on `join`, without it the run is joined
   * from its start.
   */
  lastEventId?: string;
}

/** Options of `join`: a durable run joined by its id. */
export type JoinOptions = DurableCallOptions;

/** Options of a stop request. */
export interface StopOptions {
  /** Abandons the request when aborted (the promise rejects with the signal's reason); the server may still stop the run. */
  signal?: AbortSignal;
}

/** An event of a durable run: the stream's event, with the run's id. `id` is `"<runId>:<n>"`. */
export type RunEvent<S extends AnyStream> = InferEvent<S> & { runId: string };

/**
 * One durable run, followed: iterate it for the run's events (each exactly
 * once and in order, across reconnects), or `.events.<name>` for one event's
 * data. The first iteration of a started run starts it; every later one
 * joins the same run from its start once its id is known. Each iteration of
 * a joined run joins it as `join` was told (from its start, or after
 * `lastEventId`). Leaving a loop or `close()` disconnects: the run goes on
 * on the server; `stop()` ends it.
 *
 * Once the run's id is known, every reconnection joins it (`?run=<id>` with
 * `Last-Event-ID`, no input, no body). Before it (the start's response broke
 * before its run event) the start is sent again: the run the lost response
 * had begun, watched by nobody, is stopped by the server after its
 * `runs.unwatchedMs`. A start that fails for good fails `runId`, and every
 * later iteration, without starting another run.
 */
export interface DurableSubscription<S extends AnyStream> extends AsyncIterable<RunEvent<S>> {
  readonly events: { readonly [K in InferEventName<S>]: AsyncIterable<InferEventData<S, K>> };
  /**
   * The run's id: resolves with the run event (at once for `join`); rejects with the error
   * the start failed with, or `NETWORK_ERROR` when it was closed before the run event. A
   * call starts nothing by itself: the first iteration sends the start request, so this
   * resolves only once something iterates.
   */
  readonly runId: Promise<string>;
  /** Closes every connection of this subscription; iterations end quietly. It does not stop the run. */
  close(): void;
  /**
   * Stops the run: waits for `runId` (so for an iteration to start it), then resolves once
   * the server has ended it (its handler's `finally` ran, its `signal` aborted); the
   * subscriptions following it end. It does not close this subscription: its iterations
   * end with the run.
   * @throws {RivuletError} the server's refusal: `RUN_NOT_FOUND`, `RUN_EXPIRED`, `RUN_LOST`, `UNAUTHORIZED`…
   */
  stop(options?: StopOptions): Promise<void>;
}

/** Starts a run of a durable stream; the input may be left out when the schema accepts `undefined`. */
export type DurableStart<S extends AnyStream> = undefined extends InferInput<S>
  ? (input?: InferInput<S>, options?: DurableCallOptions) => DurableSubscription<S>
  : (input: InferInput<S>, options?: DurableCallOptions) => DurableSubscription<S>;

/** A durable stream's caller: call it to start a run, `join` or `stop` one by its id. */
export type DurableCaller<S extends AnyStream> = DurableStart<S> & {
  /**
   * Follows the run `runId` (started by this client or any other): from its start, or after
   * `lastEventId`. A finished run is replayed to its end.
   * @throws {RivuletError} `INVALID_INPUT`, at once, for a malformed run id or a `lastEventId` that is not `"<runId>:<n>"` of this run.
   */
  join(runId: string, options?: JoinOptions): DurableSubscription<S>;
  /**
   * Stops the run `runId`: resolves once the server has ended it.
   * @throws {RivuletError} `INVALID_INPUT` for a malformed id; the server's refusal (`RUN_NOT_FOUND`, `RUN_EXPIRED`, `RUN_LOST`…).
   */
  stop(runId: string, options?: StopOptions): Promise<void>;
};

/**
 * The client: the contract's tree, with a {@link StreamCaller} at every
 * stream, and a {@link DurableCaller} at every durable one.
 */
export type Client<T extends ContractTree> = {
  readonly [K in keyof T]: T[K] extends AnyStream
    ? T[K]["durable"] extends true
      ? DurableCaller<T[K]>
      : StreamCaller<T[K]>
    : T[K] extends ContractTree
      ? Client<T[K]>
      : never;
};
