import assert from "node:assert/strict";
import { inspect } from "node:util";
import { RivuletError, type RivuletErrorCode } from "@rivulet/shared";
import type { Broker, BrokerMessage, SubscribeOptions } from "../broker/types.js";

/** Bounds a case may ask `create` to honour; left out, the broker's own defaults apply. */
export interface BrokerSettings {
  /** Messages kept per topic for resume. */
  historySize?: number;
  /** Messages a subscriber may fall behind before `SLOW_CONSUMER`. */
  queueSize?: number;
}

/** The suite's options, defaults filled in. */
export interface HarnessOptions {
  create: (settings: BrokerSettings) => Broker | Promise<Broker>;
  timeoutMs: number;
  historySlack: number;
  laterId: (id: string) => string;
}

/** One behaviour of the `Broker` contract, run with a fresh harness and broker. */
export interface ConformanceCase {
  title: string;
  /** What the case's broker is made with. */
  settings?: BrokerSettings;
  run: (h: Harness, broker: Broker) => Promise<void>;
}

/**
 * What one case works with: brokers it closes at the end, topics no other
 * case (or run) uses, and waits that fail with a message after `timeoutMs`
 * instead of hanging. Nothing here measures time: a timeout only turns a
 * hang into a failure.
 */
export class Harness {
  readonly options: HarnessOptions;
  readonly #open = new Set<Broker>();
  readonly #run = globalThis.crypto.randomUUID().slice(0, 8);
  #topics = 0;

  constructor(options: HarnessOptions) {
    this.options = options;
  }

  /** A broker from the suite's `create`, closed at the end of the case unless the case closes it. */
  async broker(settings: BrokerSettings = {}): Promise<Broker> {
    const broker = await this.within(Promise.resolve(this.options.create(settings)), "create() to make a broker");
    this.#open.add(broker);
    return broker;
  }

  async close(broker: Broker): Promise<void> {
    this.#open.delete(broker);
    await this.within(broker.close(), "close()");
  }

  /** Closes what the case left open, every one even when one fails. */
  async cleanup(): Promise<void> {
    const failed = (await Promise.allSettled([...this.#open].map((broker) => this.close(broker)))).find(
      (result) => result.status === "rejected",
    );
    if (failed) throw failed.reason;
  }

  /** A topic name unique to this case, so that brokers on a shared store need no other isolation. */
  topic(name: string): string {
    return `${name}:${this.#run}:${++this.#topics}`;
  }

  open(broker: Broker, topic: string, options: SubscribeOptions = {}): AsyncIterator<BrokerMessage> {
    return broker.subscribe(topic, options)[Symbol.asyncIterator]();
  }

  /** Publishes `count` messages `{ event: "n", data: n }`, n from `from` on, one after the other; their IDs. */
  async publishMany(broker: Broker, topic: string, count: number, from = 1): Promise<string[]> {
    const ids: string[] = [];
    for (let n = from; n < from + count; n++) ids.push(await this.within(broker.publish(topic, { event: "n", data: n }), `publish #${n}`));
    return ids;
  }

  /** The next message, which must come. */
  async next(iterator: AsyncIterator<BrokerMessage>, what: string): Promise<BrokerMessage> {
    const result = await this.within(iterator.next(), what);
    if (result.done) assert.fail(`${what}: the subscription ended instead`);
    return result.value;
  }

  /** The next `count` messages, which must come. */
  async take(iterator: AsyncIterator<BrokerMessage>, count: number, what: string): Promise<BrokerMessage[]> {
    const out: BrokerMessage[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next(iterator, `${what} (message ${i + 1} of ${count})`));
    return out;
  }

  /** The `data` of the next `count` messages. */
  async data(iterator: AsyncIterator<BrokerMessage>, count: number, what: string): Promise<unknown[]> {
    return (await this.take(iterator, count, what)).map((message) => message.data);
  }

  /** The subscription is over: `next()` resolves `{ done: true }`. */
  async ended(iterator: AsyncIterator<BrokerMessage>, what: string): Promise<void> {
    const result = await this.within(iterator.next(), what);
    assert.equal(result.done, true, `${what}: expected the subscription to be over, got ${inspect(result.value)}`);
  }

  /**
   * `action` fails with a `RivuletError` of `code`: the class Rivulet reads a
   * code from (anything else reaches the client as `INTERNAL_SERVER_ERROR`).
   */
  async failsWith(code: RivuletErrorCode, action: () => Promise<unknown>, what: string): Promise<RivuletError> {
    return this.expectCode(await this.rejection(action, what), code, what);
  }

  /** `error` is a `RivuletError` of `code`. */
  expectCode(error: unknown, code: RivuletErrorCode, what: string): RivuletError {
    if (!(error instanceof RivuletError)) assert.fail(`${what}: expected a RivuletError ${code}, got ${inspect(error)}`);
    assert.equal(error.code, code, `${what}: expected code ${code}, got ${error.code} (${error.message})`);
    return error;
  }

  /** What `action` fails with; a synchronous throw counts. */
  async rejection(action: () => Promise<unknown>, what: string): Promise<unknown> {
    const outcome = await this.within(
      Promise.resolve()
        .then(action)
        .then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
      what,
    );
    if ("value" in outcome) assert.fail(`${what}: expected a failure, got ${inspect(outcome.value)}`);
    return outcome.error;
  }

  /** Asks `check` again until it holds, for what settles a moment later (a leave on a remote store). */
  async until(check: () => Promise<boolean>, what: string): Promise<void> {
    let settled = false;
    const poll = async (): Promise<void> => {
      while (!settled && !(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    try {
      await this.within(poll(), what);
    } finally {
      settled = true;
    }
  }

  /** `promise`, or a failure naming `what` once `timeoutMs` has passed. */
  within<T>(promise: Promise<T>, what: string): Promise<T> {
    // Abandoned on a timeout, it may still reject later: that is not an unhandled rejection.
    promise.catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const ms = this.options.timeoutMs;
      timer = setTimeout(() => reject(new assert.AssertionError({ message: `Timed out after ${ms} ms waiting for ${what}` })), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}
