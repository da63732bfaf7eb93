import { RivuletError } from "@rivulet/shared";
import { describe, expect, it, vi } from "vitest";
import { PUSH } from "../push.js";
import { SubscriberQueue } from "./queue.js";

function queue(limit = 3): { queue: SubscriberQueue<number>; onEnd: ReturnType<typeof vi.fn> } {
  const onEnd = vi.fn();
  return { queue: new SubscriberQueue<number>(limit, onEnd), onEnd };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof RivuletError ? error.code : String(error);
  }
  throw new Error("expected a rejection");
}

describe("SubscriberQueue", () => {
  it("hands out pushed items in order, and an item straight to a waiting reader", async () => {
    const { queue: q } = queue();
    const waiting = q.next();
    q.push(1);
    expect(await waiting).toEqual({ value: 1, done: false });
    q.push(2);
    q.push(3);
    expect(await q.next()).toEqual({ value: 2, done: false });
    expect(await q.next()).toEqual({ value: 3, done: false });
  });

  it("fails a reader more than `limit` items behind with SLOW_CONSUMER, drops its items and calls onEnd once", async () => {
    const { queue: q, onEnd } = queue(3);
    for (const n of [1, 2, 3]) q.push(n);
    expect(onEnd).not.toHaveBeenCalled();
    q.push(4);
    expect(onEnd).toHaveBeenCalledTimes(1);
    // Nothing queued survives the failure: the reader gets the error at once, not 1, 2, 3.
    expect(await codeOf(q.next())).toBe("SLOW_CONSUMER");
    q.push(5);
    q.end();
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it("never fails a reader that keeps up, however many items pass", async () => {
    const { queue: q, onEnd } = queue(2);
    for (let n = 0; n < 5_000; n++) {
      const next = q.next();
      q.push(n);
      expect((await next).value).toBe(n);
    }
    expect(onEnd).not.toHaveBeenCalled();
  });

  it("keeps order through its compaction of read items", async () => {
    const { queue: q } = queue(10_000);
    const seen: number[] = [];
    for (let n = 0; n < 6_000; n++) {
      q.push(n);
      // Reads one item for every two pushed, so the head index passes the compaction threshold.
      if (n % 2 === 1) seen.push((await q.next()).value as number);
    }
    while (seen.length < 6_000) seen.push((await q.next()).value as number);
    expect(seen).toEqual(Array.from({ length: 6_000 }, (_, n) => n));
  });

  it("does not count replayed history against the limit", async () => {
    const { queue: q, onEnd } = queue(2);
    q.replay([1, 2, 3, 4, 5]);
    q.push(6);
    q.push(7);
    expect(onEnd).not.toHaveBeenCalled();
    const values: number[] = [];
    for (let i = 0; i < 7; i++) values.push((await q.next()).value as number);
    expect(values).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("still fails a reader whose live items, after its replay, pass the limit", async () => {
    const { queue: q, onEnd } = queue(2);
    q.replay([1, 2, 3]);
    expect((await q.next()).value).toBe(1);
    q.push(4);
    q.push(5);
    expect(onEnd).not.toHaveBeenCalled();
    q.push(6);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(await codeOf(q.next())).toBe("SLOW_CONSUMER");
  });

  it("replays the first item straight to a waiting reader", async () => {
    const { queue: q } = queue();
    const waiting = q.next();
    q.replay([1, 2]);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
  });

  it("rejects a waiting reader when failed", async () => {
    const { queue: q, onEnd } = queue();
    const waiting = q.next();
    q.fail(new RivuletError("HISTORY_GAP", "gone"));
    expect(await codeOf(waiting)).toBe("HISTORY_GAP");
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it("end() resolves a waiting reader as done, drops what is queued, and calls onEnd once", async () => {
    const { queue: q, onEnd } = queue();
    const waiting = q.next();
    q.end();
    expect(await waiting).toEqual({ value: undefined, done: true });
    const { queue: r, onEnd: onEndR } = queue();
    r.push(1);
    r.end();
    r.end();
    expect(await r.next()).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(onEndR).toHaveBeenCalledTimes(1);
  });

  it("return() (a `break` out of for await) ends it", async () => {
    const { queue: q, onEnd } = queue();
    q.push(1);
    q.push(2);
    for await (const n of q) {
      expect(n).toBe(1);
      break;
    }
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(await q.next()).toEqual({ value: undefined, done: true });
    q.push(3);
    q.replay([4]);
    q.fail(new Error("late"));
    expect(await q.next()).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it("ends itself, calling onEnd once, when its signal aborts; an aborted signal gives an ended queue", async () => {
    const controller = new AbortController();
    const onEnd = vi.fn();
    const q = new SubscriberQueue<number>(3, onEnd, controller.signal);
    const waiting = q.next();
    controller.abort();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(onEnd).toHaveBeenCalledWith(q);
    const late = new SubscriberQueue<number>(3, onEnd, controller.signal);
    expect(late.closed).toBe(true);
    expect(onEnd).toHaveBeenCalledTimes(2);
  });
});

/** A consumer that records what it is handed and pauses when told to. */
function consumer(pauseAfter = Number.POSITIVE_INFINITY) {
  const items: number[] = [];
  const record = {
    items,
    completed: 0,
    failures: [] as unknown[],
    deliver: (item: number): boolean => {
      items.push(item);
      return items.length < pauseAfter;
    },
    complete: () => void record.completed++,
    fail: (error: unknown) => void record.failures.push(error),
  };
  return record;
}

describe("SubscriberQueue [PUSH]", () => {
  it("hands over queued items, then each live item from inside push, in order", () => {
    const { queue: q } = queue(10);
    q.replay([1, 2]);
    q.push(3);
    const c = consumer();
    q[PUSH](c);
    expect(c.items).toEqual([1, 2, 3]);
    q.push(4);
    // Synchronous: no promise, no microtask between publish and delivery.
    expect(c.items).toEqual([1, 2, 3, 4]);
    q.replay([]);
    q.push(5);
    expect(c.items).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps items while the consumer is paused, and hands them over in order on resume", () => {
    const { queue: q, onEnd } = queue(3);
    const c = consumer(1);
    q[PUSH](c);
    q.push(1);
    q.push(2);
    q.push(3);
    expect(c.items).toEqual([1]);
    c.deliver = (item) => {
      c.items.push(item);
      return true;
    };
    q.resume();
    expect(c.items).toEqual([1, 2, 3]);
    q.push(4);
    expect(c.items).toEqual([1, 2, 3, 4]);
    expect(onEnd).not.toHaveBeenCalled();
  });

  it("fails a consumer paused for more than `limit` items with SLOW_CONSUMER, once", () => {
    const { queue: q, onEnd } = queue(2);
    const c = consumer(1);
    q[PUSH](c);
    for (const n of [1, 2, 3, 4, 5]) q.push(n);
    expect(c.items).toEqual([1]);
    expect(c.failures).toHaveLength(1);
    expect(c.failures[0]).toMatchObject({ code: "SLOW_CONSUMER" });
    expect(onEnd).toHaveBeenCalledTimes(1);
    q.resume();
    expect(c.items).toEqual([1]);
  });

  it("tells the consumer of an end or failure, also one that came before attach", () => {
    const ended = queue();
    const c1 = consumer();
    ended.queue[PUSH](c1);
    ended.queue.end();
    ended.queue.end();
    expect(c1.completed).toBe(1);

    const gap = new RivuletError("HISTORY_GAP", "gone");
    const failed = queue();
    failed.queue.fail(gap);
    const c2 = consumer();
    failed.queue[PUSH](c2);
    expect(c2.failures).toEqual([gap]);
    expect(c2.completed).toBe(0);

    const early = queue();
    early.queue.end();
    const c3 = consumer();
    early.queue[PUSH](c3);
    expect(c3.completed).toBe(1);
  });

  it("stops handing over items once the consumer ends it from inside deliver", () => {
    const { queue: q, onEnd } = queue(10);
    q.replay([1, 2, 3]);
    const c = consumer();
    c.deliver = (item) => {
      c.items.push(item);
      if (item === 2) q.end();
      return true;
    };
    q[PUSH](c);
    expect(c.items).toEqual([1, 2]);
    expect(c.completed).toBe(1);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it("keeps the order of a live item pushed from inside the deliver of another", () => {
    const { queue: q } = queue(10);
    const c = consumer();
    c.deliver = (item) => {
      // As the stream loop does: encoding (user code) may publish before the item is written.
      if (item === 1) q.push(2);
      c.items.push(item);
      return true;
    };
    q[PUSH](c);
    q.push(1);
    expect(c.items).toEqual([1, 2]);
    q.push(3);
    expect(c.items).toEqual([1, 2, 3]);
  });

  it("keeps the order of an item pushed from inside deliver", () => {
    const { queue: q } = queue(10);
    q.replay([1, 2]);
    const c = consumer();
    c.deliver = (item) => {
      c.items.push(item);
      if (item === 1) q.push(3);
      return true;
    };
    q[PUSH](c);
    expect(c.items).toEqual([1, 2, 3]);
  });
});
