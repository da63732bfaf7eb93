import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { implement } from "../implement.js";
import { createRunHost, type DurableRoute, type RunArgs, type RunsOptions, type SnapshotFunction } from "./host.js";
import { memoryRunStore } from "./memory.js";
import { isRunEnding, type RunStore } from "./store.js";

const contract = defineContract({
  chat: {
    ask: stream({
      durable: true,
      input: z.object({ prompt: z.string() }),
      events: { token: z.string(), snap: z.object({ text: z.string() }) },
    }),
    other: stream({ durable: true, events: { token: z.string() } }),
  },
});

type Run = (args: RunArgs<unknown, unknown>) => AsyncIterable<unknown>;

function routeOf(run: Run, snapshot?: SnapshotFunction, path = "chat/ask"): DurableRoute {
  return { path, stream: path === "chat/ask" ? contract.chat.ask : contract.chat.other, run, snapshot };
}

/** What a watcher got: `[id, event, data]` for each message, and how it ended. */
interface Watched {
  messages: Array<[string, string, unknown]>;
  error: RivuletError | undefined;
}

/** Watches run `id` to its end (or until `signal` aborts). */
async function watch(host: ReturnType<typeof createRunHost>, id: string, afterSeq = -1, signal = new AbortController().signal): Promise<Watched> {
  const watched: Watched = { messages: [], error: undefined };
  try {
    for await (const message of host.watch(id, afterSeq, signal)) watched.messages.push([message.id, message.event, message.data]);
  } catch (error) {
    watched.error = error as RivuletError;
  }
  return watched;
}

/** A sleep that rejects with the signal's reason when it aborts, as `fetch` given the signal does. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A handler that yields a token every `everyMs` until stopped, counting what it went through. */
function ticking(everyMs = 100): { run: Run; seen: { finally: number; signal: AbortSignal | undefined; yielded: number } } {
  const seen = { finally: 0, signal: undefined as AbortSignal | undefined, yielded: 0 };
  return {
    seen,
    run: async function* ({ signal }) {
      seen.signal = signal;
      try {
        for (;;) {
          await sleep(everyMs, signal);
          seen.yielded++;
          yield { event: "token", data: `t${seen.yielded}` };
        }
      } finally {
        seen.finally++;
      }
    },
  };
}

/** A handler that yields `tokens` and ends. */
function tokens(...texts: string[]): Run {
  return async function* () {
    for (const text of texts) yield { event: "token", data: text };
  };
}

