import { RivuletError } from "@rivulet/shared";
import { MAX_TIMER_MS, checkOptions, option } from "@rivulet/shared/wire";
import { compareEventIds } from "../resume.js";
import { assertMessageId, brokerOption, historyGap, planResume } from "./history.js";
import { SubscriberQueue } from "./queue.js";
import { publishedMessage } from "../shared-message.js";
import type { Broker, BrokerMessage, PublishMessage, SubscribeOptions } from "./types.js";

export interface MemoryBrokerOptions {
  /**
   * Messages kept per topic for resume.
   * @default 1000
   */
  historySize?: number;
  /**
   * Drop history older than this, in ms; `false` keeps it until `historySize` pushes it out.
   * @default false
   */
  historyTtlMs?: number | false;
  /**
   * Messages a subscriber may fall behind before it is ended with `SLOW_CONSUMER`
   * (its client then resumes from history).
   * @default 1000
   */
  queueSize?: number;
}

interface Entry {
  id: string;
  at: number;
  /** Handed as it is to every subscriber, live and replaying, so that it is encoded once. */
  message: BrokerMessage;
}

interface Topic {
  entries: Entry[];
  /** Entries before this index are dropped; the array is compacted now and then. */
  start: number;
  lastDroppedId: string | undefined;
  lastId: string | undefined;
  subscribers: Set<SubscriberQueue<BrokerMessage>>;
  members: number;
  /** Every subscriber's `onEnd`: one function per topic, not one per subscriber. */
  leave: (queue: SubscriberQueue<BrokerMessage>) => void;
}

/**
 * The embedded broker: zero setup, one process. IDs are `<start ms>-<n>`,
 * monotonic per topic, never handed out twice (`n` counts across topics)
 * and, thanks to the start time, larger than any ID an
 * earlier run of the process handed out, so a client resuming across a
 * restart gets `HISTORY_GAP` instead of a silent gap.
 *
 * @example
 * const broker = memoryBroker();
 * await broker.publish("room:1", { event: "message", data: { text: "hi" } });
 */
