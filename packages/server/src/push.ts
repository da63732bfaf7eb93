/**
 * The push seam: how a source hands events straight to a connection's
 * writer, without a generator or a promise per event. A broker subscription
 * whose iterator implements `[PUSH]` is attached to instead of pulled, when
 * a handler returns it as it is: a message then reaches thousands of
 * connections within the publisher's own call.
 *
 * @example
 * // A subscription of your own broker: its iterator takes a target and
 * // delivers to it until `return()` is called.
 * const iterator = {
 *   next: () => …, return: () => { stop(); return Promise.resolve({ value: undefined, done: true }) },
 *   [PUSH](target) { listeners.add(target); return { resume: () => flushQueued(target) } },
 *   [Symbol.asyncIterator]() { return this },
 * };
 */
export const PUSH: unique symbol = Symbol.for("rivulet.push") as never;

/** What a push source delivers to: the connection's writer. */
export interface PushTarget<T> {
  /**
   * One event. `false` means the connection is full: keep further events
   * (or drop the subscriber, as a bounded queue does) until `resume()`.
   */
  deliver(item: T): boolean;
  /** The source ended quietly: the stream ends normally. */
  complete(): void;
  /** The source failed (`SLOW_CONSUMER`, `HISTORY_GAP`, …): the stream ends with the error. */
  fail(error: unknown): void;
}

/** What a push source gives back when attached. */
export interface PushControl {
  /** The target takes events again after `deliver` returned `false`. */
  resume(): void;
}

/**
 * An async iterator that can also push. The writer calls `[PUSH](target)`
 * once instead of `next()`, `resume()` after each pause, and `return()` when
 * the connection is over.
 */
export interface PushIterator<T> extends AsyncIterator<T> {
  [PUSH](target: PushTarget<T>): PushControl;
}

/** Whether an iterator can be attached to instead of pulled. */
export function canPush<T>(iterator: AsyncIterator<T>): iterator is PushIterator<T> {
  return typeof (iterator as Partial<PushIterator<T>>)[PUSH] === "function";
}
