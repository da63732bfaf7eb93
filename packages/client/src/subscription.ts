import type { AnyStream } from "@rivulet/shared";
import type { ReceivedEvent } from "./connect.js";
import type { Subscription } from "./types.js";

/** Opens one connection's events; each iteration of a subscription calls it anew. */
export type Open = (signal: AbortSignal) => AsyncGenerator<ReceivedEvent, void, undefined>;

export function createSubscription<S extends AnyStream>(
  stream: S,
  open: Open,
  callerSignal: AbortSignal | undefined,
): Subscription<S> {
  const closer = new AbortController();
  const signal = callerSignal ? AbortSignal.any([callerSignal, closer.signal]) : closer.signal;
  const events: Record<string, AsyncIterable<unknown>> = {};
  for (const name of Object.keys(stream.events)) {
    events[name] = {
      async *[Symbol.asyncIterator]() {
        for await (const event of open(signal)) if (event.event === name) yield event.data;
      },
    };
  }
  return {
    [Symbol.asyncIterator]: () => open(signal),
    events,
    close: () => closer.abort(),
  } as unknown as Subscription<S>;
}
