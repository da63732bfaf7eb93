import { RivuletError, type ParsedEvent } from "@rivulet/shared";
import { MAX_TIMER_MS } from "@rivulet/shared/wire";
import { connect, type Connection, type Session } from "./connect.js";
import { END, SKIP, type EventReader, type ReceivedEvent } from "./dialect.js";
import { Retryable } from "./response.js";
import type { ConnectionState, ReconnectOptions } from "./types.js";

export interface ReconnectArgs {
  /**
   * Builds the request for each attempt: fresh headers, for fresh tokens; for a durable
   * run, the join URL once the run's id is known.
   */
  request: () => Promise<{ url: URL; init: RequestInit }>;
  /** The stream's events, read by its dialect: decoded and checked, skipped, or its end. */
  reader: EventReader;
  fetch: typeof fetch;
  reconnect: Required<ReconnectOptions> | false;
  lastEventId: string | undefined;
  /** No bytes for this long (events or keep-alive comments) means the connection is dead. */
  idleTimeoutMs: number | false;
  /** The most an event (or a line still arriving) may take, in characters; past it, `EVENT_TOO_LARGE`. */
  maxEventBytes: number;
  onStateChange: ((state: ConnectionState) => void) | undefined;
  /** Ends the iteration quietly: the subscription's `close()` or the caller's signal. */
  signal: AbortSignal;
}

/**
 * One iteration of a subscription: its events, across connections. Leaving
 * early (`return()`, which `break` calls) closes the connection at once, even
 * while a `next()` waits; that `next()` then ends too.
 */
export interface EventIterator extends AsyncIterableIterator<ReceivedEvent> {
  next(): Promise<IteratorResult<ReceivedEvent, undefined>>;
  return(): Promise<IteratorResult<ReceivedEvent, undefined>>;
  /** Calls `listener` once the iteration is over, however it ended: with the error it failed with, else `undefined`. */
  onEnd(listener: (error: unknown) => void): void;
}

/** The reconnect defaults, as documented in docs/reliability.md. */
export const RECONNECT_DEFAULTS: Required<ReconnectOptions> = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/**
 * The smallest backoff step, in ms. With `retry: 0` the step would stay 0
 * however often it doubled; from 1 ms it passes a second after ten doublings.
 */
const MIN_STEP_MS = 1;

