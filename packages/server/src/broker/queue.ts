import { RivuletError } from "@rivulet/shared";
import { PUSH, type PushControl, type PushIterator, type PushTarget } from "../push.js";

/**
 * One subscriber's bounded queue: `push` never blocks the publisher. A
 * subscriber more than `limit` messages behind is failed with `SLOW_CONSUMER`
 * and its queue dropped at once, so one slow client costs the others nothing.
 *
 * Its state is plain fields, and `onEnd` gets the queue rather than closing
 * over it, so that a broker can pass one function for all of a topic's
 * subscribers: with thousands of idle subscribers, every object counts.
 */
export class SubscriberQueue<T> implements AsyncIterableIterator<T>, PushIterator<T>, PushControl {
  /** Undefined when empty, never an empty array: what `next` and `push` test. */
  #items: T[] | undefined;
  #head = 0;
  /** Replayed items still queued; replay comes before any live item, so they are the first ones. */
  #replayed = 0;
  /** The pending `next()`; a failure resolves it with a rejected promise, so no `reject` is kept. */
  #resolve: ((result: IteratorResult<T, undefined> | Promise<never>) => void) | undefined;
  #consumer: PushTarget<T> | undefined;
  #paused = false;
  /** Inside `#flush`: a push meanwhile is queued, so that items keep their order. */
  #flushing = false;
  #failure: unknown;
  #done = false;
  /** Set by `endAfter`: how the queue ends once what it holds is taken (`undefined` failure: quietly). */
  #ending: { failure: unknown } | undefined;
  readonly #limit: number;
  readonly #onEnd: (queue: SubscriberQueue<T>) => void;
  readonly #signal: AbortSignal | undefined;

  /** `signal` ends the subscription quietly when it aborts. */
  constructor(limit: number, onEnd: (queue: SubscriberQueue<T>) => void, signal?: AbortSignal) {
    this.#limit = limit;
    this.#onEnd = onEnd;
    this.#signal = signal;
    if (signal?.aborted) this.end();
    else signal?.addEventListener("abort", this, { once: true });
  }

  /** Whether the subscription is over: ended, failed, or its signal aborted before it began. */
  get closed(): boolean {
    return this.#done || this.#failure !== undefined;
  }

  /** The signal's abort: an `EventListener` object, so that no closure is made per subscriber. */
  handleEvent(): void {
    this.end();
  }

  /**
   * Delivers items to `consumer` from now on, instead of through `next()`:
   * a live item goes to it straight from `push`, within the publisher's call,
   * so a message reaches thousands of subscribers with no promise or
   * microtask each. While the consumer is paused, items wait here as they
   * would for a slow reader, up to the limit.
   */
  [PUSH](consumer: PushTarget<T>): PushControl {
    if (this.#failure !== undefined) consumer.fail(this.#failure);
    else if (this.#done) consumer.complete();
    else {
      this.#consumer = consumer;
      this.#flush();
    }
    return this;
  }

  /** The consumer takes items again after `deliver` returned `false`. */
  resume(): void {
    this.#paused = false;
    this.#flush();
  }

  /** Queues a live message; over the limit, fails the subscriber instead. */
  push(item: T): void {
    if (this.closed) return;
    if (this.#resolve) {
      this.#resolveWith({ value: item, done: false });
      return;
    }
    const consumer = this.#consumer;
    if (consumer && !this.#paused && !this.#flushing && this.#items === undefined) {
      // Straight to the consumer; what is pushed meanwhile (from inside `deliver`) queues behind it.
      this.#flushing = true;
      try {
        this.#paused = !consumer.deliver(item);
      } finally {
        this.#flushing = false;
      }
      if (this.#items !== undefined) this.#flush();
      return;
    }
    const items = (this.#items ??= []);
    if (items.length - this.#head - this.#replayed >= this.#limit) {
      this.fail(new RivuletError("SLOW_CONSUMER", `The subscriber fell more than ${this.#limit} messages behind its topic.`));
      return;
    }
    items.push(item);
  }

  /** Queues history to replay; it is already in memory, so it does not count against the limit. */
  replay(items: readonly T[]): void {
    if (this.closed || items.length === 0) return;
    let from = 0;
    if (this.#resolve) {
      this.#resolveWith({ value: items[0] as T, done: false });
      from = 1;
    }
    if (from === items.length) return;
    const queued = (this.#items ??= []);
    for (let i = from; i < items.length; i++) queued.push(items[i] as T);
    this.#replayed += items.length - from;
    this.#flush();
  }

  /** Ends the subscriber with an error, after nothing more: what is queued is dropped. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.#failure = error;
    this.#drop();
    if (this.#resolve) this.#resolveWith(Promise.reject(error));
    this.#consumer?.fail(error);
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#items !== undefined) return Promise.resolve({ value: this.#take(), done: false });
    this.#settleEnding();
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#done = true;
      return Promise.reject(failure);
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#resolve = resolve));
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /**
   * Ends the subscription once everything queued has been taken — quietly, or
   * with `failure` — where `end` and `fail` drop it: a durable run's watcher
   * gets the run's last events before its end.
   */
  endAfter(failure?: unknown): void {
    if (this.closed || this.#ending) return;
    this.#ending = { failure };
    this.#settleEnding();
  }

  /** Ends the subscription quietly: a pending `next()` resolves as done. */
  end(): void {
    if (this.#done) return;
    const failed = this.#failure !== undefined;
    this.#done = true;
    if (failed) return;
    this.#drop();
    this.#resolveWith({ value: undefined, done: true });
    this.#consumer?.complete();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The oldest queued item; only called while there is one. */
  #take(): T {
    const items = this.#items as T[];
    const value = items[this.#head] as T;
    this.#head++;
    if (this.#replayed > 0) this.#replayed--;
    if (this.#head === items.length) {
      this.#items = undefined;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      // A reader that never quite catches up would otherwise keep every message it read.
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }

  /** Hands queued items to the consumer until it pauses, the queue is empty or the subscription is over. */
  #flush(): void {
    const consumer = this.#consumer;
    if (!consumer || this.#flushing) return;
    this.#flushing = true;
    try {
      while (!this.#paused && !this.closed && this.#items !== undefined) this.#paused = !consumer.deliver(this.#take());
    } finally {
      this.#flushing = false;
    }
    this.#settleEnding();
  }

  /** After `endAfter`: ends the queue once it is empty. */
  #settleEnding(): void {
    const ending = this.#ending;
    if (ending === undefined || this.#items !== undefined || this.closed) return;
    if (ending.failure === undefined) this.end();
    else this.fail(ending.failure);
  }

  /** Drops what is queued and leaves: called once, on the first of `end` and `fail`. */
  #drop(): void {
    this.#items = undefined;
    this.#head = 0;
    this.#replayed = 0;
    this.#signal?.removeEventListener("abort", this);
    this.#onEnd(this);
  }

  /** Settles the pending `next()`, if any: its callbacks are dropped, so each is called at most once. */
  #resolveWith(result: IteratorResult<T, undefined> | Promise<never>): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(result);
  }
}
