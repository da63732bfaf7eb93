import type { AnyStream } from "@rivulet/shared";
import type { ReceivedEvent } from "./dialect.js";
import type { Subscription } from "./types.js";

/** Opens one connection's events; each iteration of a subscription calls it anew. */
export type Open = (signal: AbortSignal) => AsyncGenerator<ReceivedEvent, void, undefined>;

export function createSubscription<S extends AnyStream>(
  stream: S,
  open: Open,
  callerSignal: AbortSignal | undefined,
): Subscription<S> {
  const closer = new AbortController();
  const sources = callerSignal ? [callerSignal, closer.signal] : [closer.signal];

  // Not AbortSignal.any: on Node 20 a long-lived caller signal keeps every signal derived
  // from it alive. A listener per iteration, removed when the iteration ends, keeps nothing.
  async function* iterate(): AsyncGenerator<ReceivedEvent, void, undefined> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    for (const source of sources) {
      if (source.aborted) controller.abort();
      source.addEventListener("abort", abort, { once: true });
    }
    try {
      yield* open(controller.signal);
    } finally {
      for (const source of sources) source.removeEventListener("abort", abort);
    }
  }

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
