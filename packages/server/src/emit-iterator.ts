import { callHandler, type HandlerCall, type HandlerTarget } from "./emit-call.js";
import { EmitSource } from "./emit.js";
import type { Route } from "./routes.js";

/**
 * A handler's events as an async iterator, whichever way it produces them:
 * what `toTRPC` relays. A generator's iterator is returned as it is; an
 * emitting handler's events go through a one-event slot, and the
 * `EmitSource` queues the rest, with the same bound and `SLOW_CONSUMER` as
 * on a connection.
 * @throws what `callHandler` throws.
 */
export function handlerEvents(route: Route, call: HandlerCall, signal: AbortSignal): AsyncIterator<unknown> {
  const slot = new EmitIterator(signal);
  const events = callHandler(route, call, slot);
  if (!(events instanceof EmitSource)) return events;
  slot.source = events;
  return slot;
}

type Waiter = { resolve: (result: IteratorResult<unknown>) => void; reject: (error: unknown) => void };

/** The target of an `EmitSource` that a consumer pulls: one event is held until `next()` takes it. */
class EmitIterator implements HandlerTarget, AsyncIterator<unknown> {
  readonly signal: AbortSignal;
  source: EmitSource | undefined;
  #started = false;
  /** The event delivered while nobody waited, boxed so that `undefined` is an event too. */
  #held: { value: unknown } | undefined;
  #end: { error?: unknown } | undefined;
  #waiter: Waiter | undefined;

  constructor(signal: AbortSignal) {
    this.signal = signal;
  }

  deliver(item: unknown): boolean {
    if (this.#end) return false;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return true;
    }
    // `false` pauses the source: the slot is empty again only once `next()` took this one.
    this.#held = { value: item };
    return false;
  }

  complete(): void {
    this.#settle({});
  }

  fail(error: unknown): void {
    this.#settle({ error });
  }

  next(): Promise<IteratorResult<unknown>> {
    if (!this.#started) {
      this.#started = true;
      this.source?.resume();
    }
    const held = this.#held;
    if (held) {
      this.#held = undefined;
      this.source?.resume();
      return Promise.resolve({ value: held.value, done: false });
    }
    const end = this.#end;
    if (end) return "error" in end ? Promise.reject(end.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<unknown>> {
    this.#settle({});
    await this.source?.stop();
    return { value: undefined, done: true };
  }

  #settle(end: { error?: unknown }): void {
    if (this.#end) return;
    this.#end = end;
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    if ("error" in end) waiter.reject(end.error);
    else waiter.resolve({ value: undefined, done: true });
  }
}
