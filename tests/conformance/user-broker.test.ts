/**
 * A broker written as a user would write one — against the published entry
 * points only — runs the conformance suite from `@rivulet/server/testing`.
 */
import type { Broker, BrokerMessage, SubscribeOptions } from "@rivulet/server";
import { brokerConformance, type BrokerSettings } from "@rivulet/server/testing";
import { RivuletError } from "@rivulet/shared";
import { describe, it } from "vitest";

brokerConformance({ describe, it }, { name: "a user's broker", create: (settings) => tinyBroker(settings) });

interface Topic {
  kept: BrokerMessage[];
  /** The newest ID dropped from `kept`: a resume from it has missed nothing. */
  dropped: string | undefined;
  last: bigint;
  inboxes: Set<Inbox>;
  members: number;
}

/** One process, decimal IDs, a bounded history per topic. */
function tinyBroker({ historySize = 100, queueSize = 100 }: BrokerSettings = {}): Broker {
  const topics = new Map<string, Topic>();
  const inboxes = new Set<Inbox>();
  let closed = false;
  const topicOf = (name: string): Topic => {
    let topic = topics.get(name);
    if (!topic) topics.set(name, (topic = { kept: [], dropped: undefined, last: 0n, inboxes: new Set(), members: 0 }));
    return topic;
  };

  return {
    async publish(name, { event, data, id }) {
      if (closed) throw new Error("closed");
      const topic = topicOf(name);
      if (id !== undefined && (!/^\d+$/.test(id) || BigInt(id) <= topic.last)) {
        throw new RivuletError("INVALID_FIELD", `IDs are growing decimal numbers, got ${JSON.stringify(id)}`);
      }
      topic.last = id === undefined ? topic.last + 1n : BigInt(id);
      const message = { event, data, id: String(topic.last) };
      topic.kept.push(message);
      if (topic.kept.length > historySize) topic.dropped = topic.kept.shift()?.id;
      for (const inbox of topic.inboxes) inbox.push(message);
      return message.id;
    },

    subscribe(name, { lastEventId, signal }: SubscribeOptions = {}) {
      return {
        [Symbol.asyncIterator]: () => {
          const topic = topicOf(name);
          const inbox = new Inbox(queueSize, () => {
            topic.inboxes.delete(inbox);
            inboxes.delete(inbox);
          });
          const at = lastEventId === undefined ? topic.kept.length : topic.kept.findIndex((m) => m.id === lastEventId);
          if (closed || signal?.aborted) inbox.end();
          else if (at === -1 && lastEventId !== topic.dropped) {
            inbox.fail(new RivuletError("HISTORY_GAP", `The history of ${name} no longer reaches ${lastEventId}.`));
          } else {
            inbox.replay(topic.kept.slice(at + 1));
            signal?.addEventListener("abort", () => inbox.end(), { once: true });
            topic.inboxes.add(inbox);
            inboxes.add(inbox);
          }
          return inbox;
        },
      };
    },

    async join(name, { signal } = {}) {
      const topic = topicOf(name);
      let left = signal?.aborted ?? false;
      const leave = async (): Promise<void> => {
        if (!left) topic.members--;
        left = true;
      };
      if (!left) topic.members++;
      signal?.addEventListener("abort", () => void leave(), { once: true });
      return leave;
    },

    async count(name) {
      return topics.get(name)?.members ?? 0;
    },

    async close() {
      closed = true;
      for (const inbox of [...inboxes]) inbox.end();
      topics.clear();
    },
  };
}

/** One subscriber's queue: replayed history first, then live messages, at most `limit` of them waiting. */
class Inbox implements AsyncIterator<BrokerMessage> {
  #queue: BrokerMessage[] = [];
  #replayed = 0;
  #waiting: ((result: Promise<IteratorResult<BrokerMessage>>) => void) | undefined;
  #error: unknown;
  #over = false;

  constructor(
    private readonly limit: number,
    private readonly onEnd: () => void,
  ) {}

  replay(messages: BrokerMessage[]): void {
    this.#queue.push(...messages);
    this.#replayed = messages.length;
  }

  push(message: BrokerMessage): void {
    if (this.#waiting) return this.#settle(Promise.resolve({ done: false, value: message }));
    if (this.#queue.length - this.#replayed >= this.limit) {
      return this.fail(new RivuletError("SLOW_CONSUMER", "The subscriber fell behind."));
    }
    this.#queue.push(message);
  }

  fail(error: unknown): void {
    if (this.#over) return;
    this.#error = error;
    this.#close(Promise.reject(error));
  }

  end(): void {
    this.#close(Promise.resolve({ done: true, value: undefined }));
  }

  next(): Promise<IteratorResult<BrokerMessage>> {
    const message = this.#queue.shift();
    if (message) {
      this.#replayed = Math.max(0, this.#replayed - 1);
      return Promise.resolve({ done: false, value: message });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#over) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  async return(): Promise<IteratorResult<BrokerMessage>> {
    this.end();
    return { done: true, value: undefined };
  }

  #close(result: Promise<IteratorResult<BrokerMessage>>): void {
    if (this.#over) return;
    this.#over = true;
    this.#queue = [];
    this.onEnd();
    result.catch(() => undefined);
    this.#settle(result);
  }

  #settle(result: Promise<IteratorResult<BrokerMessage>>): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(result);
  }
}
