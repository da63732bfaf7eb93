import { setTimeout as sleep } from "node:timers/promises";
import { RivuletError } from "@rivulet/shared";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { Broker, BrokerMessage, SubscribeOptions } from "../broker/types.js";
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../test-utils/redis.js";
import { brokerConformance } from "../testing/index.js";
import { redisBroker, type RedisBrokerOptions } from "./broker.js";

const reachable = await checkRedis("the redisBroker unit tests");
const admin = reachable ? new Redis(REDIS_URL) : undefined;

const cleanups: Array<() => Promise<void> | void> = [];
const prefixes: string[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const prefix of prefixes.splice(0)) await deleteKeys(admin as Redis, prefix);
});
afterAll(async () => {
  await admin?.quit();
});

/** A broker on its own key prefix (shared by the brokers of one test, like processes sharing a Redis). */
function makeBroker(prefix: string, options: RedisBrokerOptions = {}): Broker {
  const broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, blockMs: 1_000, onError: () => {}, ...options });
  cleanups.push(() => broker.close());
  return broker;
}

function newPrefix(name: string): string {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return prefix;
}

function open(broker: Broker, topic: string, options: SubscribeOptions = {}): AsyncIterator<BrokerMessage> {
  return broker.subscribe(topic, options)[Symbol.asyncIterator]();
}

async function take(iterator: AsyncIterator<BrokerMessage>, count: number): Promise<BrokerMessage[]> {
  const out: BrokerMessage[] = [];
  for (let i = 0; i < count; i++) {
    const result = await iterator.next();
    if (result.done) throw new Error(`ended after ${i} of ${count} messages`);
    out.push(result.value);
  }
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RivuletError) return error.code;
    throw error;
  }
  throw new Error("expected a rejection");
}

/**
 * Makes sure `broker`'s reader of `topic` runs. It starts at the stream's
 * end as `broker`'s own client sees it, so a message published by *another*
 * broker (another process) before that question reaches Redis is not
 * delivered: holds one subscription open and publishes probes until one
 * arrives. Later subscribers of `topic` on `broker` then get every message
 * published after they subscribed, from any broker.
 */
async function warm(broker: Broker, topic: string): Promise<void> {
  const controller = new AbortController();
  cleanups.push(() => controller.abort());
  const iterator = open(broker, topic, { signal: controller.signal });
  const pending = iterator.next();
  let arrived = false;
  void pending.then(() => (arrived = true));
  for (let i = 0; !arrived; i++) {
    if (i === 100) throw new Error(`the reader of ${topic} did not start`);
    await broker.publish(topic, { event: "probe", data: i });
    await sleep(20);
  }
}

async function publishMany(broker: Broker, topic: string, count: number, from = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let n = from; n < from + count; n++) ids.push(await broker.publish(topic, { event: "n", data: n }));
  return ids;
}

