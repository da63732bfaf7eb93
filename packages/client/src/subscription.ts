import type { AnyStream } from "@rivulet/shared";
import type { ReceivedEvent } from "./dialect.js";
import type { EventIterator } from "./reconnect.js";
import type { Subscription } from "./types.js";

/**
 * Opens one iteration's events; each iteration of a subscription calls it anew.
 * A promise when something must come first (a durable run's id): `undefined`
 * then means there is nothing to read.
 */
export type Open = (signal: AbortSignal) => EventIterator | Promise<EventIterator | undefined>;

const DONE: IteratorResult<ReceivedEvent, undefined> = Object.freeze({ done: true, value: undefined });

export function createSubscription<S extends AnyStream>(
  stream: S,
  open: Open,
  callerSignal: AbortSignal | undefined,
): Subscription<S> {
  const closer = new AbortController();
  const sources = callerSignal ? [callerSignal, closer.signal] : [closer.signal];
  const iterate = (): Iteration => new Iteration(open, sources);

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

/** Where one iteration stands: not started, waiting for what `open` waits on, reading, or over. */
type IterationState =
  | { readonly kind: "idle" }
  | {
      readonly kind: "opening";
      readonly controller: AbortController;
      readonly opened: Promise<IteratorResult<ReceivedEvent, undefined>>;
    }
  | { readonly kind: "open"; readonly events: EventIterator }
  | { readonly kind: "done" };

/**
 * One iteration of a subscription. It opens nothing and listens to nothing
 * before its first `next()`; from then on each `next()` is the events'
 * own, with no promise of its own in between.
 */
class Iteration implements AsyncIterableIterator<ReceivedEvent> {
  readonly #open: Open;
  readonly #sources: readonly AbortSignal[];
  #state: IterationState = { kind: "idle" };

  constructor(open: Open, sources: readonly AbortSignal[]) {
    this.#open = open;
    this.#sources = sources;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ReceivedEvent, undefined>> {
    const state = this.#state;
    switch (state.kind) {
      case "open":
        return state.events.next();
      case "idle":
        return this.#start();
      case "opening":
        return state.opened.then(
          () => this.next(),
          () => this.next(),
        );
      case "done":
        return Promise.resolve(DONE);
    }
  }

  return(): Promise<IteratorResult<ReceivedEvent, undefined>> {
    const state = this.#state;
    switch (state.kind) {
      case "open":
        return state.events.return();
      case "opening":
        // What `open` waits on listens to the iteration's signal: aborting it ends the wait.
        state.controller.abort();
        return state.opened.then(
          () => this.return(),
          () => DONE,
        );
      case "idle":
        this.#state = { kind: "done" };
        return Promise.resolve(DONE);
      case "done":
        return Promise.resolve(DONE);
    }
  }

  #start(): Promise<IteratorResult<ReceivedEvent, undefined>> {
    // Not AbortSignal.any: on Node 20 a long-lived caller signal keeps every signal derived
    // from it alive. A listener per iteration, removed when the iteration ends, keeps nothing.
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    for (const source of this.#sources) {
      if (source.aborted) controller.abort();
      source.addEventListener("abort", abort, { once: true });
    }
    const unlink = (): void => {
      for (const source of this.#sources) source.removeEventListener("abort", abort);
    };
    let opened: EventIterator | Promise<EventIterator | undefined>;
    try {
      opened = this.#open(controller.signal);
    } catch (error) {
      unlink();
      this.#state = { kind: "done" };
      return Promise.reject(error);
    }
    if (!(opened instanceof Promise)) return this.#read(opened, unlink);
    const pending = opened.then(
      (events) => {
        if (events !== undefined) return this.#read(events, unlink);
        unlink();
        this.#state = { kind: "done" };
        return DONE;
      },
      (error: unknown) => {
        unlink();
        this.#state = { kind: "done" };
        throw error;
      },
    );
    this.#state = { kind: "opening", controller, opened: pending };
    return pending;
  }

  #read(events: EventIterator, unlink: () => void): Promise<IteratorResult<ReceivedEvent, undefined>> {
    events.onEnd(unlink);
    this.#state = { kind: "open", events };
    return events.next();
  }
}