const ctx = undefined;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("createRunHost: a run", () => {
  it("starts with the run event (id <runId>:0), then the events <runId>:1…, and completes", async () => {
    const host = createRunHost();
    const route = routeOf(async function* ({ input, runId, ctx: given }) {
      yield { event: "token", data: `${(input as { prompt: string }).prompt} ${runId.length} ${String(given)}` };
      yield { event: "token", data: "b" };
    });
    const id = await host.start(route, { prompt: "hi" }, "me");
    const watched = await watch(host, id);
    expect(watched).toEqual({
      messages: [
        [`${id}:0`, "rivulet:run", { runId: id }],
        [`${id}:1`, "token", "hi 22 me"],
        [`${id}:2`, "token", "b"],
      ],
      error: undefined,
    });
    // After an id: only what follows; an ended run's watcher replays to the end and completes.
    expect((await watch(host, id, 1)).messages).toEqual([[`${id}:2`, "token", "b"]]);
    expect(await watch(host, id, 2)).toEqual({ messages: [], error: undefined });
  });

  it("is stopped after maxDurationMs: its finally runs, its signal aborts, its watchers end quietly", async () => {
    const host = createRunHost({ maxDurationMs: 1_000, unwatchedMs: false });
    const { run, seen } = ticking(100);
    const id = await host.start(routeOf(run), { prompt: "" }, ctx);
    const watching = watch(host, id);
    await vi.advanceTimersByTimeAsync(999);
    expect(seen.finally).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    const watched = await watching;
    expect(seen.finally).toBe(1);
    expect(seen.signal?.aborted).toBe(true);
    expect(String(seen.signal?.reason)).toContain("maxDurationMs");
    expect(watched.error).toBeUndefined();
    expect(watched.messages.length).toBe(1 + seen.yielded);
    // Nothing left behind: the run's timers are gone, only the store's retention timer stands.
    expect(vi.getTimerCount()).toBe(1);
  });

  it("is stopped when nobody watches it for unwatchedMs, and not while someone does; a watcher that left starts the clock again", async () => {
    const host = createRunHost({ unwatchedMs: 1_000, maxDurationMs: false });
    const lonely = ticking(100);
    await host.start(routeOf(lonely.run), { prompt: "" }, ctx);
    const watchedRun = ticking(100);
    const id = await host.start(routeOf(watchedRun.run), { prompt: "" }, ctx);
    const watcher = new AbortController();
    const watching = watch(host, id, -1, watcher.signal);

    await vi.advanceTimersByTimeAsync(1_250);
    expect(lonely.seen.finally).toBe(1);
    expect(watchedRun.seen.finally).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(watchedRun.seen.finally).toBe(0);

    // The watcher leaves at t = 11.25 s: the run has a full period from then.
    watcher.abort();
    await watching;
    await vi.advanceTimersByTimeAsync(900);
    expect(watchedRun.seen.finally).toBe(0);
    // A second watcher comes and goes: the clock starts again from its leaving.
    const second = new AbortController();
    const again = watch(host, id, -1, second.signal);
    await vi.advanceTimersByTimeAsync(500);
    second.abort();
    await again;
    await vi.advanceTimersByTimeAsync(900);
    expect(watchedRun.seen.finally).toBe(0);
    await vi.advanceTimersByTimeAsync(350);
    expect(watchedRun.seen.finally).toBe(1);
    expect(watchedRun.seen.signal?.aborted).toBe(true);
  });

  it("is never aborted by a watcher leaving: it runs to its end", async () => {
    const host = createRunHost();
    let signal: AbortSignal | undefined;
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const id = await host.start(
      routeOf(async function* (args) {
        signal = args.signal;
        yield { event: "token", data: "a" };
        await gate;
        yield { event: "token", data: "b" };
      }),
      { prompt: "" },
      ctx,
    );
    const watcher = new AbortController();
    const watching = watch(host, id, -1, watcher.signal);
    await vi.advanceTimersByTimeAsync(0);
    watcher.abort();
    await watching;
    release();
    const after = await watch(host, id, 1);
    expect(signal?.aborted).toBe(false);
    expect(after).toEqual({ messages: [[`${id}:2`, "token", "b"]], error: undefined });
  });

  it("keeps an ended run's history retentionMs, then says RUN_EXPIRED, then (after expiredKeptMs) RUN_NOT_FOUND", async () => {
    const host = createRunHost({ retentionMs: 1_000, store: memoryRunStore({ expiredKeptMs: 5_000 }) });
    const route = routeOf(tokens("a"));
    const id = await host.start(route, { prompt: "" }, ctx);
    await watch(host, id);
    await vi.advanceTimersByTimeAsync(999);
    await expect(host.open(route, id, ctx)).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await expect(host.open(route, id, ctx)).rejects.toMatchObject({ code: "RUN_EXPIRED", status: 410 });
    await expect(host.stop(route, id, ctx)).rejects.toMatchObject({ code: "RUN_EXPIRED" });
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(host.open(route, id, ctx)).rejects.toMatchObject({ code: "RUN_NOT_FOUND", status: 404 });
  });

  it("refuses another owner's run, another stream's run and an unknown id alike, with RUN_NOT_FOUND", async () => {
    const host = createRunHost({ owner: (given) => String(given) });
    const route = routeOf(ticking().run);
    const id = await host.start(route, { prompt: "" }, "alice");
    await expect(host.open(route, id, "alice")).resolves.toBeUndefined();
    const refusals = await Promise.allSettled([
      host.open(route, id, "bob"),
      host.stop(route, id, "bob"),
      host.open(routeOf(ticking().run, undefined, "chat/other"), id, "alice"),
      host.open(route, "AAAAAAAAAAAAAAAAAAAAAA", "alice"),
    ]);
    const messages = refusals.map((refusal) => {
      expect(refusal).toMatchObject({ status: "rejected", reason: { code: "RUN_NOT_FOUND", status: 404 } });
      return (refusal as PromiseRejectedResult).reason as RivuletError;
    });
    expect(messages).toHaveLength(4);
    // Bob's stop stopped nothing: alice's run goes on.
    await expect(host.open(route, id, "alice")).resolves.toBeUndefined();
    await host.stop(route, id, "alice");
  });

  it("refuses a start past maxRunning, and past maxRunningPerOwner for one owner, with RATE_LIMITED; an ended run frees its place", async () => {
    const host = createRunHost({ owner: (given) => String(given), maxRunning: 3, maxRunningPerOwner: 2 });
    const route = routeOf(ticking().run);
    const alice = [await host.start(route, { prompt: "" }, "alice"), await host.start(route, { prompt: "" }, "alice")];
    await expect(host.start(route, { prompt: "" }, "alice")).rejects.toMatchObject({ code: "RATE_LIMITED", status: 429 });
    const bob = await host.start(route, { prompt: "" }, "bob");
    await expect(host.start(route, { prompt: "" }, "carol")).rejects.toMatchObject({ code: "RATE_LIMITED", message: expect.stringContaining("runs.maxRunning: 3") });
    await host.stop(route, alice[0] as string, "alice");
    await vi.advanceTimersByTimeAsync(0);
    const again = await host.start(route, { prompt: "" }, "alice");
    for (const [id, owner] of [[alice[1], "alice"], [bob, "bob"], [again, "alice"]] as const) await host.stop(route, id as string, owner);
  });

  it("refuses a request whose runs.owner gave no string, rather than count it as the owner `undefined`", async () => {
    const host = createRunHost({ owner: () => undefined as unknown as string });
    await expect(host.start(routeOf(tokens("a")), { prompt: "" }, ctx)).rejects.toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      message: "runs.owner must return a string; it returned undefined.",
    });
  });

  it("stops on stop(): resolves once its finally ran; a stop of an ended run resolves at once", async () => {
    const host = createRunHost();
    const { run, seen } = ticking(100);
    const route = routeOf(run);
    const id = await host.start(route, { prompt: "" }, ctx);
    await vi.advanceTimersByTimeAsync(250);
    const stopping = host.stop(route, id, ctx).then(() => seen.finally);
    await expect(stopping).resolves.toBe(1);
    expect(seen.signal?.aborted).toBe(true);
    await host.stop(route, id, ctx);
    const watched = await watch(host, id);
    expect(watched.error).toBeUndefined();
    expect(watched.messages.map(([, event]) => event)).toEqual(["rivulet:run", "token", "token"]);
  });

  it("stopped before its first event: the handler's yield is dropped and its finally runs", async () => {
    const host = createRunHost();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = 0;
    const route = routeOf(async function* () {
      try {
        // Ignores its signal: yields once it wakes, stopped or not.
        await gate;
        yield { event: "token", data: "late" };
      } finally {
        finished++;
      }
    });
    const id = await host.start(route, { prompt: "" }, ctx);
    const stopping = host.stop(route, id, ctx);
    release();
    await stopping;
    expect(finished).toBe(1);
    expect(await watch(host, id)).toEqual({ messages: [[`${id}:0`, "rivulet:run", { runId: id }]], error: undefined });
  });

  it("a handler stuck on a promise that ignores its signal: its timers are cleared at once, stop waits for it", async () => {
    const host = createRunHost({ maxDurationMs: 60_000, unwatchedMs: 1_000 });
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = 0;
    const route = routeOf(async function* () {
      try {
        await gate;
      } finally {
        finished++;
      }
    });
    const id = await host.start(route, { prompt: "" }, ctx);
    expect(vi.getTimerCount()).toBe(2);
    let stopped = false;
    const stopping = host.stop(route, id, ctx).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    // The max-duration timer and the unwatched check are gone, though the handler has not returned.
    expect(vi.getTimerCount()).toBe(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(1);
  });

  it("a handler that throws: its watchers end with INTERNAL_SERVER_ERROR (marked as the run's ending), onError is told once", async () => {
    const onError = vi.fn();
    const host = createRunHost({ onError });
    const route = routeOf(async function* () {
      yield { event: "token", data: "a" };
      throw new Error("model down");
    });
    const id = await host.start(route, { prompt: "" }, ctx);
    const watched = await watch(host, id);
    expect(watched.messages.map(([, event]) => event)).toEqual(["rivulet:run", "token"]);
    expect(watched.error).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error" });
    expect(isRunEnding(watched.error)).toBe(true);
    expect(onError).toHaveBeenCalledTimes(1);
    const [error, info] = onError.mock.calls[0] as [RivuletError, unknown];
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect((error.cause as Error).message).toBe("model down");
    expect(info).toEqual({ path: "chat/ask", runId: id });
    // A watcher that joins later ends the same way.
    expect((await watch(host, id)).error).toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
  });

  it.each([
    ["data that fails its schema", { event: "token", data: 1 }],
    ["an event the stream does not have", { event: "nope", data: "x" }],
    ["a value that is no event", "just text"],
    ["null", null],
  ])("an invalid yield (%s) fails the run with INVALID_EVENT, and runs the handler's finally", async (_, value) => {
    const onError = vi.fn();
    const host = createRunHost({ onError });
    let finished = 0;
    const route = routeOf(async function* () {
      try {
        yield { event: "token", data: "ok" };
        yield value;
        yield { event: "token", data: "never" };
      } finally {
        finished++;
      }
    });
    const id = await host.start(route, { prompt: "" }, ctx);
    const watched = await watch(host, id);
    expect(watched.messages.map(([, , data]) => data)).toEqual([{ runId: id }, "ok"]);
    expect(watched.error).toMatchObject({ code: "INVALID_EVENT" });
    expect(finished).toBe(1);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: "INVALID_EVENT" }), { path: "chat/ask", runId: id });
  });

  it("a throw once stopped (the AbortError of a fetch given the signal) is a stop, not a failure", async () => {
    const onError = vi.fn();
    const host = createRunHost({ onError });
    const { run } = ticking(100);
    const route = routeOf(run);
    const id = await host.start(route, { prompt: "" }, ctx);
    await vi.advanceTimersByTimeAsync(150);
    await host.stop(route, id, ctx);
    const watched = await watch(host, id);
    expect(watched.error).toBeUndefined();
    expect(watched.messages.map(([, event]) => event)).toEqual(["rivulet:run", "token"]);
    expect(onError).not.toHaveBeenCalled();
  });

  it("a store that fails an append fails the run with its error: the handler's signal aborts, its finally runs, onError is told", async () => {
    const memory = memoryRunStore();
    let appends = 0;
    const store: RunStore = {
      ...memory,
      append: async (id, entries) => {
        if (++appends === 3) throw new RivuletError("BROKER_UNAVAILABLE", "The store is down.");
        await memory.append(id, entries);
      },
    };
    const onError = vi.fn();
    const host = createRunHost({ store, onError });
    const { run, seen } = ticking(100);
    const id = await host.start(routeOf(run), { prompt: "" }, ctx);
    const watching = watch(host, id);
    await vi.advanceTimersByTimeAsync(1_000);
    const watched = await watching;
    expect(seen.finally).toBe(1);
    expect(seen.signal?.aborted).toBe(true);
    expect(watched.messages.map(([eventId]) => eventId)).toEqual([`${id}:0`, `${id}:1`, `${id}:2`]);
    expect(watched.error).toMatchObject({ code: "BROKER_UNAVAILABLE" });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: "BROKER_UNAVAILABLE" }), { path: "chat/ask", runId: id });
  });

  it("ignores a yielded id and retry: the run's ids are its own", async () => {
    const host = createRunHost();
    const id = await host.start(
      routeOf(async function* () {
        yield { event: "token", data: "a", id: "mine", retry: 5 };
      }),
      { prompt: "" },
      ctx,
    );
    expect((await watch(host, id)).messages[1]).toEqual([`${id}:1`, "token", "a"]);
  });
});