/** Polls `check` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

// Publish, subscribe, resume, HISTORY_GAP, SLOW_CONSUMER, abort, return(), close() and presence on
// one process: the behaviour every broker shares. This file keeps what is Redis's own.
brokerConformance(
  { describe: describe.skipIf(!reachable), it },
  {
    name: "redisBroker",
    // Default blockMs: close() and an abort must not wait for a blocked XREAD.
    create: (settings) => redisBroker({ url: REDIS_URL, keyPrefix: newPrefix("conformance"), onError: () => {}, ...settings }),
    historySlack: 100,
  },
);

describe.skipIf(!reachable)("redisBroker", () => {
  it("delivers what one process publishes to the subscribers of another, once, in order, with Dates and Maps intact", async () => {
    const prefix = newPrefix("fanout");
    const a = makeBroker(prefix);
    const b = makeBroker(prefix);
    await warm(a, "room");
    await warm(b, "room");
    const subs = [open(a, "room"), open(a, "room"), open(b, "room")];
    const sent: BrokerMessage[] = [];
    for (let n = 0; n < 20; n++) {
      const data = { n, at: new Date(1_700_000_000_000 + n), tally: new Map([["n", BigInt(n)]]) };
      sent.push({ event: "entry", data, id: await b.publish("room", { event: "entry", data }) });
    }
    for (const sub of subs) expect(await take(sub, 20)).toEqual(sent);
  });

  it("returns Redis stream IDs, and refuses a custom ID that is not one with INVALID_FIELD", async () => {
    const broker = makeBroker(newPrefix("ids"));
    for (const id of await publishMany(broker, "t", 3)) expect(id).toMatch(/^\d+-\d+$/);
    expect(await codeOf(broker.publish("t", { event: "n", data: 4, id: "not-an-id" }))).toBe("INVALID_FIELD");
  });

  it("resumes on one process while another publishes, with none lost or repeated at the seam", async () => {
    const prefix = newPrefix("resume");
    const publisher = makeBroker(prefix);
    const server = makeBroker(prefix);
    const ids = await publishMany(publisher, "t", 10);
    const resumed = open(server, "t", { lastEventId: ids[3] });
    // Published while the resume reads its history: each lands in the history or the live feed, once.
    const more = publishMany(publisher, "t", 10, 11);
    expect((await take(resumed, 16)).map((m) => m.data)).toEqual(range(5, 16));
    await more;
    await publishMany(publisher, "t", 1, 21);
    expect((await take(resumed, 1)).map((m) => m.data)).toEqual([21]);
  });

  describe("presence", () => {
    it("counts the members of every process; a leave, an abort and a close on one process count on the others", async () => {
      const prefix = newPrefix("presence");
      const a = makeBroker(prefix);
      const b = makeBroker(prefix);
      const leaveA1 = await a.join("room");
      await a.join("room");
      const controller = new AbortController();
      await b.join("room", { signal: controller.signal });
      await b.join("other");
      expect(await a.count("room")).toBe(3);
      expect(await b.count("room")).toBe(3);
      expect(await b.count("other")).toBe(1);
      await leaveA1();
      expect(await b.count("room")).toBe(2);
      // The abort starts the leave; its ZREM lands a moment later.
      controller.abort();
      await eventually(async () => (await a.count("room")) === 1, "the aborted member to leave");
      await b.close();
      expect(await a.count("other")).toBe(0);
    });

    // Presence is scored with the process's `Date.now()`: a fake one stands for the time that passes,
    // so that "not before its TTL" is checked to the millisecond on a busy machine too.
    it("drops the member of a process that vanished once presenceTtlMs has passed, not before", async () => {
      vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"], now: 1_700_000_000_000 });
      const prefix = newPrefix("ghost");
      const observer = makeBroker(prefix);
      // A process that dies: its broker is never closed, its connection just goes away, its heartbeat stops.
      const ghostClient = new Redis(REDIS_URL);
      const ghost = redisBroker({ client: ghostClient, keyPrefix: prefix, presenceTtlMs: 300, onError: () => {} });
      cleanups.push(async () => {
        await ghost.close();
        ghostClient.disconnect();
      });
      await ghost.join("room");
      expect(await observer.count("room")).toBe(1);
      ghostClient.disconnect();
      vi.setSystemTime(1_700_000_000_299);
      expect(await observer.count("room")).toBe(1);
      vi.setSystemTime(1_700_000_000_301);
      expect(await observer.count("room")).toBe(0);
    });

    it("keeps counting a live member past presenceTtlMs: its process refreshes it", async () => {
      vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"], now: 1_700_000_000_000 });
      const prefix = newPrefix("alive");
      const observer = makeBroker(prefix);
      const alive = makeBroker(prefix, { presenceTtlMs: 600 });
      await alive.join("room");
      // Three refreshes, each sent on `alive`'s connection, ahead of its own count below.
      vi.advanceTimersByTime(900);
      expect(await alive.count("room")).toBe(1);
      expect(await observer.count("room")).toBe(1);
    });
  });
});

describe("redisBroker options", () => {
  it("refuses bad options with INVALID_OPTION before it connects", () => {
    const bad: Array<[RedisBrokerOptions, RegExp]> = [
      [{ historySize: -1 }, /historySize must be a whole number ≥ 0/],
      [{ queueSize: 0 }, /queueSize must be a whole number > 0/],
      [{ blockMs: 0 }, /blockMs must be a number of ms > 0/],
      [{ presenceTtlMs: Number.POSITIVE_INFINITY }, /presenceTtlMs must be a number of ms > 0/],
      [{ keyPrefix: 1 as unknown as string }, /keyPrefix must be a string/],
      [{ onError: "log" as unknown as () => void }, /onError must be a function/],
    ];
    for (const [options, message] of bad) {
      expect(() => redisBroker({ url: "redis://127.0.0.1:1", ...options })).toThrow(message);
      expect(() => redisBroker({ url: "redis://127.0.0.1:1", ...options })).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION" }),
      );
    }
  });
});

describe("redisBroker without a Redis to talk to", () => {
  // Port 1 on loopback refuses connections: every command waits in ioredis's offline queue until
  // ioredis gives up on it, which must end in a retryable RivuletError, never in ioredis's own error.
  it("rejects publish, join, count and a resume with BROKER_UNAVAILABLE, ioredis's error as the cause", async () => {
    const broker = redisBroker({ url: "redis://127.0.0.1:1", onError: () => {} });
    cleanups.push(() => broker.close());
    const failures = await Promise.all([
      broker.publish("t", { event: "n", data: 1 }).then(() => undefined, (error: unknown) => error),
      broker.join("t").then(() => undefined, (error: unknown) => error),
      broker.count("t").then(() => undefined, (error: unknown) => error),
      open(broker, "t", { lastEventId: "1-0" }).next().then(() => undefined, (error: unknown) => error),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(RivuletError);
      expect(failure).toMatchObject({ code: "BROKER_UNAVAILABLE", status: 503 });
      expect((failure as RivuletError).cause).toBeInstanceOf(Error);
      expect((failure as RivuletError).cause).not.toBeInstanceOf(RivuletError);
    }
  });

  it("closes at once instead of waiting in ioredis's offline queue", async () => {
    const errors: unknown[] = [];
    // Port 1 on loopback refuses connections.
    const broker = redisBroker({ url: "redis://127.0.0.1:1", onError: (error) => errors.push(error) });
    // A member whose ZADD waits for a connection that never comes; close() must not wait to remove it.
    void broker.join("t").catch(() => undefined);
    await eventually(async () => errors.length > 0, "the refused connection to be reported");
    // Waiting for the offline queue would hang here until the test's timeout.
    await broker.close();
  });
});

describe.skipIf(!reachable)("redisBroker regressions", () => {
  it("tells onError of an entry it cannot read and goes on with the next", async () => {
    const prefix = newPrefix("bad-entry");
    const errors: unknown[] = [];
    const broker = makeBroker(prefix, { onError: (error) => errors.push(error) });
    await warm(broker, "t");
    const iterator = open(broker, "t");
    const pending = iterator.next();
    await (admin as Redis).xadd(`${prefix}stream:t`, "*", "event", "n", "data", "{not json");
    await broker.publish("t", { event: "n", data: 2 });
    expect((await pending).value?.data).toBe(2);
    expect(errors.length).toBeGreaterThan(0);
  });
});
