import { RivuletError } from "@rivulet/shared";

/**
 * One subscriber's bounded queue: `push` never blocks the publisher. A
 * subscriber more than `limit` messages behind is failed with `SLOW_CONSUMER`
 * and its queue dropped at once, so one slow client costs the others nothing.
 */
export class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #head = 0;
  /** Replayed items still queued; replay comes before any live item, so they are the first ones. */
  #replayed = 0;
  #waiting: { resolve: (result: IteratorResult<T, undefined>) => void; reject: (error: unknown) => void } | undefined;
  #failure: unknown;
  #done = false;

  constructor(
    private readonly limit: number,
    private readonly onEnd: () => void,
  ) {}

  /** Queues a live message; over the limit, fails the subscriber instead. */
  push(item: T): void {
    if (this.#done || this.#failure !== undefined) return;
    if (this.#waiting) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve({ value: item, done: false });
      return;
    }
    if (this.#items.length - this.#head - this.#replayed >= this.limit) {
      this.fail(
        new RivuletError("SLOW_CONSUMER", `The subscriber fell more than ${this.limit} messages behind its topic.`),
      );
      return;
    }
    this.#items.push(item);
  }

  /** Queues history to replay; it is already in memory, so it does not count against the limit. */
  replay(items: readonly T[]): void {
    if (this.#done || this.#failure !== undefined) return;
    let from = 0;
    if (this.#waiting && items.length > 0) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve({ value: items[0] as T, done: false });
      from = 1;
    }
    for (let i = from; i < items.length; i++) this.#items.push(items[i] as T);
    this.#replayed += items.length - from;
  }

  /** Ends the subscriber with an error, after nothing more: what is queued is dropped. */
  fail(error: unknown): void {
    if (this.#done || this.#failure !== undefined) return;
    this.#failure = error;
    this.#items = [];
    this.#head = 0;
    this.#replayed = 0;
    this.onEnd();
    if (this.#waiting) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.reject(error);
    }
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#head++;
      if (this.#replayed > 0) this.#replayed--;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        // A reader that never quite catches up would otherwise keep every message it read.
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#done = true;
      return Promise.reject(failure);
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the subscription quietly: a pending `next()` resolves as done. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#items = [];
    this.#head = 0;
    this.#replayed = 0;
    if (this.#failure === undefined) this.onEnd();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
