import { RivuletError } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compareEventIds } from "../resume.js";
import { memoryBroker } from "./memory.js";
import { SubscriberQueue } from "./queue.js";
import type { Broker, BrokerMessage } from "./types.js";

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
  it("assigns `<broker start ms>-<n>` IDs, monotonic per topic", async () => {
    const before = Date.now();
    const broker = memoryBroker();
    const after = Date.now();
    const a = await publishMany(broker, "a", 5);
    const b = await publishMany(broker, "b", 3);
    a.push(await broker.publish("a", { event: "n", data: 6 }));
    for (const ids of [a, b]) {
      for (const id of ids) {
        const [, ms] = /^(\d+)-(\d+)$/.exec(id) ?? [];
        expect(Number(ms)).toBeGreaterThanOrEqual(before);
        expect(Number(ms)).toBeLessThanOrEqual(after);
      }
      for (let i = 1; i < ids.length; i++) expect(compareEventIds(ids[i] as string, ids[i - 1] as string)).toBe(1);
    }
    expect(new Set([...a, ...b]).size).toBe(9);
    await broker.close();
  });

  it("delivers the ID it returns", async () => {
    const broker = memoryBroker();
    const sub = open(broker, "t");
    const id = await broker.publish("t", { event: "hello", data: { at: new Date(0) } });
    expect(await take(sub, 1)).toEqual([{ event: "hello", data: { at: new Date(0) }, id }]);
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

  it("takes custom IDs that grow, and refuses the others with INVALID_FIELD", async () => {
    const broker = memoryBroker();
    const sub = open(broker, "t");
    expect(await broker.publish("t", { event: "n", data: 1, id: "5" })).toBe("5");
    expect(await codeOf(broker.publish("t", { event: "n", data: 2, id: "5" }))).toBe("INVALID_FIELD");
    expect(await codeOf(broker.publish("t", { event: "n", data: 2, id: "4" }))).toBe("INVALID_FIELD");
    // Compared as numbers, not as strings: "10" comes after "5".
    expect(await broker.publish("t", { event: "n", data: 3, id: "10" })).toBe("10");
    expect(await codeOf(broker.publish("t", { event: "n", data: 4, id: "" }))).toBe("INVALID_FIELD");
    expect(await codeOf(broker.publish("t", { event: "n", data: 4, id: "11\n" }))).toBe("INVALID_FIELD");
    expect(await codeOf(broker.publish("t", { event: "n", data: 4, id: "11\0" }))).toBe("INVALID_FIELD");
    // Refused messages reached nobody.
    expect(await take(sub, 2)).toEqual([
      { event: "n", data: 1, id: "5" },
      { event: "n", data: 3, id: "10" },
    ]);
    await broker.close();
  });

  it("refuses bad options with a TypeError", () => {
    expect(() => memoryBroker({ historySize: -1 })).toThrow(TypeError);
    expect(() => memoryBroker({ queueSize: 0 })).toThrow(/queueSize/);
    expect(() => memoryBroker({ historyTtlMs: 0 })).toThrow(/historyTtlMs/);
    expect(() => memoryBroker({ historySize: Number.NaN })).toThrow(/historySize/);
  });
});

describe("memoryBroker: history and resume", () => {
  it("keeps the last `historySize` messages; a resume from exactly the last dropped ID is not a gap", async () => {
    const broker = memoryBroker({ historySize: 3 });
    const ids = await publishMany(broker, "t", 5); // keeps 3, 4, 5
    const fromLastDropped = open(broker, "t", { lastEventId: ids[1] });
    expect((await take(fromLastDropped, 3)).map((m) => m.data)).toEqual([3, 4, 5]);
    const fromKept = open(broker, "t", { lastEventId: ids[3] });
    expect(await take(fromKept, 1)).toEqual([{ event: "n", data: 5, id: ids[4] }]);
    expect(await codeOf(open(broker, "t", { lastEventId: ids[0] }).next())).toBe("HISTORY_GAP");
    await broker.close();
  });

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

  it("replays the history after the ID, then live messages, with no duplicate at the seam", async () => {
    const broker = memoryBroker();
    const ids = await publishMany(broker, "t", 4);
    const resumed = open(broker, "t", { lastEventId: ids[1] });
    await broker.publish("t", { event: "n", data: 5 });
    await broker.publish("t", { event: "n", data: 6 });
    expect((await take(resumed, 4)).map((m) => m.data)).toEqual([3, 4, 5, 6]);
    const fromNewest = open(broker, "t", { lastEventId: (await broker.publish("t", { event: "n", data: 7 })) });
    await broker.publish("t", { event: "n", data: 8 });
    expect((await take(fromNewest, 1)).map((m) => m.data)).toEqual([8]);
    await broker.close();
  });

  it("is a gap for an unknown ID, an ID of another topic, a previous run, or a topic without history", async () => {
    const broker = memoryBroker();
    const [otherTopic] = await publishMany(broker, "other", 1);
    await publishMany(broker, "t", 2);
    expect(await codeOf(open(broker, "t", { lastEventId: "nonsense" }).next())).toBe("HISTORY_GAP");
    expect(await codeOf(open(broker, "t", { lastEventId: otherTopic as string }).next())).toBe("HISTORY_GAP");
    expect(await codeOf(open(broker, "t", { lastEventId: "1-1" }).next())).toBe("HISTORY_GAP");
    expect(await codeOf(open(broker, "fresh", { lastEventId: "1-1" }).next())).toBe("HISTORY_GAP");
    const error = await open(broker, "t", { lastEventId: "x" })
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).message).toMatch(/"t".*"x"/);
    await broker.close();
  });

  it("a restarted process's broker refuses IDs of the previous run with HISTORY_GAP", async () => {
    const first = memoryBroker();
    const [old] = await publishMany(first, "t", 3);
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = memoryBroker();
    const [fresh] = await publishMany(second, "t", 1);
    expect(compareEventIds(fresh as string, old as string)).toBe(1);
    expect(await codeOf(open(second, "t", { lastEventId: old as string }).next())).toBe("HISTORY_GAP");
    await second.close();
  });
});