const DONE: IteratorResult<ReceivedEvent, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Where an iteration stands. `pulling` is the only one with a step in flight
 * (a request, a backoff wait, a chunk's read); `reading` hands out the last
 * chunk's events without waiting for anything.
 */
type State =
  | { readonly kind: "idle" }
  | { readonly kind: "pulling"; connection: Connection | undefined; step: Promise<IteratorResult<ReceivedEvent, undefined>> }
  | Reading
  | { readonly kind: "ended"; readonly connection: Connection }
  | { readonly kind: "done" };

/** The last chunk's events, handed out up to `index`, each read by the stream's reader as it goes out. */
interface Reading {
  readonly kind: "reading";
  readonly connection: Connection;
  readonly events: readonly ParsedEvent[];
  index: number;
}

const IDLE: State = { kind: "idle" };
const FINISHED: State = { kind: "done" };

/**
 * A subscription's life: connections one after another, resuming with the
 * last event ID, until the server ends the stream, a final error, or the
 * consumer leaves. Between attempts it waits with exponential backoff: the
 * step starts at the server's `retry:` hint when it gave one (else
 * `initialDelayMs`), doubles with each failure in a row, and goes back to the
 * start only once an event reached the consumer. The wait is "equal jitter"
 * (half the step, plus a random part of the other half), or the server's
 * `Retry-After` when that is longer, and at most `maxDelayMs`.
 *
 * A stream that delivered events and holds no event ID is not requested
 * again: the new request would start it over (a paid POST sent twice, events
 * repeated), so the drop is thrown as `NETWORK_ERROR` for the caller to judge.
 */
export function reconnecting(args: ReconnectArgs): EventIterator {
  return new Reconnecting(args);
}

/**
 * The iterator behind {@link reconnecting}. A chunk of 16–64 KB holds hundreds of
 * events: `next()` hands them out one by one from the parser's batch, each an
 * already settled promise, and only a spent batch takes an async step (the next
 * read, a reconnection). An async generator per layer would cost each event a
 * promise and microtasks per layer.
 */
class Reconnecting implements EventIterator {
  readonly #args: ReconnectArgs;
  readonly #session: Session;
  /** Aborted by the caller's signal or by `return()`: every wait and the open connection listen to it. */
  readonly #stop = new AbortController();
  readonly #onAbort = (): void => this.#abort();
  readonly #listeners: ((error: unknown) => void)[] = [];
  #state: State = IDLE;
  /** The last state reported to `onStateChange`. */
  #reported: ConnectionState | undefined;
  /** Failures in a row since the last event delivered. */
  #failures = 0;
  /** Whether any event reached the consumer: a stream without IDs is then not requested again. */
  #delivered = false;

  constructor(args: ReconnectArgs) {
    this.#args = args;
    this.#session = { lastEventId: args.lastEventId ?? "", retryMs: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ReceivedEvent, undefined>> {
    const state = this.#state;
    if (state.kind === "reading") {
      try {
        const received = this.#take(state);
        if (received !== undefined) return Promise.resolve({ done: false, value: received });
      } catch (error) {
        this.#finish(error);
        return Promise.reject(error);
      }
    }
    return this.#step();
  }

  return(): Promise<IteratorResult<ReceivedEvent, undefined>> {
    const state = this.#state;
    if (state.kind === "pulling") {
      // Wakes the step in flight, which then ends quietly; its own error, if it failed first, is its caller's.
      this.#stop.abort();
      return state.step.then(
        () => DONE,
        () => DONE,
      );
    }
    this.#finish(undefined);
    return Promise.resolve(DONE);
  }

  onEnd(listener: (error: unknown) => void): void {
    this.#listeners.push(listener);
  }

  /** What `next()` does when the batch in hand has nothing more to give. */
  #step(): Promise<IteratorResult<ReceivedEvent, undefined>> {
    const state = this.#state;
    switch (state.kind) {
      case "idle": {
        const { signal } = this.#args;
        if (signal.aborted) this.#stop.abort();
        else signal.addEventListener("abort", this.#onAbort, { once: true });
        this.#report("connecting");
        return this.#pull(undefined);
      }
      case "reading":
        return this.#pull(state.connection);
      // One call at a time, as an async generator has it: a second waits for the first.
      case "pulling":
        return state.step.then(
          () => this.next(),
          () => this.next(),
        );
      case "ended":
        this.#finish(undefined);
        return Promise.resolve(DONE);
      case "done":
        return Promise.resolve(DONE);
    }
  }

  #pull(connection: Connection | undefined): Promise<IteratorResult<ReceivedEvent, undefined>> {
    const pulling: Extract<State, { kind: "pulling" }> = { kind: "pulling", connection, step: Promise.resolve(DONE) };
    this.#state = pulling;
    // The state is set first, so that whatever `#run` makes of it wins; `step` is there for a call made meanwhile.
    pulling.step = this.#run(pulling);
    return pulling.step;
  }

  /**
   * The next event, however many connections, waits and chunks it takes. Ends
   * quietly once `#stop` aborts; anything else that ends it is final.
   */
  async #run(pulling: Extract<State, { kind: "pulling" }>): Promise<IteratorResult<ReceivedEvent, undefined>> {
    try {
      for (;;) {
        if (pulling.connection === undefined) {
          try {
            const { url, init } = await this.#args.request();
            pulling.connection = await connect({
              url,
              init,
              fetch: this.#args.fetch,
              session: this.#session,
              endsOnClose: this.#args.reader.endsOnClose,
              idleTimeoutMs: this.#args.idleTimeoutMs,
              maxEventBytes: this.#args.maxEventBytes,
              signal: this.#stop.signal,
            });
          } catch (thrown) {
            if (await this.#backoff(thrown)) continue;
            return this.#end();
          }
          if (pulling.connection === undefined || this.#stop.signal.aborted) return this.#end();
          this.#report("open");
        }
        let events: ParsedEvent[] | undefined;
        try {
          events = await pulling.connection.read();
        } catch (thrown) {
          pulling.connection.close();
          pulling.connection = undefined;
          if (await this.#backoff(thrown)) continue;
          return this.#end();
        }
        // Aborted while the chunk was on its way: what it brought is not delivered.
        if (events === undefined || this.#stop.signal.aborted) return this.#end();
        const reading: Reading = { kind: "reading", connection: pulling.connection, events, index: 0 };
        this.#state = reading;
        const received = this.#take(reading);
        if (received !== undefined) return { done: false, value: received };
        // The stream's end, or the signal, came before any event to deliver.
        if (this.#state !== reading) return this.#end();
        // Nothing to deliver in this chunk (a keep-alive, half an event): read on.
        this.#state = pulling;
      }
    } catch (error) {
      this.#finish(error);
      throw error;
    }
  }

  /**
   * The next event of the batch in hand, read by the stream's reader; `undefined`
   * once the batch is spent or the stream is over (its state then says which).
   * @throws {RivuletError} what the reader throws: the server's error event, an event that breaks the contract.
   */
  #take(state: Reading): ReceivedEvent | undefined {
    const { events, connection } = state;
    while (state.index < events.length) {
      const received = this.#args.reader.read(events[state.index++] as ParsedEvent);
      if (received === SKIP) continue;
      if (received === END) {
        this.#state = { kind: "ended", connection };
        return undefined;
      }
      // Only an event is progress. Bytes alone are not: a server that sends a comment or a
      // `retry:` and closes would otherwise reset the backoff each time and be called in a loop.
      this.#failures = 0;
      this.#delivered = true;
      // The contract's end event goes out, and the call after it ends the iteration.
      if (received.event === this.#args.reader.endEvent) this.#state = { kind: "ended", connection };
      return received;
    }
    return undefined;
  }

  /**
   * After a failed connection: throws what is final, else waits the backoff.
   * `false` when `#stop` aborted during the wait.
   */
  async #backoff(thrown: unknown): Promise<boolean> {
    if (!(thrown instanceof Retryable)) throw thrown;
    const { reconnect } = this.#args;
    if (reconnect === false) throw thrown.error;
    if (this.#delivered && this.#session.lastEventId === "") {
      throw new RivuletError(
        "NETWORK_ERROR",
        `${thrown.error.message} Not requested again: the stream's events carry no ID to resume from, so a new request would start it over.`,
        { cause: thrown.error },
      );
    }
    this.#failures++;
    if (this.#failures > reconnect.maxAttempts) {
      throw new RivuletError(
        "NETWORK_ERROR",
        `Gave up after ${reconnect.maxAttempts} reconnection attempts: ${thrown.error.message}`,
        { cause: thrown.error },
      );
    }
    this.#report("reconnecting");
    // `retry:` sets where the steps start; it never stops them growing, whatever it says.
    const base = Math.max(this.#session.retryMs ?? reconnect.initialDelayMs, MIN_STEP_MS);
    const step = base * 2 ** (this.#failures - 1);
    // Equal jitter, not full: a wait drawn from 0 to the step could be 0 on any attempt, so
    // no number of failures would bound the rate. Half the step for sure bounds it for every
    // draw, and the other half, at random, still spreads clients dropped at once. The step
    // grows past the cap, so that a client failing for long waits the whole `maxDelayMs`:
    // one request per `maxDelayMs`, each client keeping the phase its earlier draws gave it.
    const cap = Math.max(reconnect.maxDelayMs, MIN_STEP_MS);
    const backoff = step / 2 + (Math.random() * step) / 2;
    // A 429 or 503's `Retry-After` is the least the server asks for; `maxDelayMs` still bounds every
    // wait, as it promises, so a server that asks for hours is asked again after `maxDelayMs`.
    const wait = Math.min(cap, Math.max(backoff, thrown.error.retryAfterMs ?? 0));
    return sleep(wait, this.#stop.signal);
  }

  /** The caller's signal or `return()`: events still in the batch are dropped, and the next call ends. */
  #abort(): void {
    this.#stop.abort();
    const state = this.#state;
    if (state.kind === "reading") this.#state = { kind: "ended", connection: state.connection };
  }

  #end(): IteratorResult<ReceivedEvent, undefined> {
    this.#finish(undefined);
    return DONE;
  }

  /** Closes what is open, reports `closed` and tells the listeners; only the first call does anything. */
  #finish(error: unknown): void {
    const state = this.#state;
    if (state.kind === "done") return;
    this.#state = FINISHED;
    if (state.kind !== "idle") state.connection?.close();
    this.#args.signal.removeEventListener("abort", this.#onAbort);
    // An iteration left before its first `next()` never started: nothing to report.
    if (state.kind !== "idle") this.#report("closed");
    for (const listener of this.#listeners) listener(error);
  }

  #report(state: ConnectionState): void {
    if (this.#reported === state) return;
    this.#reported = state;
    this.#args.onStateChange?.(state);
  }
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.min(ms, MAX_TIMER_MS));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