describe("createRunHost: history", () => {
  it("past historySize without a snapshot: a resume from before the kept history gets HISTORY_GAP, one within it the rest", async () => {
    const host = createRunHost({ historySize: 4 });
    const id = await host.start(routeOf(tokens("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")), { prompt: "" }, ctx);
    await watch(host, id, 9);
    // Compacted at seq 5 (kept 4, 5) and at seq 8 (kept 7, 8): the history holds 7 to 10.
    expect((await watch(host, id, 3)).error).toMatchObject({ code: "HISTORY_GAP" });
    expect((await watch(host, id, 5)).error).toMatchObject({ code: "HISTORY_GAP" });
    expect((await watch(host, id)).error).toMatchObject({ code: "HISTORY_GAP" });
    expect((await watch(host, id, 6)).messages.map(([eventId]) => eventId)).toEqual([7, 8, 9, 10].map((n) => `${id}:${n}`));
  });

  it("with a snapshot function: a resume from before the kept history gets the snapshot (id <runId>:S), then what follows S", async () => {
    const folded: string[][] = [];
    const snapshot: SnapshotFunction = (previous, events) => {
      folded.push(events.map((event) => String(event.data)));
      const before = previous ? (previous.data as { text: string }).text : "";
      return { event: "snap", data: { text: before + events.map((event) => String(event.data)).join("") } };
    };
    const host = createRunHost({ historySize: 4 });
    const id = await host.start(routeOf(tokens("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), snapshot), { prompt: "" }, ctx);
    const whole = await watch(host, id);
    expect(whole.messages.slice(1).map(([, , data]) => data)).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
    // Each compaction folds the oldest events not folded yet, once.
    expect(folded).toEqual([["a", "b", "c"], ["d", "e", "f"]]);
    expect((await watch(host, id)).messages).toEqual([
      [`${id}:0`, "rivulet:run", { runId: id }],
      [`${id}:6`, "snap", { text: "abcdef" }],
      [`${id}:7`, "token", "g"],
      [`${id}:8`, "token", "h"],
      [`${id}:9`, "token", "i"],
      [`${id}:10`, "token", "j"],
    ]);
    expect((await watch(host, id, 2)).messages.map(([eventId]) => eventId)).toEqual([6, 7, 8, 9, 10].map((n) => `${id}:${n}`));
    expect((await watch(host, id, 8)).messages.map(([eventId]) => eventId)).toEqual([`${id}:9`, `${id}:10`]);
  });

  it.each([
    ["data that fails the schema", () => ({ event: "snap", data: { text: 1 } })],
    ["an unknown event", () => ({ event: "nope", data: {} })],
    ["no event at all", () => undefined],
  ])("an invalid snapshot (%s) fails the run with INVALID_EVENT", async (_, make) => {
    const onError = vi.fn();
    const host = createRunHost({ historySize: 2, onError });
    const id = await host.start(routeOf(tokens("a", "b", "c", "d"), make as unknown as SnapshotFunction), { prompt: "" }, ctx);
    const watched = await watch(host, id);
    expect(watched.error).toMatchObject({ code: "INVALID_EVENT" });
    expect(onError).toHaveBeenCalledTimes(1);
  });
});

describe("options", () => {
  it.each([
    [{ maxDurationMs: 0 }, "maxDurationMs"],
    [{ unwatchedMs: "1000" }, "unwatchedMs"],
    [{ retentionMs: -1 }, "retentionMs"],
    [{ retentionMs: false }, "retentionMs"],
    [{ historySize: 1.5 }, "historySize"],
    [{ owner: "user" }, "owner"],
    [{ onError: true }, "onError"],
    [{ store: {} }, "store"],
    [{ maxRunning: 0 }, "maxRunning"],
    [{ maxRunningPerOwner: true }, "maxRunningPerOwner"],
  ])("refuses runs: %j with INVALID_OPTION naming it", (runs, name) => {
    const attempt = (): unknown => createRunHost(runs as RunsOptions<unknown>);
    expect(attempt).toThrow(expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining(`implement(): runs.${name} must be`) as string }));
    // Through implement() too, at once, before any request.
    expect(() => implement(contract, { chat: { ask: tokens() as never, other: tokens() as never } }, { runs: runs as RunsOptions<undefined> })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });

  it("refuses a runs option that is not an object", () => {
    expect(() => implement(contract, { chat: { ask: tokens() as never, other: tokens() as never } }, { runs: 5 as unknown as RunsOptions<undefined> })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("runs") as string }),
    );
  });

  it.each([
    ["a string", "nope"],
    ["an object without run", { snapshot: () => ({}) }],
    ["a snapshot that is not a function", { run: tokens(), snapshot: 1 }],
  ])("refuses a durable handler that is %s with INVALID_HANDLERS", (_, handler) => {
    expect(() => implement(contract, { chat: { ask: handler as never, other: tokens() as never } })).toThrow(
      expect.objectContaining({ code: "INVALID_HANDLERS", message: expect.stringContaining("chat.ask") as string }),
    );
  });

  it("refuses a durable stream with codec text", () => {
    expect(() => stream({ durable: true, codec: "text", events: { message: z.string() } } as never)).toThrow(
      expect.objectContaining({ code: "INVALID_CONTRACT" }),
    );
  });
});
