import type { CallOptions, ConnectionState, RivuletError } from "@rivulet/client";

/**
 * A stream of a typed client: `client.ticker`, `client.chat.room`. Its input
 * is `never` here so that every stream fits, whatever input it takes
 * (a function that takes anything is a function that takes `never`).
 */
export type AnyStreamCaller = (input: never, options?: CallOptions) => AsyncIterable<{ readonly id: string }>;

/** What a stream takes as input: `undefined` is in it when the input may be left out. */
export type StreamInput<F extends AnyStreamCaller> = Parameters<F>[0];

/** One event of a stream: the union `{ event, data, id }` its subscription yields. */
export type StreamEvent<F extends AnyStreamCaller> = ReturnType<F> extends AsyncIterable<infer E> ? E : never;

/**
 * Where the hook's subscription stands: the client's {@link ConnectionState}, or
 * `"idle"` while none runs — before it starts (just after the first render),
 * with `enabled: false`, on the server, and while the component is hidden by
 * `<Activity>`. `"closed"` is final: the stream ended, or failed with `error`.
 */
export type StreamState = "idle" | ConnectionState;

/** What `useStream` returns: one value, replaced as a whole on every change. */
export interface StreamSnapshot<E> {
  /** The latest events, oldest first, at most `bufferSize` of them. */
  readonly events: readonly E[];
  /** The latest event, or `undefined` before the first. */
  readonly last: E | undefined;
  readonly state: StreamState;
  /** Why the subscription stopped, when it failed (`state` is then `"closed"`). */
  readonly error: RivuletError | undefined;
}

/** What `useStream` returns for a stream of a client. */
export type UseStreamResult<F extends AnyStreamCaller> = StreamSnapshot<StreamEvent<F>>;

export interface UseStreamOptions {
  /**
   * How many of the latest events `events` keeps: a whole number > 0. The
   * buffer is never unbounded. A change starts a new subscription.
   * @default 100
   */
  bufferSize?: number;
  /**
   * `false`: no connection, `state` stays `"idle"`; back to `true`, a new subscription.
   * @default true
   */
  enabled?: boolean;
  /** Resume after this event ID (sent as `Last-Event-ID`). A change starts a new subscription. */
  lastEventId?: string;
}

/**
 * The arguments after the stream: its input — which may be left out when the
 * stream takes none or accepts `undefined` — then the options.
 */
export type UseStreamArgs<F extends AnyStreamCaller> =
  undefined extends StreamInput<F>
    ? [input?: StreamInput<F>, options?: UseStreamOptions]
    : [input: StreamInput<F>, options?: UseStreamOptions];
