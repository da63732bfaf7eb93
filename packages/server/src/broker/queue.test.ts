import { RivuletError } from "@rivulet/shared";
import { describe, expect, it, vi } from "vitest";
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
});
