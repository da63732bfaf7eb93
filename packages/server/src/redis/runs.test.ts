import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { RivuletError, defineContract, stream, superjsonCodec } from "@rivulet/shared";
import { newRunId } from "@rivulet/shared/wire";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { SubscriberQueue } from "../broker/queue.js";
import { createRunHost, type DurableRoute, type RunArgs } from "../runs/host.js";
import { endEntry, errorEntry, isRunEnding, type RunEntry, type RunInfo, type RunStore } from "../runs/store.js";
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../test-utils/redis.js";
import { redisRunStore, type RedisRunStoreOptions } from "./runs.js";

const reachable = await checkRedis("the redisRunStore unit tests");
const admin = reachable ? new Redis(REDIS_URL) : undefined;

const cleanups: Array<() => Promise<void> | void> = [];
const prefixes: string[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const prefix of prefixes.splice(0)) await deleteKeys(admin as Redis, prefix);
});
afterAll(async () => {
  await admin?.quit();
});

function newPrefix(name: string): string {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return prefix;
}

/** A store on `prefix`, with its own client: one process of several sharing a Redis. */
function makeStore(prefix: string, options: RedisRunStoreOptions = {}): RunStore {
  const store = redisRunStore({ url: REDIS_URL, keyPrefix: prefix, blockMs: 1_000, onError: () => {}, ...options });
  cleanups.push(() => store.close());
  return store;
}

/** Two stores on one prefix, standing for processes A and B. */
function twoProcesses(name: string, options: RedisRunStoreOptions = {}): [RunStore, RunStore, string] {
  const prefix = newPrefix(name);
  return [makeStore(prefix, options), makeStore(prefix, options), prefix];
}

const runEvent = (id: string): RunEntry => ({ seq: 0, event: "rivulet:run", wire: { data: JSON.stringify({ runId: id }) } });
const token = (seq: number, data: unknown = `t${seq}`): RunEntry => ({ seq, event: "token", wire: superjsonCodec.encode(data) });
const tokens = (from: number, to: number): RunEntry[] => Array.from({ length: to - from + 1 }, (_, i) => token(from + i));

/** Creates a run on `store`; `onStop` ends it there (as the run host does once its handler returned). */
async function startRun(store: RunStore, info: Partial<RunInfo> = {}, onStop?: () => void): Promise<RunInfo> {
  const id = newRunId();
  const full: RunInfo = { id, path: "chat/ask", owner: "", ...info };
  await store.create(full, runEvent(id), onStop ?? (() => {}));
  return full;
}

interface Watched {
  ids: string[];
  events: string[];
  data: unknown[];
  error: unknown;
}