export function memoryBroker(options: MemoryBrokerOptions = {}): Broker {
  checkOptions("memoryBroker()", options, {
    historySize: brokerOption.historySize,
    historyTtlMs: option.timerMsOrFalse,
    queueSize: option.positiveInteger,
  });
  const historySize = options.historySize ?? 1000;
  const historyTtlMs = options.historyTtlMs ?? false;
  const queueSize = options.queueSize ?? 1000;
  const epoch = Date.now();
  const topics = new Map<string, Topic>();
  // One counter for all topics, not one per topic: a topic's state is dropped when it is
  // unused, and a per-topic counter would then hand out the same IDs again.
  let seq = 0;
  let closed = false;

  const topicOf = (name: string): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      const created: Topic = {
        entries: [],
        start: 0,
        lastDroppedId: undefined,
        lastId: undefined,
        subscribers: new Set(),
        members: 0,
        leave: (queue) => {
          created.subscribers.delete(queue);
          forgetIfUnused(name, created);
        },
      };
      topics.set(name, (topic = created));
    }
    return topic;
  };

  const drop = (topic: Topic, count: number): void => {
    if (count <= 0) return;
    topic.start += count;
    topic.lastDroppedId = (topic.entries[topic.start - 1] as Entry).id;
    if (topic.start > 1024 && topic.start * 2 > topic.entries.length) {
      topic.entries = topic.entries.slice(topic.start);
      topic.start = 0;
    }
  };

  const trim = (topic: Topic, now: number): void => {
    drop(topic, topic.entries.length - topic.start - historySize);
    if (historyTtlMs === false) return;
    let expired = 0;
    while (topic.start + expired < topic.entries.length && (topic.entries[topic.start + expired] as Entry).at <= now - historyTtlMs) {
      expired++;
    }
    drop(topic, expired);
  };

  const forgetIfUnused = (name: string, topic: Topic): void => {
    if (topic.subscribers.size === 0 && topic.members === 0 && topic.start === topic.entries.length) topics.delete(name);
  };

  const subscribeTo = (name: string, lastEventId: string | undefined, signal: AbortSignal | undefined) => {
    const topic = topicOf(name);
    const queue = new SubscriberQueue<BrokerMessage>(queueSize, topic.leave, signal);
    if (closed) queue.end();
    if (queue.closed) return queue;
    if (lastEventId !== undefined) {
      trim(topic, Date.now());
      const plan = planResume(topic.entries.slice(topic.start), lastEventId, topic.lastDroppedId);
      if ("gap" in plan) {
        queue.fail(historyGap(name, lastEventId));
        return queue;
      }
      queue.replay(plan.replay.map((entry) => entry.message));
    }
    topic.subscribers.add(queue);
    return queue;
  };

  // Topics that nobody publishes to or resumes from again still expire: one sweep per TTL.
  const sweep =
    historyTtlMs === false
      ? undefined
      : setInterval(() => {
          const now = Date.now();
          for (const [name, topic] of topics) {
            trim(topic, now);
            forgetIfUnused(name, topic);
          }
        }, Math.min(Math.max(historyTtlMs, 1_000), MAX_TIMER_MS));
  sweep?.unref();

  return {
    async publish(name, message: PublishMessage) {
      if (closed) throw new RivuletError("INTERNAL_SERVER_ERROR", "The broker is closed.");
      const topic = topicOf(name);
      if (message.id !== undefined) checkId(message.id, topic.lastId);
      const id = message.id ?? nextId(`${epoch}-${++seq}`, topic.lastId);
      topic.lastId = id;
      const now = Date.now();
      const delivered = publishedMessage(message, id);
      if (historySize > 0) topic.entries.push({ id, at: now, message: delivered });
      trim(topic, now);
      for (const subscriber of topic.subscribers) subscriber.push(delivered);
      forgetIfUnused(name, topic);
      return id;
    },

    subscribe(name, { lastEventId, signal }: SubscribeOptions = {}) {
      return { [Symbol.asyncIterator]: () => subscribeTo(name, lastEventId, signal) };
    },

    async join(name, { signal } = {}) {
      const topic = topicOf(name);
      topic.members++;
      let left = false;
      const leave = async (): Promise<void> => {
        if (left) return;
        left = true;
        signal?.removeEventListener("abort", onAbort);
        topic.members--;
        forgetIfUnused(name, topic);
      };
      const onAbort = (): void => void leave();
      if (signal?.aborted) await leave();
      else signal?.addEventListener("abort", onAbort, { once: true });
      return leave;
    },

    async count(name) {
      return topics.get(name)?.members ?? 0;
    },

    async close() {
      closed = true;
      if (sweep) clearInterval(sweep);
      for (const topic of topics.values()) for (const subscriber of [...topic.subscribers]) subscriber.end();
      topics.clear();
    },
  };
}

/**
 * The ID to assign: `candidate`, unless a custom ID published before it on
 * the topic is larger (a future timestamp, say); then the next ID after that
 * one, so that IDs keep growing and resumes keep their order.
 */
function nextId(candidate: string, lastId: string | undefined): string {
  if (lastId === undefined || compareEventIds(candidate, lastId) > 0) return candidate;
  const redisStyle = /^(\d+)-(\d+)$/.exec(lastId);
  if (redisStyle) return `${redisStyle[1] as string}-${BigInt(redisStyle[2] as string) + 1n}`;
  // A decimal `N` orders as `N-0`; any other string is a prefix of, so before, itself plus a suffix.
  return `${lastId}-1`;
}

function checkId(id: string, lastId: string | undefined): void {
  assertMessageId(id);
  if (lastId !== undefined && compareEventIds(id, lastId) <= 0) {
    throw new RivuletError("INVALID_FIELD", `Message IDs must grow: "${id}" does not come after "${lastId}".`);
  }
}
