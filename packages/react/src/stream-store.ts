import { RivuletError, type CallOptions } from "@rivulet/client";
import type { StreamSnapshot } from "./types.js";

/** What a store needs of a stream: a call that makes a new subscription. */
export interface StreamStoreOptions<E extends { readonly id: string }> {
  /** Calls the stream with these options; iterating the result opens the connection. */
  open: (call: CallOptions) => AsyncIterable<E>;
  /** How many of the latest events the snapshot keeps (> 0). */
  bufferSize: number;
  /** The ID the first start resumes after, if any. */
  lastEventId: string | undefined;
}

/** One subscription's events and state, as `useSyncExternalStore` reads them. */
export interface StreamStore<E> {
  /** Starts the subscription with the first listener, stops it when the last one leaves. */
  subscribe(listener: () => void): () => void;
  getSnapshot(): StreamSnapshot<E>;
}

/** Nothing received, nothing running: the snapshot before a start, and on the server. */
export const IDLE: StreamSnapshot<never> = Object.freeze({
  events: Object.freeze([]),
  last: undefined,
  state: "idle",
  error: undefined,
});

/** A store that never connects: `enabled: false`. */
export const IDLE_STORE: StreamStore<never> = Object.freeze({
  subscribe: () => () => undefined,
  getSnapshot: () => IDLE,
});

/**
 * Where the store's subscription stands. `waiting`: none runs, one starts when
 * a listener comes; `scheduled`: one starts in a microtask, if a listener is
 * still there; `running`; `done`: the stream ended or failed, and no listener
 * starts it again.
 */
type Run =
  | { readonly phase: "waiting" }
  | { readonly phase: "scheduled" }
  | { readonly phase: "running"; readonly controller: AbortController }
  | { readonly phase: "done" };

const WAITING: Run = { phase: "waiting" };
const SCHEDULED: Run = { phase: "scheduled" };
const DONE: Run = { phase: "done" };

/**
 * A store over one stream call, for `useSyncExternalStore`: the latest
 * `bufferSize` events, the connection state and the error, as one snapshot
 * replaced on every change.
 *
 * The subscription starts a microtask after the first listener, not at once:
 * StrictMode subscribes, unsubscribes and subscribes again in one go, and that
 * first subscription must never reach the network. Once running, it stops
 * (its request aborted, so the server's generator runs its `finally`) when the
 * last listener leaves; a listener that comes back (`<Activity>` shown again)
 * starts it anew, resuming after the last event's ID and keeping the events.
 * A stream that ended or failed is not started again.
 */
export function createStreamStore<E extends { readonly id: string }>(options: StreamStoreOptions<E>): StreamStore<E> {
  const listeners = new Set<() => void>();
  let snapshot: StreamSnapshot<E> = IDLE;
  let run: Run = WAITING;

  const update = (next: StreamSnapshot<E>): void => {
    snapshot = next;
    for (const listener of listeners) listener();
  };

  const startIfWatched = (): void => {
    if (run.phase !== "scheduled") return;
    if (listeners.size === 0) {
      run = WAITING;
      return;
    }
    const controller = new AbortController();
    run = { phase: "running", controller };
    void consume(controller.signal);
  };

  const consume = async (signal: AbortSignal): Promise<void> => {
    const call: CallOptions = {
      signal,
      // "closed" is set below, together with the error, so that no render sees one without the other.
      onStateChange: (state) => {
        if (state !== "closed" && !signal.aborted) update({ ...snapshot, state });
      },
    };
    // An event without an ID leaves `id` as "" (or as the ID before it, which is where to resume).
    const resumeFrom = snapshot.last?.id || options.lastEventId;
    if (resumeFrom !== undefined) call.lastEventId = resumeFrom;
    let error: RivuletError | undefined;
    try {
      for await (const event of options.open(call)) {
        // Stopped while this event was on its way: a restarted subscription may already be filling the buffer.
        if (signal.aborted) return;
        const kept = snapshot.events.slice(Math.max(0, snapshot.events.length + 1 - options.bufferSize));
        kept.push(event);
        update({ ...snapshot, events: kept, last: event });
      }
    } catch (thrown) {
      error = toRivuletError(thrown);
    }
    // Stopped by its last listener: not the stream's end, and a listener may start it again.
    if (signal.aborted) return;
    run = DONE;
    update({ ...snapshot, state: "closed", error });
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (run.phase === "waiting") {
        run = SCHEDULED;
        queueMicrotask(startIfWatched);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0 || run.phase !== "running") return;
        run.controller.abort();
        run = WAITING;
        snapshot = { ...snapshot, state: "idle" };
      };
    },
    getSnapshot: () => snapshot,
  };
}

/**
 * The client throws `RivuletError`s; anything else came from the caller's own
 * code (a `headers` function that threw, an input the codec cannot encode),
 * so its message is kept — `RivuletError.from` would hide it, as a server must.
 */
function toRivuletError(thrown: unknown): RivuletError {
  if (thrown instanceof RivuletError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new RivuletError("INTERNAL_SERVER_ERROR", message, { cause: thrown });
}
