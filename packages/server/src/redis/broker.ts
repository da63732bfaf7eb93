import { randomUUID } from "node:crypto";
import { RivuletError } from "@rivulet/shared";
import { checkOptions, option } from "@rivulet/shared/wire";
import type { Redis } from "ioredis";
import { assertMessageId, brokerOption, historyGap, planResume } from "../broker/history.js";
import { SubscriberQueue } from "../broker/queue.js";
import type { Broker, BrokerMessage, SubscribeOptions } from "../broker/types.js";
import { compareEventIds } from "../resume.js";
import { decodeEntry, encodeFields, fieldOf, type StreamEntry } from "./entries.js";
import { wireOf } from "../shared-message.js";
import { connectRedis } from "./connection.js";
import { TopicReader } from "./topic-reader.js";
import { brokerFailure, isReplyError, reaching } from "./unavailable.js";

export interface RedisBrokerOptions {
  /**
   * Where Redis is, when no `client` is given.
   * @default "redis://127.0.0.1:6379"
   */
  url?: string;
  /**
   * An ioredis client to use (and not to close). Blocking readers use
   * `client.duplicate()`, one per topic with subscribers in this process.
   * Its own settings then decide how long a command waits while Redis is
   * away: ioredis's default `maxRetriesPerRequest` (20) holds it for about
   * 10 to 40 s, `null` for ever.
   */
  client?: Redis;
  /**
   * Prefix of every key the broker writes: `<prefix>stream:<topic>`, `<prefix>presence:<topic>`.
   * @default "rivulet:"
   */
  keyPrefix?: string;
  /**
   * Entries kept per topic for resume (`XADD … MAXLEN ~`, so Redis trims in
   * whole nodes and may keep up to ~100 more).
   * @default 1000
   */
  historySize?: number;
  /**
   * Messages a subscriber may fall behind before it is ended with `SLOW_CONSUMER`.
   * @default 1000
   */
  queueSize?: number;
  /**
   * How long one `XREAD BLOCK` waits before it is issued again, in ms.
   * @default 5000
   */
  blockMs?: number;
  /**
   * A member that is not refreshed for this long (its process died) stops counting, in ms.
   * @default 30000
   */
  presenceTtlMs?: number;
  /**
   * Told of Redis errors the broker recovers from (a restart, a lost connection).
   * @default logs with console.warn
   */
  onError?: (error: unknown) => void;
}

/**
 * A broker on Redis Streams, for several server processes behind a load
 * balancer: `XADD … MAXLEN ~` to publish, one `XREAD BLOCK` per process and
 * topic to deliver. Message IDs are the
 * stream entry IDs, so a client may resume on any process. Presence
 * counts live in a sorted set per topic, refreshed by each process, so
 * members of a process that dies expire.
 *
 * While Redis is away, `publish`, `join`, `count` and a resume's history read
 * reject with `BROKER_UNAVAILABLE` (ioredis's error as `cause`) within a few
 * seconds; live subscriptions stay open, and the topic readers go on from the
 * last entry they saw once Redis is back.
 *
 * @example
 * import { redisBroker } from "@rivulet/server/redis";
 * const broker = redisBroker({ url: process.env.REDIS_URL });
 */