describe("memoryBroker: subscribers", () => {
  it("delivers every message exactly once and in order to every subscriber", async () => {
    const broker = memoryBroker();
    const subs = Array.from({ length: 10 }, () => open(broker, "t"));
    await publishMany(broker, "t", 50);
    for (const sub of subs) expect((await take(sub, 50)).map((m) => m.data)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await broker.close();
  });

  it("cuts a subscriber that falls more than queueSize behind with SLOW_CONSUMER; the others are unaffected", async () => {
    const push = vi.spyOn(SubscriberQueue.prototype, "push");
    const broker = memoryBroker({ queueSize: 4 });
    const slow = open(broker, "t");
    const fast = open(broker, "t");
    const received: unknown[] = [];
    let slowLast = "";
    for (let n = 1; n <= 20; n++) {
      await broker.publish("t", { event: "n", data: n });
      received.push((await fast.next()).value?.data);
      // The slow one reads the first message only.
      if (n === 1) slowLast = (await take(slow, 1))[0]?.id ?? "";
    }
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // What was queued is dropped with it: the error comes first, then the end.
    expect(await codeOf(slow.next())).toBe("SLOW_CONSUMER");
    // It no longer costs the publisher anything: only the fast one is pushed to.
    push.mockClear();
    await broker.publish("t", { event: "n", data: 21 });
    expect(push).toHaveBeenCalledTimes(1);
    // It catches up from history, as its client would after reconnecting.
    const resumed = open(broker, "t", { lastEventId: slowLast });
    expect((await take(resumed, 20)).map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    await broker.close();
  });

  // Regression: replayed history counted against queueSize, so a client resuming from far back
  // was cut with SLOW_CONSUMER by the first live message, again and again.
  it("does not cut a resuming subscriber whose replay is longer than queueSize", async () => {
    const broker = memoryBroker({ queueSize: 5, historySize: 100 });
    const ids = await publishMany(broker, "t", 50);
    const resumed = open(broker, "t", { lastEventId: ids[0] });
    await broker.publish("t", { event: "n", data: 51 });
    expect((await take(resumed, 50)).map((m) => m.data)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    await broker.close();
  });

  it("ends a subscription when its signal aborts, and forgets the subscriber", async () => {
    const push = vi.spyOn(SubscriberQueue.prototype, "push");
    const broker = memoryBroker();
    const controller = new AbortController();
    const sub = open(broker, "t", { signal: controller.signal });
    const other = open(broker, "t");
    const pending = sub.next();
    controller.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
    push.mockClear();
    await broker.publish("t", { event: "n", data: 1 });
    expect(push).toHaveBeenCalledTimes(1);
    expect(await sub.next()).toEqual({ value: undefined, done: true });
    expect((await take(other, 1))[0]?.data).toBe(1);
    // An already aborted signal gives an ended subscription that never registers.
    push.mockClear();
    const late = open(broker, "t", { signal: controller.signal });
    await broker.publish("t", { event: "n", data: 2 });
    expect(push).toHaveBeenCalledTimes(1);
    expect(await late.next()).toEqual({ value: undefined, done: true });
    await broker.close();
  });

  it("forgets a subscriber that leaves its for await loop", async () => {
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

  it("close() ends every subscriber and refuses further publishes", async () => {
    const broker = memoryBroker();
    const a = open(broker, "a");
    const b = open(broker, "b");
    const pending = a.next();
    await broker.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await b.next()).toEqual({ value: undefined, done: true });
    expect(await codeOf(broker.publish("a", { event: "n", data: 1 }))).toBe("INTERNAL_SERVER_ERROR");
    expect(await open(broker, "a").next()).toEqual({ value: undefined, done: true });
  });
});

describe("memoryBroker: presence", () => {
  it("counts members per topic; leave() is idempotent", async () => {
    const broker = memoryBroker();
    expect(await broker.count("room")).toBe(0);
    const leaveA = await broker.join("room");
    const leaveB = await broker.join("room");
    await broker.join("other");
    expect(await broker.count("room")).toBe(2);
    expect(await broker.count("other")).toBe(1);
    await leaveA();
    await leaveA();
    expect(await broker.count("room")).toBe(1);
    await leaveB();
    expect(await broker.count("room")).toBe(0);
    await broker.close();
  });

  it("leaves when the signal aborts, and does not count a join with an aborted signal", async () => {
    const broker = memoryBroker();
    const controller = new AbortController();
    const leave = await broker.join("room", { signal: controller.signal });
    await broker.join("room");
    expect(await broker.count("room")).toBe(2);
    controller.abort();
    expect(await broker.count("room")).toBe(1);
    await leave();
    expect(await broker.count("room")).toBe(1);
    await broker.join("room", { signal: controller.signal });
    expect(await broker.count("room")).toBe(1);
    await broker.close();
  });

  it("keeps a topic's history while its members come and go", async () => {
    const broker = memoryBroker();
    const leave = await broker.join("room");
    const [id] = await publishMany(broker, "room", 2);
    await leave();
    expect((await take(open(broker, "room", { lastEventId: id as string }), 1))[0]?.data).toBe(2);
    await broker.close();
  });

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
