import type { AnyStream, ParsedEvent } from "@rivulet/shared";
import { END, SKIP, type ReceivedEvent } from "./dialect.js";
import type { Connections } from "./reconnect.js";
import type { Subscription } from "./types.js";

/**
 * Opens one iteration's connections; each iteration of a subscription calls it
 * anew. A promise when something must come first (a durable run's id),
 * `undefined` then when there is nothing to read.
 */
export type Open = (signal: AbortSignal) => Connections | Promise<Connections | undefined>;

const DONE: IteratorResult<ReceivedEvent, undefined> = Object.freeze({ done: true, value: undefined });

export function createSubscription<S extends AnyStream>(
  stream: S,
  open: Open,
  callerSignal: AbortSignal | undefined,
): Subscription<S> {
  const closer = new AbortController();
  const sources = callerSignal ? [callerSignal, closer.signal] : [closer.signal];
  const iterate = (): AsyncIterableIterator<ReceivedEvent> => iteration(open, sources);

  const events: Record<string, AsyncIterable<unknown>> = {};
  for (const name of Object.keys(stream.events)) {
    events[name] = {
      async *[Symbol.asyncIterator]() {
        for await (const event of iterate()) if (event.event === name) yield event.data;
      },
    };
  }
  return {
    [Symbol.asyncIterator]: iterate,
    events,
    close: () => closer.abort(),
  } as unknown as Subscription<S>;
}

/**
 * One iteration of a subscription. Its first `next()` opens the connections
 * and listens to the signals; each `next()` then hands out the next event of
 * the batch the last chunk brought, read as it goes out and resolved at once
 * (a chunk of 16–64 KB holds hundreds), and only a spent batch waits for the
 * next chunk. `return()` (a `break`) closes the connection, even while a
 * `next()` waits, and what is left in the batch is never read.
 */
function iteration(open: Open, sources: readonly AbortSignal[]): AsyncIterableIterator<ReceivedEvent> {
  const controller = new AbortController();
  const { signal } = controller;
  const abort = (): void => controller.abort();
  const unlink = (): void => {
    for (const each of sources) each.removeEventListener("abort", abort);
  };
  let opened: Promise<void> | undefined;
  let source: Connections | undefined;
  let batch: readonly ParsedEvent[] = [];
  let index = 0;
  /**
   * What the next call does: hand out the batch (`reading`), end (`ending`: the
   * contract's end event went out), or wait for the call before it, whose chunk
   * is on its way.
   */
  let state: "reading" | "ending" | Promise<unknown> = "reading";

  // Not AbortSignal.any: on Node 20 a long-lived caller signal keeps every signal derived
  // from it alive. A listener per iteration, removed when the iteration ends, keeps nothing.
  const start = async (): Promise<void> => {
    for (const each of sources) {
      if (each.aborted) abort();
      each.addEventListener("abort", abort, { once: true });
    }
    try {
      source = await open(signal);
    } finally {
      if (source === undefined) unlink();
      else source.onEnd(unlink);
    }
  };

  /** Ends the connections, quietly or with `error` (their generator closes the connection); the calls after it are done. */
  const end = (error?: unknown): Promise<IteratorResult<ReceivedEvent, undefined>> => {
    batch = [];
    state = "reading";
    return Promise.resolve(source && (error === undefined ? source.return() : source.throw(error))).then(() => DONE);
  };

  const self: AsyncIterableIterator<ReceivedEvent> = {
    [Symbol.asyncIterator]: () => self,
    next() {
      if (state === "ending") return end();
      if (state !== "reading") return state.then(self.next, self.next);
      while (source !== undefined && index < batch.length) {
        // close() or the caller's signal while the consumer held an event: the rest of the batch is dropped.
        if (signal.aborted) return end();
        let received: ReturnType<Connections["read"]>;
        try {
          received = source.read(batch[index++] as ParsedEvent);
        } catch (error) {
          return end(error);
        }
        if (received === END) return end();
        if (received === SKIP) continue;
        if (received.event === source.endEvent) state = "ending";
        return Promise.resolve({ done: false, value: received });
      }
      const step = (opened ??= start())
        .then(() => source?.next())
        .then((chunk) => {
          state = "reading";
          if (chunk === undefined || chunk.done === true) return DONE;
          batch = chunk.value;
          index = 0;
          return self.next();
        });
      state = step.catch(() => {
        // Thrown once, as a generator throws: the calls after it are done.
        opened = Promise.resolve();
        state = "reading";
      });
      return step;
    },
    return() {
      if (typeof state !== "object") return end();
      // A step in flight (a request, a wait, a read) ends on the signal; then the connections do.
      abort();
      return state.then(() => end());
    },
    // As a generator's: ends the iteration with `error` (a `yield*` that delegates to it passes it on).
    throw: (error: unknown) =>
      end(error).then(() => {
        throw error;
      }),
  };
  return self;
}
