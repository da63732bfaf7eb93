import { RivuletError } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compareEventIds } from "../resume.js";
import { brokerConformance } from "../testing/index.js";
import { memoryBroker } from "./memory.js";
import { SubscriberQueue } from "./queue.js";
import type { Broker, BrokerMessage } from "./types.js";

// Publish, subscribe, resume, HISTORY_GAP, SLOW_CONSUMER, abort, return(), close() and presence:
// the behaviour every broker shares. This file keeps what is the memory broker's own.
brokerConformance(
  { describe, it },
  {
    name: "memoryBroker",
    create: (settings) => memoryBroker(settings),
  },
);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Reads `count` messages from an iterator. */
async function take(iterator: AsyncIterator<BrokerMessage>, count: number): Promise<BrokerMessage[]> {
  const out: BrokerMessage[] = [];
  for (let i = 0; i < count; i++) {
    const result = await iterator.next();
    if (result.done) throw new Error(`ended after ${i} of ${count} messages`);
    out.push(result.value);
  }
  return out;
}

/** The code of the RivuletError a promise rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RivuletError) return error.code;
    throw error;
  }
  throw new Error("expected a rejection");
}

const open = (broker: Broker, topic: string, options: Parameters<Broker["subscribe"]>[1] = {}) =>
  broker.subscribe(topic, options)[Symbol.asyncIterator]();

async function publishMany(broker: Broker, topic: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 1; n <= count; n++) ids.push(await broker.publish(topic, { event: "n", data: n }));
  return ids;
}

describe("memoryBroker: IDs", () => {
  it("assigns `<broker start ms>-<n>` IDs, never the same twice, across topics too", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_700_000_000_000 });
    const broker = memoryBroker();
    vi.setSystemTime(1_700_000_000_500);
    const a = await publishMany(broker, "a", 5);
    const b = await publishMany(broker, "b", 3);
    for (const id of [...a, ...b]) expect(id).toMatch(/^1700000000000-\d+$/);
    expect(new Set([...a, ...b]).size).toBe(8);
    await broker.close();
  });

  // Regression: the topic's counter lived in its state, which is dropped when the topic has no
  // subscriber and no history, so the next message got `<ms>-1` again.
  it("never hands out an ID twice, also after a topic's state was dropped (historySize 0)", async () => {
    const broker = memoryBroker({ historySize: 0 });
    const ids = await publishMany(broker, "t", 3);
    const sub = open(broker, "t");
    ids.push(await broker.publish("t", { event: "n", data: 4 }));
    await sub.return?.();
    ids.push(await broker.publish("t", { event: "n", data: 5 }));
    for (let i = 1; i < ids.length; i++) expect(compareEventIds(ids[i] as string, ids[i - 1] as string)).toBe(1);
    await broker.close();
  });

  it("never hands out an ID twice after the history expired and the topic was dropped, so no resume skips a message", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const broker = memoryBroker({ historyTtlMs: 1_000 });
    const [first] = await publishMany(broker, "t", 1);
    vi.advanceTimersByTime(2_000);
    // The history is gone: this resume fails, and the topic has nothing left to keep.
    expect(await codeOf(open(broker, "t", { lastEventId: "nonsense" }).next())).toBe("HISTORY_GAP");
    const second = await broker.publish("t", { event: "n", data: 2 });
    const third = await broker.publish("t", { event: "n", data: 3 });
    expect(compareEventIds(second, first as string)).toBe(1);
    // A client that had the first message resumes: it must not be handed "the rest" after a reused ID.
    const resumed = open(broker, "t", { lastEventId: first as string });
    const result = await resumed.next().then(
      (r) => r.value,
      (error: unknown) => error,
    );
    expect(result).not.toEqual({ event: "n", data: 3, id: third });
    expect(result).toBeInstanceOf(RivuletError);
    await broker.close();
  });

  it("takes any custom ID that grows: decimal ones compared as numbers", async () => {
    const broker = memoryBroker();
    const sub = open(broker, "t");
    expect(await broker.publish("t", { event: "n", data: 1, id: "5" })).toBe("5");
    // "10" comes after "5", although not as a string.
    expect(await broker.publish("t", { event: "n", data: 3, id: "10" })).toBe("10");
    expect(await take(sub, 2)).toEqual([
      { event: "n", data: 1, id: "5" },
      { event: "n", data: 3, id: "10" },
    ]);
    await broker.close();
  });

  it("refuses bad options with INVALID_OPTION, naming the option", () => {
    expect(() => memoryBroker({ historySize: -1 })).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
    expect(() => memoryBroker({ historySize: 1.5 })).toThrow(/historySize must be a whole number ≥ 0/);
    expect(() => memoryBroker({ queueSize: 0 })).toThrow(/queueSize/);
    expect(() => memoryBroker({ historyTtlMs: 0 })).toThrow(/historyTtlMs/);
    expect(() => memoryBroker({ historySize: Number.NaN })).toThrow(/historySize/);
  });
});

describe("memoryBroker: history and resume", () => {
  it("drops history older than historyTtlMs", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const broker = memoryBroker({ historyTtlMs: 1_000 });
    const a = await broker.publish("t", { event: "n", data: "a" });
    vi.advanceTimersByTime(500);
    const b = await broker.publish("t", { event: "n", data: "b" });
    vi.advanceTimersByTime(500);
    const c = await broker.publish("t", { event: "n", data: "c" });
    vi.advanceTimersByTime(600); // a and b are now over 1 s old
    expect(await codeOf(open(broker, "t", { lastEventId: a }).next())).toBe("HISTORY_GAP");
    expect(await take(open(broker, "t", { lastEventId: b }), 1)).toEqual([{ event: "n", data: "c", id: c }]);
    const fromC = open(broker, "t", { lastEventId: c });
    const d = await broker.publish("t", { event: "n", data: "d" });
    expect(await take(fromC, 1)).toEqual([{ event: "n", data: "d", id: d }]);
    await broker.close();
  });

  it("is a gap for an ID of another topic, and says which topic and ID", async () => {
    const broker = memoryBroker();
    const [otherTopic] = await publishMany(broker, "other", 1);
    await publishMany(broker, "t", 2);
    expect(await codeOf(open(broker, "t", { lastEventId: otherTopic as string }).next())).toBe("HISTORY_GAP");
    const error = await open(broker, "t", { lastEventId: "x" })
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).message).toMatch(/"t".*"x"/);
    await broker.close();
  });

  it("a restarted process's broker refuses IDs of the previous run with HISTORY_GAP", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const first = memoryBroker();
    const [old] = await publishMany(first, "t", 3);
    await first.close();
    // The next run starts at a later millisecond, as a restarted process does.
    vi.setSystemTime(Date.now() + 1);
    const second = memoryBroker();
    const [fresh] = await publishMany(second, "t", 1);
    expect(compareEventIds(fresh as string, old as string)).toBe(1);
    expect(await codeOf(open(second, "t", { lastEventId: old as string }).next())).toBe("HISTORY_GAP");
    await second.close();
  });
});

// What the conformance suite cannot see from outside: an ended subscriber costs the publisher nothing.
describe("memoryBroker: an ended subscriber is forgotten", () => {
  it("once cut with SLOW_CONSUMER", async () => {
    const push = vi.spyOn(SubscriberQueue.prototype, "push");
    const broker = memoryBroker({ queueSize: 4 });
    const slow = open(broker, "t");
    const fast = open(broker, "t");
    for (let n = 1; n <= 6; n++) {
      await broker.publish("t", { event: "n", data: n });
      await fast.next();
    }
    expect(await codeOf(slow.next())).toBe("SLOW_CONSUMER");
    push.mockClear();
    await broker.publish("t", { event: "n", data: 7 });
    expect(push).toHaveBeenCalledTimes(1);
    await broker.close();
  });

  it("once its signal aborts, and never registered when it was aborted already", async () => {
    const push = vi.spyOn(SubscriberQueue.prototype, "push");
    const broker = memoryBroker();
    const controller = new AbortController();
    const sub = open(broker, "t", { signal: controller.signal });
    const other = open(broker, "t");
    const pending = sub.next();
    controller.abort();
    await pending;
    push.mockClear();
    await broker.publish("t", { event: "n", data: 1 });
    expect(push).toHaveBeenCalledTimes(1);
    open(broker, "t", { signal: controller.signal });
    push.mockClear();
    await broker.publish("t", { event: "n", data: 2 });
    expect(push).toHaveBeenCalledTimes(1);
    expect((await take(other, 2)).map((m) => m.data)).toEqual([1, 2]);
    await broker.close();
  });

  it("once it leaves its for await loop", async () => {
    const push = vi.spyOn(SubscriberQueue.prototype, "push");
    const broker = memoryBroker();
    const iterable = broker.subscribe("t");
    const done = (async () => {
      for await (const message of iterable) if (message.data === 2) break;
    })();
    await broker.publish("t", { event: "n", data: 1 });
    await broker.publish("t", { event: "n", data: 2 });
    await done;
    push.mockClear();
    await broker.publish("t", { event: "n", data: 3 });
    expect(push).not.toHaveBeenCalled();
    await broker.close();
  });
});

describe("memoryBroker: presence", () => {
  it("close() leaves every member", async () => {
    const broker = memoryBroker();
    await broker.join("room");
    await broker.close();
    expect(await broker.count("room")).toBe(0);
  });
});

describe("memoryBroker's history sweep", () => {
  it("runs only with historyTtlMs, and close() stops it", async () => {
    vi.useFakeTimers();
    try {
      const before = vi.getTimerCount();
      const untimed = memoryBroker();
      expect(vi.getTimerCount()).toBe(before);
      const timed = memoryBroker({ historyTtlMs: 1_000 });
      expect(vi.getTimerCount()).toBe(before + 1);
      await timed.close();
      await untimed.close();
      expect(vi.getTimerCount()).toBe(before);
    } finally {
      vi.useRealTimers();
    }
  });
});