export function redisBroker(options: RedisBrokerOptions = {}): Broker {
  checkOptions("redisBroker()", options, {
    url: option.string,
    client: option.object,
    keyPrefix: option.string,
    historySize: brokerOption.historySize,
    queueSize: option.positiveInteger,
    blockMs: option.timerMs,
    presenceTtlMs: option.timerMs,
    onError: option.function,
  });
  const { client, onError, close: closeClient } = connectRedis(options, "redis broker");
  const prefix = options.keyPrefix ?? "rivulet:";
  const historySize = options.historySize ?? 1000;
  const queueSize = options.queueSize ?? 1000;
  const blockMs = options.blockMs ?? 5000;
  const presenceTtlMs = options.presenceTtlMs ?? 30_000;
  const instance = randomUUID();
  const readers = new Map<string, TopicReader>();
  const members = new Map<string, Set<string>>();
  const queues = new Set<SubscriberQueue<BrokerMessage>>();
  let memberCount = 0;
  let closed = false;

  const streamKey = (topic: string): string => `${prefix}stream:${topic}`;
  const presenceKey = (topic: string): string => `${prefix}presence:${topic}`;

  const readerOf = (topic: string): TopicReader => {
    let reader = readers.get(topic);
    if (!reader) {
      reader = new TopicReader(client, streamKey(topic), blockMs, onError);
      readers.set(topic, reader);
    }
    return reader;
  };

  const release = (topic: string, reader: TopicReader): void => {
    if (reader.listeners.size > 0 || readers.get(topic) !== reader) return;
    readers.delete(topic);
    reader.stop();
  };

  /** What follows `lastEventId` in the stream, or a gap when the stream no longer reaches it. */
  const replayAfter = async (topic: string, lastEventId: string): Promise<BrokerMessage[] | undefined> => {
    let entries: StreamEntry[];
    try {
      entries = (await client.xrange(streamKey(topic), lastEventId, "+")) as StreamEntry[];
    } catch (error) {
      // Not a stream ID at all: it was never ours to resume from.
      if (isReplyError(error) && /Invalid stream ID/i.test(error.message)) return undefined;
      throw error;
    }
    // Not kept any more, but exactly the entry before the oldest kept one: nothing is missing.
    const first = entries[0];
    const droppedJustBefore = first && first[0] !== lastEventId ? fieldOf(first, "prev") : undefined;
    const plan = planResume(entries.map(decodeEntry), lastEventId, droppedJustBefore);
    return "gap" in plan ? undefined : plan.replay;
  };

  // Refreshes this process's members, so that they count; those of a dead process expire.
  const heartbeat = setInterval(() => {
    const expires = Date.now() + presenceTtlMs;
    const pipeline = client.pipeline();
    for (const [topic, ids] of members) {
      if (ids.size > 0) pipeline.zadd(presenceKey(topic), ...[...ids].flatMap((id) => [expires, id]));
    }
    pipeline.exec().catch(onError);
  }, presenceTtlMs / 3);
  heartbeat.unref();

  return {
    /**
     * One `XADD` (in one script: it is added whole or not at all).
     * @throws {RivuletError} `BROKER_UNAVAILABLE` when Redis cannot be reached within
     * `maxRetriesPerRequest` reconnection attempts (ioredis's error is the `cause`); the
     * message was then not added, unless it was already on its way when the connection broke.
     * @throws {RivuletError} `INVALID_FIELD` for a custom ID Redis refuses.
     */
    async publish(topic, message) {
      if (closed) throw new RivuletError("INTERNAL_SERVER_ERROR", "The broker is closed.");
      // Redis would read an ID only up to a NUL, and publish it cut short.
      if (message.id !== undefined) assertMessageId(message.id);
      const fields = encodeFields(message.event, message.data, wireOf(message));
      try {
        const id = await client.eval(PUBLISH, 1, streamKey(topic), historySize, message.id ?? "*", ...fields);
        return id as string;
      } catch (error) {
        if (message.id !== undefined && isReplyError(error) && /ID/.test(error.message)) {
          throw new RivuletError(
            "INVALID_FIELD",
            `Redis refused the message ID "${message.id}": IDs are stream entry IDs (<ms>-<seq>) and must grow.`,
            { cause: error },
          );
        }
        throw brokerFailure(error, `publish to "${topic}"`);
      }
    },

    subscribe(topic, { lastEventId, signal }: SubscribeOptions = {}) {
      return {
        [Symbol.asyncIterator]: () => {
          const reader = readerOf(topic);
          let buffer: BrokerMessage[] | undefined = lastEventId === undefined ? undefined : [];
          // After a replay, the shared reader may still be behind it: what the replay had is dropped.
          let replayedUpTo: string | undefined;
          const listener = (message: BrokerMessage): void => {
            if (buffer) buffer.push(message);
            else if (replayedUpTo === undefined || compareEventIds(message.id, replayedUpTo) > 0) queue.push(message);
          };
          const queue = new SubscriberQueue<BrokerMessage>(
            queueSize,
            (ended) => {
              queues.delete(ended);
              reader.listeners.delete(listener);
              release(topic, reader);
            },
            signal,
          );
          if (closed) queue.end();
          if (queue.closed) return queue;
          queues.add(queue);
          reader.listeners.add(listener);
          if (lastEventId !== undefined) {
            // Listen first, then read the history: whatever lands in between is in one or the other.
            reader.started
              .then(() => replayAfter(topic, lastEventId))
              .then(
                (replay) => {
                  if (replay === undefined) return queue.fail(historyGap(topic, lastEventId));
                  queue.replay(replay);
                  replayedUpTo = replay.at(-1)?.id ?? lastEventId;
                  const live = buffer ?? [];
                  buffer = undefined;
                  for (const message of live) listener(message);
                },
                // Redis away: the resume fails as BROKER_UNAVAILABLE, and its client comes back later.
                (error: unknown) => queue.fail(brokerFailure(error, `read the history of "${topic}"`)),
              );
          }
          return queue;
        },
      };
    },

    async join(topic, { signal } = {}) {
      const id = `${instance}:${++memberCount}`;
      let ids = members.get(topic);
      if (!ids) members.set(topic, (ids = new Set()));
      ids.add(id);
      try {
        await reaching(client.zadd(presenceKey(topic), Date.now() + presenceTtlMs, id), `join "${topic}"`);
      } catch (error) {
        // Not counted after all: the heartbeat must not add it later as a member nobody can remove.
        ids.delete(id);
        if (ids.size === 0) members.delete(topic);
        throw error;
      }
      let left = false;
      const leave = async (): Promise<void> => {
        if (left) return;
        left = true;
        signal?.removeEventListener("abort", onAbort);
        ids.delete(id);
        if (ids.size === 0) members.delete(topic);
        await reaching(client.zrem(presenceKey(topic), id), `leave "${topic}"`);
      };
      const onAbort = (): void => void leave().catch(onError);
      if (signal?.aborted) await leave();
      else signal?.addEventListener("abort", onAbort, { once: true });
      return leave;
    },

    async count(topic) {
      const counted = client
        .multi()
        .zremrangebyscore(presenceKey(topic), "-inf", `(${Date.now()}`)
        .zcard(presenceKey(topic))
        .exec();
      const [, [, count] = []] = (await reaching(counted, `count "${topic}"`)) as [unknown, [unknown, number]];
      return count ?? 0;
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      for (const queue of [...queues]) queue.end();
      for (const reader of readers.values()) reader.stop();
      readers.clear();
      // Without a connection, commands would wait in ioredis's offline queue: members then expire by TTL.
      const connected = client.status === "ready";
      if (connected && members.size > 0) {
        const pipeline = client.pipeline();
        for (const [topic, ids] of members) pipeline.zrem(presenceKey(topic), ...ids);
        await pipeline.exec().catch(onError);
      }
      members.clear();
      await closeClient();
    },
  };
}

/**
 * `XADD … MAXLEN ~`, with the ID of the entry before it in a `prev` field.
 * Approximate trimming records nothing of what it removed, so `prev` is what
 * lets a resume tell "the client has everything before the oldest kept entry"
 * (its last ID is that entry's `prev`: no gap) from a real gap.
 */
const PUBLISH = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = newest[1] and newest[1][1] or ''
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], ARGV[2], 'prev', prev, unpack(ARGV, 3))
`;
