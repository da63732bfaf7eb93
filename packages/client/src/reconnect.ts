import { RivuletError, type ParsedEvent } from "@rivulet/shared";
import { MAX_TIMER_MS } from "@rivulet/shared/wire";
import { connect, type ConnectArgs, type Session } from "./connect.js";
import type { END, EventReader, ReceivedEvent, SKIP } from "./dialect.js";
import { Retryable } from "./response.js";
import type { ConnectionState, ReconnectOptions } from "./types.js";

export interface ReconnectArgs extends Omit<ConnectArgs, "session" | "onOpen" | "url" | "init"> {
  /**
   * Builds the request for each attempt: fresh headers, for fresh tokens; for a durable
   * run, the join URL once the run's id is known.
   */
  request: () => Promise<{ url: URL; init: RequestInit }>;
  reconnect: Required<ReconnectOptions> | false;
  lastEventId: string | undefined;
  onStateChange: ((state: ConnectionState) => void) | undefined;
}

/**
 * A subscription's connections, one after another, a chunk at a time: each
 * yield is the batch of events the parser completed from one chunk, in its
 * own array, which the next chunk refills. `throw(error)` ends them with an
 * error the consumer found in a batch (the server's error event, an event that
 * breaks the contract); `return()` ends them quietly. Either closes the
 * connection.
 */
export interface Connections extends AsyncGenerator<readonly ParsedEvent[], void, undefined> {
  /**
   * Reads one event of a batch with the stream's reader: the event to deliver, `SKIP` or `END`.
   * An event delivered is progress: the backoff starts over.
   * @throws {RivuletError} what the reader throws.
   */
  read(event: ParsedEvent): ReceivedEvent | typeof SKIP | typeof END;
  /** The contract's end event, delivered and then the end: see {@link EventReader.endEvent}. */
  readonly endEvent: string | undefined;
  /** Calls `listener` once the connections are over, however they ended: with the error they failed with, else `undefined`. */
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
 *
 * It yields a chunk's events at a time, not one event: a chunk of 16–64 KB
 * holds hundreds, and a generator step per event cost each a promise and its
 * microtasks (per layer, when connect, this loop and the subscription were
 * each a generator of events).
 */
export function reconnecting(args: ReconnectArgs): Connections {
  const { reader, signal } = args;
  const session: Session = { lastEventId: args.lastEventId ?? "", retryMs: undefined };
  const listeners: ((error: unknown) => void)[] = [];
  let reported: ConnectionState | undefined;
  const report = (next: ConnectionState): void => {
    if (reported === next) return;
    reported = next;
    args.onStateChange?.(next);
  };
  let failures = 0;
  let delivered = false;

  async function* chunks(): AsyncGenerator<readonly ParsedEvent[], void, undefined> {
    let failure: unknown;
    report("connecting");
    try {
      for (;;) {
        try {
          const { url, init } = await args.request();
          yield* connect({ ...args, url, init, session, onOpen: () => report("open") });
          return;
        } catch (thrown) {
          if (!(thrown instanceof Retryable)) throw thrown;
          if (args.reconnect === false) throw thrown.error;
          if (delivered && session.lastEventId === "") {
            throw new RivuletError(
              "NETWORK_ERROR",
              `${thrown.error.message} Not requested again: the stream's events carry no ID to resume from, so a new request would start it over.`,
              { cause: thrown.error },
            );
          }
          failures++;
          if (failures > args.reconnect.maxAttempts) {
            throw new RivuletError(
              "NETWORK_ERROR",
              `Gave up after ${args.reconnect.maxAttempts} reconnection attempts: ${thrown.error.message}`,
              { cause: thrown.error },
            );
          }
          report("reconnecting");
          // `retry:` sets where the steps start; it never stops them growing, whatever it says.
          const base = Math.max(session.retryMs ?? args.reconnect.initialDelayMs, MIN_STEP_MS);
          const step = base * 2 ** (failures - 1);
          // Equal jitter, not full: a wait drawn from 0 to the step could be 0 on any attempt, so
          // no number of failures would bound the rate. Half the step for sure bounds it for every
          // draw, and the other half, at random, still spreads clients dropped at once. The step
          // grows past the cap, so that a client failing for long waits the whole `maxDelayMs`:
          // one request per `maxDelayMs`, each client keeping the phase its earlier draws gave it.
          const cap = Math.max(args.reconnect.maxDelayMs, MIN_STEP_MS);
          const backoff = step / 2 + (Math.random() * step) / 2;
          // A 429 or 503's `Retry-After` is the least the server asks for; `maxDelayMs` still bounds every
          // wait, as it promises, so a server that asks for hours is asked again after `maxDelayMs`.
          const wait = Math.min(cap, Math.max(backoff, thrown.error.retryAfterMs ?? 0));
          if (!(await sleep(wait, signal))) return;
        }
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      report("closed");
      for (const listener of listeners) listener(failure);
    }
  }

  return Object.assign(chunks(), {
    read(event: ParsedEvent) {
      const received = reader.read(event);
      // Only an event is progress. Bytes alone are not: a server that sends a comment or a
      // `retry:` and closes would otherwise reset the backoff each time and be called in a loop.
      if (typeof received === "object") {
        failures = 0;
        delivered = true;
      }
      return received;
    },
    endEvent: reader.endEvent,
    onEnd: (listener: (error: unknown) => void) => void listeners.push(listener),
  });
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
