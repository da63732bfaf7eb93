import { RivuletError, superjsonCodec } from "@rivulet/shared";
import { RUN_EVENT } from "@rivulet/shared/wire";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { memoryRunStore } from "./memory.js";
import { endEntry, errorEntry, type RunEntry, type RunInfo, type RunStore } from "./store.js";

const info = (id: string, owner = ""): RunInfo => ({ id, path: "chat/ask", owner });
const runId = (n: number): string => `run${String(n).padStart(19, "0")}`;
const first = (id: string): RunEntry => ({ seq: 0, event: RUN_EVENT, wire: { data: JSON.stringify({ runId: id }) } });
const token = (seq: number): RunEntry => ({ seq, event: "token", wire: superjsonCodec.encode(`t${seq}`) });

/** Every event id a watcher of `id` after `afterSeq` gets, and how it ends. */
async function ids(store: RunStore, id: string, afterSeq = -1): Promise<{ ids: string[]; error?: unknown }> {
  const seen: string[] = [];
  try {
    for await (const message of store.watch(id, afterSeq, new AbortController().signal)) seen.push(message.id);
  } catch (error) {
    return { ids: seen, error };
  }
  return { ids: seen };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("memoryRunStore", () => {
  it("compacts 1…upTo, keeps the run event, and lets a snapshot stand for what it dropped", async () => {
    const store = memoryRunStore();
    const id = runId(1);
    await store.create(info(id), first(id), () => {});
    await store.append(id, [1, 2, 3, 4, 5, 6].map(token));
    await store.compact(id, 3, undefined);
    await store.end(id, endEntry(7), 1_000);
    expect(await ids(store, id, 3)).toEqual({ ids: [4, 5, 6].map((n) => `${id}:${n}`) });
    expect((await ids(store, id, 2)).error).toMatchObject({ code: "HISTORY_GAP" });
    expect((await ids(store, id)).error).toMatchObject({ code: "HISTORY_GAP" });

    const snapped = runId(2);
    await store.create(info(snapped), first(snapped), () => {});
    await store.append(snapped, [1, 2, 3, 4].map(token));
    await store.compact(snapped, 2, { seq: 2, event: "snap", wire: superjsonCodec.encode({ text: "t1t2" }) });
    await store.compact(snapped, 3, { seq: 3, event: "snap", wire: superjsonCodec.encode({ text: "t1t2t3" }) });
    await store.end(snapped, endEntry(5), 1_000);
    expect(await ids(store, snapped)).toEqual({ ids: [0, 3, 4].map((n) => `${snapped}:${n}`) });
    expect(await ids(store, snapped, 1)).toEqual({ ids: [3, 4].map((n) => `${snapped}:${n}`) });
    expect(await ids(store, snapped, 3)).toEqual({ ids: [`${snapped}:4`] });
  });

  it("replays a history of 300,000 entries (no spread of it into one call)", async () => {
    const store = memoryRunStore();
    const id = runId(1);
    await store.create(info(id), first(id), () => {});
    const entries = Array.from({ length: 300_000 }, (_, i) => token(i + 1));
    await store.append(id, entries);
    await store.end(id, endEntry(300_001), 1_000);
    const { ids: seen, error } = await ids(store, id);
    expect(error).toBeUndefined();
    expect(seen.length).toBe(300_001);
    expect(seen.at(-1)).toBe(`${id}:300000`);
  });

  it("gives a watcher every entry before the end, then ends it with the run's error", async () => {
    const store = memoryRunStore();
    const id = runId(1);
    await store.create(info(id), first(id), () => {});
    const watcher = store.watch(id, -1, new AbortController().signal)[Symbol.asyncIterator]();
    await store.append(id, [token(1), token(2)]);
    await store.end(id, errorEntry(3, new RivuletError("INTERNAL_SERVER_ERROR", "boom")), 1_000);
    // Taken only now, after the end: nothing queued is dropped.
    expect((await watcher.next()).value).toMatchObject({ id: `${id}:0` });
    expect((await watcher.next()).value).toMatchObject({ id: `${id}:1`, data: "t1" });
    expect((await watcher.next()).value).toMatchObject({ id: `${id}:2`, data: "t2" });
    await expect(watcher.next()).rejects.toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "boom" });
  });

  it("says RUN_NOT_FOUND to a watcher of an unknown run", async () => {
    expect((await ids(memoryRunStore(), runId(9))).error).toMatchObject({ code: "RUN_NOT_FOUND" });
  });

  it("watched: true while watched, and for withinMs after the last watcher left (or the run began)", async () => {
    const store = memoryRunStore();
    const id = runId(1);
    await store.create(info(id), first(id), () => {});
    await vi.advanceTimersByTimeAsync(999);
    expect(await store.watched(id, 1_000)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(await store.watched(id, 1_000)).toBe(false);
    const leave = new AbortController();
    const watcher = store.watch(id, -1, leave.signal)[Symbol.asyncIterator]();
    await watcher.next();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await store.watched(id, 1_000)).toBe(true);
    leave.abort();
    await vi.advanceTimersByTimeAsync(999);
    expect(await store.watched(id, 1_000)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(await store.watched(id, 1_000)).toBe(false);
    expect(await store.watched(runId(2), 1_000)).toBe(false);
  });

  it("forgets expired runs after expiredKeptMs, and keeps at most maxExpired of them (the oldest go first)", async () => {
    const store = memoryRunStore({ expiredKeptMs: 10_000, maxExpired: 2 });
    for (const n of [1, 2, 3]) {
      await store.create(info(runId(n)), first(runId(n)), () => {});
      await store.end(runId(n), endEntry(1), 100);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(await store.lookup(runId(1))).toBeUndefined();
    expect(await store.lookup(runId(2))).toEqual({ found: "expired", info: info(runId(2)) });
    expect(await store.lookup(runId(3))).toEqual({ found: "expired", info: info(runId(3)) });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await store.lookup(runId(3))).toBeUndefined();
    // No timer is left for what was forgotten.
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps the histories of at most maxEnded ended runs: past it the oldest expires at once", async () => {
    const store = memoryRunStore({ maxEnded: 2 });
    for (const n of [1, 2, 3]) {
      await store.create(info(runId(n)), first(runId(n)), () => {});
      await store.append(runId(n), [token(1)]);
      await store.end(runId(n), endEntry(2), 60_000);
    }
    expect(await store.lookup(runId(1))).toEqual({ found: "expired", info: info(runId(1)) });
    expect(await ids(store, runId(2))).toEqual({ ids: [`${runId(2)}:0`, `${runId(2)}:1`] });
    expect(await ids(store, runId(3))).toEqual({ ids: [`${runId(3)}:0`, `${runId(3)}:1`] });
    await store.close();
  });

  it("stop: calls onStop once however often it is asked, and resolves when the run ends", async () => {
    const store = memoryRunStore();
    const id = runId(1);
    const onStop = vi.fn();
    await store.create(info(id), first(id), onStop);
    let stopped = 0;
    const stops = [store.stop(id), store.stop(id)].map((stop) => stop.then(() => stopped++));
    await vi.advanceTimersByTimeAsync(0);
    expect(onStop).toHaveBeenCalledTimes(1);
    expect(stopped).toBe(0);
    await store.end(id, endEntry(1), 1_000);
    await Promise.all(stops);
    expect(stopped).toBe(2);
    await store.stop(id);
    expect(onStop).toHaveBeenCalledTimes(1);
  });

  it("close: ends every watcher, releases waiting stops, refuses new runs, clears its timers", async () => {
    const store = memoryRunStore();
    const id = runId(1);
    await store.create(info(id), first(id), () => {});
    const ended = runId(2);
    await store.create(info(ended), first(ended), () => {});
    await store.end(ended, endEntry(1), 60_000);
    const watching = ids(store, id);
    const stopping = store.stop(id);
    await store.close();
    expect(await watching).toEqual({ ids: [`${id}:0`] });
    await stopping;
    await expect(store.create(info(runId(3)), first(runId(3)), () => {})).rejects.toBeInstanceOf(RivuletError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses bad options with INVALID_OPTION", () => {
    for (const options of [{ queueSize: 0 }, { expiredKeptMs: "1" }, { maxExpired: -1 }, { maxEnded: 0 }]) {
      expect(() => memoryRunStore(options as never)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
    }
  });
});
