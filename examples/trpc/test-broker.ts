import { memoryBroker, type Broker } from "@rivulet/server";

/** A memory broker that says when a topic gets a subscriber, so that a test publishes only once someone listens. */
export interface WatchedBroker {
  broker: Broker;
  /** Resolves once `topic` has been subscribed to (the subscriber is registered by then). */
  subscribed(topic: string): Promise<void>;
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
}

export function watchedBroker(): WatchedBroker {
  const inner = memoryBroker();
  const waiting = new Map<string, Waiter>();
  const waiterOf = (topic: string): Waiter => {
    let waiter = waiting.get(topic);
    if (!waiter) {
      let resolve = (): void => {};
      const promise = new Promise<void>((done) => (resolve = done));
      waiting.set(topic, (waiter = { promise, resolve }));
    }
    return waiter;
  };
  const broker: Broker = {
    ...inner,
    subscribe: (topic, options) => ({
      [Symbol.asyncIterator]: () => {
        // The memory broker registers the subscriber when the iterator is made.
        const iterator = inner.subscribe(topic, options)[Symbol.asyncIterator]();
        waiterOf(topic).resolve();
        return iterator;
      },
    }),
  };
  return { broker, subscribed: (topic) => waiterOf(topic).promise };
}