/** Reads a watcher to its end. */
async function drain(iterable: AsyncIterable<{ id: string; event: string; data: unknown }>): Promise<Watched> {
  const watched: Watched = { ids: [], events: [], data: [], error: undefined };
  try {
    for await (const message of iterable) {
      watched.ids.push(message.id);
      watched.events.push(message.event);
      watched.data.push(message.data);
    }
  } catch (error) {
    watched.error = error;
  }
  return watched;
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

async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ids = (id: string, seqs: number[]): string[] => seqs.map((seq) => `${id}:${seq}`);
/** A signal that never aborts, shared by many watchers of a test (each adds a listener, as a connection's own signal would). */
const never = new AbortController().signal;
setMaxListeners(0, never);

describe("redisRunStore options", () => {
  it.each([
    [{ runnerTtlMs: 0 }],
    [{ keyPrefix: 1 }],
    [{ queueSize: 1.5 }],
    [{ blockMs: -1 }],
    [{ readConnections: 0 }],
    [{ expiredKeptMs: "1h" }],
    [{ onError: "log" }],
  ])("refuses %o with INVALID_OPTION", (options) => {
    expect(() => redisRunStore(options as RedisRunStoreOptions)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });
});

describe.skipIf(!reachable)("redisRunStore across two processes", () => {
  it("looks up on B a run created on A; an unknown id is undefined", async () => {
    const [a, b] = twoProcesses("lookup");
    const info = await startRun(a, { owner: "alice" });
    expect(await b.lookup(info.id)).toStrictEqual({ found: "run", info, state: "running" });
    expect(await b.lookup(newRunId())).toBeUndefined();
  });

  it("watches on B: the replay, then the live entries, each once and in order, then the end", async () => {
    const [a, b] = twoProcesses("watch");
    const { id } = await startRun(a);
    await a.append(id, tokens(1, 3));
    const watcher = b.watch(id, -1, never);
    const iterator = watcher[Symbol.asyncIterator]();
    // A watcher is a push source, as a broker subscription is.
    expect(iterator).toBeInstanceOf(SubscriberQueue);
    const first = await iterator.next();
    expect(first.value).toMatchObject({ id: `${id}:0`, event: "rivulet:run", data: { runId: id } });
    const second = b.watch(id, 1, never);
    const rest = drain({ [Symbol.asyncIterator]: () => iterator });
    const late = drain(second);
    await a.append(id, tokens(4, 6));
    await a.append(id, [token(7, { at: new Date(0), n: 7n })]);
    await a.end(id, endEntry(8), 60_000);
    const got = await rest;
    expect(got.error).toBeUndefined();
    expect(got.ids).toStrictEqual(ids(id, [1, 2, 3, 4, 5, 6, 7]));
    expect(got.data.slice(0, 6)).toStrictEqual(["t1", "t2", "t3", "t4", "t5", "t6"]);
    // The superjson halves travel whole: a Date and a BigInt come back as they were.
    expect(got.data[6]).toStrictEqual({ at: new Date(0), n: 7n });
    expect((await late).ids).toStrictEqual(ids(id, [2, 3, 4, 5, 6, 7]));
  });

  it("keeps the order of appends fired without awaiting each", async () => {
    const [a, b] = twoProcesses("order");
    const { id } = await startRun(a);
    const watching = drain(b.watch(id, 0, never));
    await Promise.all(tokens(1, 300).map((entry) => a.append(id, [entry])));
    await a.end(id, endEntry(301), 60_000);
    const got = await watching;
    expect(got.error).toBeUndefined();
    expect(got.ids).toStrictEqual(ids(id, tokens(1, 300).map((entry) => entry.seq)));
  });

  it("gives watchers that join while entries are appended each entry after their afterSeq once, in order", async () => {
    const [a, b] = twoProcesses("join-race");
    const { id } = await startRun(a);
    const watchers: Array<[number, Promise<Watched>]> = [];
    for (let seq = 1; seq <= 400; seq++) {
      void a.append(id, [token(seq)]);
      // Joins at every tenth entry, on B, resuming from somewhere behind what was appended.
      if (seq % 10 === 0) watchers.push([seq - 15, drain(b.watch(id, seq - 15, never))]);
      if (seq % 50 === 0) await sleep(1);
    }
    await a.end(id, endEntry(401), 60_000);
    for (const [afterSeq, watching] of watchers) {
      const got = await watching;
      expect(got.error).toBeUndefined();
      const from = Math.max(afterSeq + 1, 0);
      expect(got.ids).toStrictEqual(ids(id, Array.from({ length: 401 - from }, (_, i) => from + i)));
    }
  });

  it("reads every run watched in a process over at most readConnections connections, however many runs and watchers", async () => {
    const prefix = newPrefix("read-loops");
    const name = `p5-read-loops-${Math.random().toString(36).slice(2)}`;
    // Named, so that its connections are told apart from those of any other test using the Redis.
    const client = new Redis(REDIS_URL, { connectionName: name });
    cleanups.push(() => void client.quit());
    const a = makeStore(prefix);
    // A read blocks for ten minutes: a run joining a loop whose read is blocked is read only if the loop is woken.
    const b = makeStore(prefix, { client, readConnections: 3, blockMs: 600_000 });
    const named = async (): Promise<number> =>
      ((await (admin as Redis).client("LIST")) as string).split("\n").filter((line) => line.includes(` name=${name} `)).length;
    const runs: RunInfo[] = [];
    for (let n = 0; n < 12; n++) runs.push(await startRun(a));
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    cleanups.push(() => controller.abort());
    const watchers: Array<AsyncIterator<{ id: string }>> = [];
    for (const { id } of runs) {
      // One at a time, each once the loops read the runs before it: most join a loop blocked in its read.
      const pair = [b.watch(id, -1, controller.signal), b.watch(id, 0, controller.signal)].map((watcher) => watcher[Symbol.asyncIterator]());
      expect((await pair[0]?.next())?.value?.id).toBe(`${id}:0`);
      await a.append(id, [token(1)]);
      for (const watcher of pair) expect((await watcher.next()).value?.id).toBe(`${id}:1`);
      watchers.push(...pair);
    }
    // The client itself and three read loops, for twelve runs and twenty-four watchers.
    expect(await named()).toBe(4);
    // Each run's next entries reach its watchers, in order, through the shared loops.
    await Promise.all(runs.map(({ id }) => a.append(id, tokens(2, 3))));
    for (const watcher of watchers) {
      const got = [(await watcher.next()).value?.id, (await watcher.next()).value?.id];
      expect(got.map((seen) => seen?.slice(seen.indexOf(":") + 1))).toStrictEqual(["2", "3"]);
    }
    controller.abort();
    // Once nobody watches a run here, no loop reads it; a loop reading none closes its connection.
    await eventually(async () => (await named()) === 1, "the read loops to close");
  });

  it("reads on after a read loop's connection is killed: every entry once, in order", async () => {
    const prefix = newPrefix("loop-killed");
    const name = `p5-loop-killed-${Math.random().toString(36).slice(2)}`;
    const client = new Redis(REDIS_URL, { connectionName: name });
    cleanups.push(() => void client.quit());
    const a = makeStore(prefix);
    const b = makeStore(prefix, { client, readConnections: 1 });
    const runs = [(await startRun(a)).id, (await startRun(a)).id];
    const watching = runs.map((id) => drain(b.watch(id, 0, never)));
    for (const id of runs) await a.append(id, tokens(1, 3));
    await eventually(async () => (await a.watched(runs[1] as string, 1)) && (await a.watched(runs[0] as string, 1)), "B's watchers");
    const loops = async (): Promise<string[]> =>
      ((await (admin as Redis).client("LIST")) as string)
        .split("\n")
        .filter((line) => line.includes(` name=${name} `) && line.includes(" cmd=xread"))
        .map((line) => /(?:^| )id=(\d+)/.exec(line)?.[1] ?? "");
    await eventually(async () => (await loops()).length === 1, "the read loop to block");
    for (const id of await loops()) await (admin as Redis).client("KILL", "ID", id);
    for (const id of runs) {
      await a.append(id, tokens(4, 6));
      await a.end(id, endEntry(7), 60_000);
    }
    for (const [n, got] of (await Promise.all(watching)).entries()) {
      expect(got.error).toBeUndefined();
      expect(got.ids).toStrictEqual(ids(runs[n] as string, [1, 2, 3, 4, 5, 6]));
    }
  });

  it("keeps each run's entries in order and once across runs sharing one read loop, as watchers join and leave and runs end", async () => {
    const [a, b] = twoProcesses("shared-loop", { readConnections: 1 });
    const runs: string[] = [];
    for (let n = 0; n < 8; n++) runs.push((await startRun(a)).id);
    const watching: Array<[string, number, number, Promise<Watched>]> = [];
    const leaving = new AbortController();
    for (let seq = 1; seq <= 60; seq++) {
      for (const [index, id] of runs.entries()) {
        // Run `index` ends after 20 + 5 × index entries: some loops' logs go while others go on.
        const last = 20 + 5 * index;
        if (seq < last) void a.append(id, [token(seq)]);
        else if (seq === last) void a.end(id, endEntry(seq), 60_000);
        if (seq % 7 === index % 7 && seq < last) watching.push([id, seq - 3, last, drain(b.watch(id, seq - 3, never))]);
      }
      // Watchers of run 0 that leave early: their run goes on for the others.
      if (seq % 9 === 0) void drain(b.watch(runs[0] as string, seq, leaving.signal));
      if (seq === 30) leaving.abort();
      if (seq % 10 === 0) await sleep(1);
    }
    expect(watching.length).toBeGreaterThan(30);
    for (const [id, afterSeq, last, got] of watching) {
      const watched = await got;
      expect(watched.error).toBeUndefined();
      const from = Math.max(afterSeq + 1, 0);
      expect(watched.ids).toStrictEqual(ids(id, Array.from({ length: last - from }, (_, i) => from + i)));
    }
  });

  it("skips entries appended again (a command ioredis resent after a broken connection), and refuses appends to an ended run", async () => {
    const [a, b] = twoProcesses("resend");
    const { id } = await startRun(a);
    await a.append(id, tokens(1, 3));
    await a.append(id, tokens(2, 4));
    await a.end(id, endEntry(5), 60_000);
    expect(await drain(b.watch(id, 0, never))).toMatchObject({ ids: ids(id, [1, 2, 3, 4]), error: undefined });
    expect(await codeOf(a.append(id, [token(6)]))).toBe("INTERNAL_SERVER_ERROR");
    expect(await codeOf(a.append(newRunId(), [token(1)]))).toBe("RUN_NOT_FOUND");
  });

  it("replays a finished run to its end; a resume at the end ends at once", async () => {
    const [a, b] = twoProcesses("finished");
    const { id } = await startRun(a);
    await a.append(id, tokens(1, 4));
    await a.end(id, endEntry(5), 60_000);
    expect(await b.lookup(id)).toMatchObject({ found: "run", state: "ended" });
    const whole = await drain(b.watch(id, -1, never));
    expect(whole).toMatchObject({ ids: ids(id, [0, 1, 2, 3, 4]), error: undefined });
    expect(await drain(b.watch(id, 4, never))).toMatchObject({ ids: [], error: undefined });
  });

  it("ends a resume at or past the end of an ended run at once: quietly after rivulet:end, with the error after rivulet:error", async () => {
    const [a, b] = twoProcesses("past-end");
    const completed = await startRun(a);
    await a.append(completed.id, tokens(1, 3));
    await a.end(completed.id, endEntry(4), 60_000);
    const failed = await startRun(a);
    await a.append(failed.id, tokens(1, 3));
    await a.end(failed.id, errorEntry(4, new RivuletError("INVALID_EVENT", "bad")), 60_000);
    // 3: the last event; 4: the end entry itself; then far past it (the largest seq a run event id may carry).
    for (const afterSeq of [3, 4, 5, 999_999_999_999_999]) {
      expect(await drain(b.watch(completed.id, afterSeq, never))).toMatchObject({ ids: [], error: undefined });
      const got = await drain(b.watch(failed.id, afterSeq, never));
      expect(got.ids).toStrictEqual([]);
      expect(got.error).toMatchObject({ code: "INVALID_EVENT", message: "bad" });
      expect(isRunEnding(got.error)).toBe(true);
    }
  });

  it("ends a watcher that resumed past the last entry of a running run when the run ends, without the entries it said it had", async () => {
    const [a, b] = twoProcesses("past-running");
    const completed = await startRun(a);
    const failed = await startRun(a);
    await a.append(completed.id, tokens(1, 2));
    await a.append(failed.id, tokens(1, 2));
    const farAhead = [drain(b.watch(completed.id, 999_999_999_999_999, never)), drain(b.watch(failed.id, 5, never))];
    // Both are live on B before the runs go on.
    await eventually(async () => (await a.watched(completed.id, 1)) && (await a.watched(failed.id, 1)), "B's watchers");
    await a.append(completed.id, tokens(3, 4));
    await a.append(failed.id, tokens(3, 6));
    await a.end(completed.id, endEntry(5), 60_000);
    await a.end(failed.id, errorEntry(7, new RivuletError("INVALID_EVENT", "bad")), 60_000);
    const [quiet, failing] = await Promise.all(farAhead);
    expect(quiet).toMatchObject({ ids: [], error: undefined });
    expect(failing?.ids).toStrictEqual(ids(failed.id, [6]));
    expect(failing?.error).toMatchObject({ code: "INVALID_EVENT" });
  });

  it("fails the watchers of a run that ended with rivulet:error with its error, marked as the run's ending", async () => {
    const [a, b] = twoProcesses("error");
    const { id } = await startRun(a);
    const live = drain(b.watch(id, -1, never));
    await a.append(id, tokens(1, 2));
    await a.end(id, errorEntry(3, new RivuletError("INVALID_EVENT", "bad")), 60_000);
    for (const got of [await live, await drain(b.watch(id, 1, never))]) {
      expect(got.error).toBeInstanceOf(RivuletError);
      expect(got.error).toMatchObject({ code: "INVALID_EVENT", message: "bad" });
      expect(isRunEnding(got.error)).toBe(true);
    }
    expect((await live).ids).toStrictEqual(ids(id, [0, 1, 2]));
  });

  it("ends a watcher quietly when its signal aborts", async () => {
    const [a, b] = twoProcesses("abort");
    const { id } = await startRun(a);
    const controller = new AbortController();
    const iterator = b.watch(id, 0, controller.signal)[Symbol.asyncIterator]();
    const pending = iterator.next();
    controller.abort();
    expect(await pending).toStrictEqual({ value: undefined, done: true });
  });

  it("stops from B: A's onStop runs, and stop resolves once the end is recorded; an ended run's stop resolves at once", async () => {
    const [a, b] = twoProcesses("stop");
    const order: string[] = [];
    let info: RunInfo | undefined;
    const ended = new Promise<void>((resolve) => {
      void startRun(a, {}, () => {
        order.push("onStop");
        // The handler's `finally` takes a while: stop must wait for the end, not for the request.
        void sleep(50)
          .then(() => order.push("finally ran"))
          .then(() => a.end((info as RunInfo).id, endEntry(2), 60_000))
          .then(resolve);
      }).then((started) => (info = started));
    });
    await eventually(() => info !== undefined, "the run to start");
    const { id } = info as RunInfo;
    await a.append(id, [token(1)]);
    const watching = drain(b.watch(id, -1, never));
    await b.stop(id);
    order.push("stop resolved");
    expect(await b.lookup(id)).toMatchObject({ state: "ended" });
    await ended;
    expect(order).toStrictEqual(["onStop", "finally ran", "stop resolved"]);
    expect(await watching).toMatchObject({ ids: ids(id, [0, 1]), error: undefined });
    // Once ended: at once, from either process, and onStop is not called again.
    await b.stop(id);
    await a.stop(id);
    expect(order.filter((step) => step === "onStop")).toHaveLength(1);
  });

  it("stops a run from its own process too", async () => {
    const [a] = twoProcesses("stop-local");
    let stops = 0;
    let id = "";
    const info = await startRun(a, {}, () => {
      stops++;
      void a.end(id, endEntry(1), 60_000);
    });
    id = info.id;
    await a.stop(id);
    expect(stops).toBe(1);
    expect(await a.lookup(id)).toMatchObject({ found: "run", state: "ended" });
  });

  it("says whether a run was watched, from any process", async () => {
    const [a, b] = twoProcesses("watched");
    const { id } = await startRun(a);
    // A run that just started counts as watched.
    expect(await a.watched(id, 60_000)).toBe(true);
    await eventually(async () => !(await a.watched(id, 1)), "the start to fall out of a 1 ms window");
    const controller = new AbortController();
    const watching = drain(b.watch(id, 0, controller.signal));
    await eventually(() => a.watched(id, 1), "B's watcher to count on A");
    controller.abort();
    await watching;
    await eventually(async () => !(await a.watched(id, 1)), "B's watcher to leave");
    expect(await a.watched(id, 60_000)).toBe(true);
    expect(await b.watched(newRunId(), 60_000)).toBe(false);
  });
});

describe.skipIf(!reachable)("redisRunStore retention and compaction", () => {
  it("expires an ended run's history after retentionMs; the tombstone answers expired", async () => {
    const [a, b, prefix] = twoProcesses("expiry", { expiredKeptMs: 60_000 });
    const info = await startRun(a, { owner: "o" });
    await a.append(id(info), tokens(1, 2));
    await a.end(id(info), endEntry(3), 200);
    const keys = (await (admin as Redis).keys(`${prefix}run:${info.id}:*`)).sort();
    expect(keys.map((key) => key.slice(key.lastIndexOf(":") + 1))).toStrictEqual(["gone", "info", "log", "watch"]);
    for (const key of keys) {
      const ttl = await (admin as Redis).pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(key.endsWith(":gone") ? 60_200 : 200);
    }
    await eventually(async () => (await b.lookup(info.id))?.found === "expired", "the run to expire");
    expect(await b.lookup(info.id)).toStrictEqual({ found: "expired", info });
    expect((await drain(b.watch(info.id, -1, never))).error).toMatchObject({ code: "RUN_EXPIRED" });
    expect((await drain(b.watch(newRunId(), -1, never))).error).toMatchObject({ code: "RUN_NOT_FOUND" });
  });

  it("replays the snapshot for compacted entries, and HISTORY_GAP without one", async () => {
    const [a, b] = twoProcesses("compact");
    const { id } = await startRun(a);
    await a.append(id, tokens(1, 10));
    await a.compact(id, 6, { seq: 6, event: "snap", wire: superjsonCodec.encode({ text: "t1…t6" }) });
    const whole = await collect(b, id, -1, 10);
    expect(whole.ids).toStrictEqual(ids(id, [0, 6, 7, 8, 9, 10]));
    expect(whole.events.slice(0, 2)).toStrictEqual(["rivulet:run", "snap"]);
    expect(whole.data[1]).toStrictEqual({ text: "t1…t6" });
    expect((await collect(b, id, 3, 10)).ids).toStrictEqual(ids(id, [6, 7, 8, 9, 10]));
    expect((await collect(b, id, 6, 10)).ids).toStrictEqual(ids(id, [7, 8, 9, 10]));
    // A later compaction without a snapshot function: entries up to 8 are gone, and nothing stands for them.
    await a.compact(id, 8, undefined);
    expect((await drain(b.watch(id, 3, never))).error).toMatchObject({ code: "HISTORY_GAP" });
    expect((await drain(b.watch(id, -1, never))).error).toMatchObject({ code: "HISTORY_GAP" });
    expect((await collect(b, id, 8, 10)).ids).toStrictEqual(ids(id, [9, 10]));
    // The compacted log goes on: a live watcher gets what follows.
    const live = drain(b.watch(id, 10, never));
    await a.append(id, tokens(11, 12));
    await a.end(id, endEntry(13), 60_000);
    expect(await live).toMatchObject({ ids: ids(id, [11, 12]), error: undefined });
  });
});

describe.skipIf(!reachable)("redisRunStore when the runner dies", () => {
  it("fails every watcher with RUN_LOST, says lost, refuses stop and appends — once A stops refreshing its liveness", async () => {
    const prefix = newPrefix("lost");
    // A's own client, cut off below it: its heartbeat stops reaching Redis, as if the process had frozen or died.
    const aClient = new Redis(REDIS_URL);
    aClient.on("error", () => {});
    cleanups.push(() => aClient.disconnect());
    const a = makeStore(prefix, { client: aClient, runnerTtlMs: 1_000 });
    const b = makeStore(prefix, { runnerTtlMs: 1_000 });
    const c = makeStore(prefix, { runnerTtlMs: 1_000 });
    const { id } = await startRun(a);
    await a.append(id, tokens(1, 2));
    const onB = drain(b.watch(id, -1, never));
    const onC = drain(c.watch(id, 1, never));
    await eventually(() => b.watched(id, 1), "B's watcher");
    aClient.disconnect();
    for (const got of [await onB, await onC]) {
      expect(got.error).toBeInstanceOf(RivuletError);
      expect(got.error).toMatchObject({ code: "RUN_LOST", status: 410 });
      expect(isRunEnding(got.error)).toBe(false);
    }
    expect((await onB).ids).toStrictEqual(ids(id, [0, 1, 2]));
    expect((await onC).ids).toStrictEqual(ids(id, [2]));
    expect(await b.lookup(id)).toMatchObject({ found: "run", state: "lost" });
    expect(await codeOf(c.stop(id))).toBe("RUN_LOST");
    expect((await drain(c.watch(id, 2, never))).error).toMatchObject({ code: "RUN_LOST" });
    // At the lost entry (seq 3) and past it too.
    for (const afterSeq of [3, 999_999_999_999_999]) expect(await drain(c.watch(id, afterSeq, never))).toMatchObject({ ids: [], error: { code: "RUN_LOST" } });
    // Were A to come back, the run is not its any more.
    const back = makeStore(prefix);
    expect(await codeOf(back.append(id, [token(3)]))).toBe("RUN_LOST");
  });

  it("marks a closed process's running runs lost (close() without end), and a stop waiting on them rejects", async () => {
    const [a, b] = twoProcesses("closed", { runnerTtlMs: 1_000 });
    const { id } = await startRun(a);
    let stopped = 0;
    const other = await startRun(a, {}, () => stopped++);
    const watching = drain(b.watch(id, -1, never));
    await eventually(() => b.watched(id, 1), "B's watcher");
    // A stop asked of a runner that never ends the run, and then dies.
    const stopping = codeOf(b.stop(other.id));
    await eventually(() => stopped === 1, "A to be asked to stop");
    await a.close();
    expect((await watching).error).toMatchObject({ code: "RUN_LOST" });
    expect(await stopping).toBe("RUN_LOST");
    expect(await b.lookup(id)).toMatchObject({ state: "lost" });
  });

  it("marks lost, and sets to expire, the runs of a dead runner that nobody watches or looks up", async () => {
    const prefix = newPrefix("sweep");
    const aClient = new Redis(REDIS_URL);
    aClient.on("error", () => {});
    cleanups.push(() => aClient.disconnect());
    const a = makeStore(prefix, { client: aClient, runnerTtlMs: 1_000, expiredKeptMs: 60_000 });
    // Another process, idle: no run of its own, no watcher, no lookup.
    makeStore(prefix, { runnerTtlMs: 1_000, expiredKeptMs: 60_000 });
    const runs = [await startRun(a), await startRun(a)];
    const ended = await startRun(a);
    await a.end(ended.id, endEntry(1), 60_000);
    await a.append(runs[0]?.id ?? "", tokens(1, 2));
    aClient.disconnect();
    const state = (id: string): Promise<string | null> => (admin as Redis).hget(`${prefix}run:${id}:info`, "state");
    await eventually(async () => (await state(runs[1]?.id ?? "")) === "lost" && (await state(runs[0]?.id ?? "")) === "lost", "the sweep");
    expect(await state(ended.id)).toBe("ended");
    for (const { id } of runs) {
      for (const key of ["info", "log", "watch"]) {
        const ttl = await (admin as Redis).pttl(`${prefix}run:${id}:${key}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
    }
    // The lost entry follows the last one.
    const [last] = await (admin as Redis).xrevrange(`${prefix}run:${runs[0]?.id}:log`, "+", "-", "COUNT", 1);
    expect(last?.[0]).toBe("3-1");
    // Nothing of the dead runner is left to sweep.
    expect(await (admin as Redis).zcard(`${prefix}runners`)).toBe(0);
    expect(await (admin as Redis).keys(`${prefix}runner:*`)).toStrictEqual([]);
  });

  it("says lost at lookup once the runner's liveness key has expired, with no watcher anywhere", async () => {
    const [a, b, prefix] = twoProcesses("lookup-lost", { runnerTtlMs: 60_000 });
    const { id } = await startRun(a);
    expect(await b.lookup(id)).toMatchObject({ state: "running" });
    // The key's expiry, without waiting a minute for it.
    const runners = (await (admin as Redis).keys(`${prefix}runner:*`)).filter((key) => !key.endsWith(":runs"));
    expect(runners).toHaveLength(1);
    await (admin as Redis).del(...runners);
    expect(await b.lookup(id)).toMatchObject({ state: "lost" });
    expect((await drain(b.watch(id, -1, never))).error).toMatchObject({ code: "RUN_LOST" });
    // The runner's end comes too late: the run stays lost.
    expect(await codeOf(a.end(id, endEntry(1), 60_000))).toBe("RUN_LOST");
  });
});

describe.skipIf(!reachable)("redisRunStore close", () => {
  it("ends its watchers quietly, refuses create, and leaves a client passed in open", async () => {
    const prefix = newPrefix("close");
    const client = new Redis(REDIS_URL);
    cleanups.push(() => void client.quit());
    const a = makeStore(prefix);
    const b = makeStore(prefix, { client });
    const { id } = await startRun(a);
    const iterator = b.watch(id, -1, never)[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.id).toBe(`${id}:0`);
    const pending = iterator.next();
    await b.close();
    expect(await pending).toStrictEqual({ value: undefined, done: true });
    expect(await codeOf(startRun(b))).toBe("INTERNAL_SERVER_ERROR");
    expect(await drain(b.watch(id, -1, never))).toMatchObject({ ids: [], error: undefined });
    expect(await client.ping()).toBe("PONG");
  });
});

describe.skipIf(!reachable)("redisRunStore under the run host", () => {
  const contract = defineContract({
    ask: stream({ durable: true, events: { token: z.string(), snap: z.object({ text: z.string() }) } }),
  });
  const route = (run: (args: RunArgs<unknown, unknown>) => AsyncIterable<unknown>, withSnapshot: boolean): DurableRoute => ({
    path: "ask",
    stream: contract.ask,
    run,
    snapshot: withSnapshot
      ? (previous, events) => ({
          event: "snap",
          data: { text: `${(previous?.data as { text: string } | undefined)?.text ?? ""}${events.map((event) => String(event.data)).join("")}` },
        })
      : undefined,
  });
  const ten = async function* (): AsyncGenerator<{ event: "token"; data: string }> {
    for (let n = 1; n <= 10; n++) yield { event: "token", data: `t${n}` };
  };

  it("folds the history into the snapshot on A; B replays the run event, the snapshot, then the rest — or HISTORY_GAP without a snapshot", async () => {
    const prefix = newPrefix("host-compact");
    const options = { historySize: 4, unwatchedMs: false as const };
    const onA = createRunHost({ ...options, store: makeStore(prefix) });
    const onB = createRunHost({ ...options, store: makeStore(prefix) });
    for (const withSnapshot of [true, false]) {
      const id = await onA.start(route(ten, withSnapshot), undefined, undefined);
      // A watcher past the last event waits for the end: the run has then compacted all it will.
      expect(await drain(onB.watch(id, 10, never))).toMatchObject({ ids: [], error: undefined });
      const whole = await drain(onB.watch(id, -1, never));
      if (withSnapshot) {
        expect(whole.error).toBeUndefined();
        expect(whole.ids).toStrictEqual(ids(id, [0, 6, 7, 8, 9, 10]));
        expect(whole.data[1]).toStrictEqual({ text: "t1t2t3t4t5t6" });
      } else {
        expect(whole.error).toMatchObject({ code: "HISTORY_GAP" });
        expect((await drain(onB.watch(id, 6, never))).ids).toStrictEqual(ids(id, [7, 8, 9, 10]));
      }
    }
  });

  it("stops a run on A that nobody watches for unwatchedMs (its signal aborts, its finally runs); B sees it ended", async () => {
    const prefix = newPrefix("host-unwatched");
    const onA = createRunHost({ store: makeStore(prefix), unwatchedMs: 200, maxDurationMs: false });
    const store = makeStore(prefix);
    const seen: { signal?: AbortSignal; finally: number } = { finally: 0 };
    const id = await onA.start(
      route(async function* ({ signal }) {
        seen.signal = signal;
        try {
          for (let n = 1; !signal.aborted; n++) {
            yield { event: "token", data: `t${n}` };
            await sleep(20, undefined, { signal }).catch(() => undefined);
          }
        } finally {
          seen.finally++;
        }
      }, false),
      undefined,
      undefined,
    );
    const state = async (): Promise<string | undefined> => {
      const found = await store.lookup(id);
      return found?.found === "run" ? found.state : found?.found;
    };
    await eventually(async () => (await state()) === "ended", "the run to be stopped");
    expect(seen.finally).toBe(1);
    expect(String(seen.signal?.reason)).toContain("unwatchedMs");
    const got = await drain(store.watch(id, 0, never));
    expect(got.error).toBeUndefined();
    expect(got.events.every((event) => event === "token")).toBe(true);
  });
});

describe("redisRunStore while Redis is away", () => {
  it("rejects create, append, lookup, stop and watched, and fails a watcher, with BROKER_UNAVAILABLE", async () => {
    // Port 1 on loopback refuses connections.
    const store = redisRunStore({ url: "redis://127.0.0.1:1", onError: () => {} });
    cleanups.push(() => store.close());
    const id = newRunId();
    const failures = await Promise.all([
      startRun(store).then(() => undefined, (error: unknown) => error),
      store.append(id, [token(1)]).then(() => undefined, (error: unknown) => error),
      store.lookup(id).then(() => undefined, (error: unknown) => error),
      store.stop(id).then(() => undefined, (error: unknown) => error),
      store.watched(id, 1000).then(() => undefined, (error: unknown) => error),
      drain(store.watch(id, -1, never)).then((got) => got.error),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(RivuletError);
      expect(failure).toMatchObject({ code: "BROKER_UNAVAILABLE", status: 503 });
    }
  });
});

function id(info: RunInfo): string {
  return info.id;
}

/** Reads `count` messages of a watcher of a run still going, then leaves. */
async function collect(store: RunStore, runId: string, afterSeq: number, lastSeq: number): Promise<Watched> {
  const controller = new AbortController();
  const got: Watched = { ids: [], events: [], data: [], error: undefined };
  for await (const message of store.watch(runId, afterSeq, controller.signal)) {
    got.ids.push(message.id);
    got.events.push(message.event);
    got.data.push(message.data);
    if (message.id === `${runId}:${lastSeq}`) break;
  }
  return got;
}
