import { RivuletError, defineContract, stream, type AnyStream } from "@rivulet/shared";
import { ERROR_EVENT, KEEP_ALIVE } from "@rivulet/shared/wire";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { resolveOptions } from "./options.js";
import type { Route } from "./routes.js";
import type { Sink } from "./sink.js";
import { createStreamHost } from "./stream-host.js";

/**
 * The stream loop without a transport: a recording sink, fake timers, and
 * iterators that need no HTTP. The adapters' own tests cover the sockets.
 */
const contract = defineContract({
  s: stream({ events: { n: z.object({ n: z.number() }) } }),
  /** A stream whose normal end is the close: the close can say nothing else. */
  closed: stream({ events: { message: z.string() }, codec: "text", end: "close" }),
});

/** A sink that records what it is given. */
function recordingSink() {
  const record = { writes: [] as string[], times: [] as number[], ended: false, noContent: false };
  const sink: Sink = {
    write: (chunk) => record.times.push(Date.now()) > 0 && record.writes.push(chunk) > 0,
    drained: () => Promise.resolve(),
    end: () => void (record.ended = true),
    noContent: () => void (record.noContent = record.ended = true),
    refuse: () => void (record.ended = true),
  };
  return { record, sink };
}

function start(
  handler: Route["handler"],
  options: { keepAliveMs?: number | false; maxDurationMs?: number; lastEventId?: string; stream?: AnyStream } = {},
) {
  const errors: RivuletError[] = [];
  const resolved = resolveOptions<never, unknown>({
    keepAliveMs: options.keepAliveMs ?? false,
    ...(options.maxDurationMs === undefined ? {} : { maxDurationMs: options.maxDurationMs }),
    onError: (error) => errors.push(error),
  });
  const { record, sink } = recordingSink();
  const route: Route = { path: "s", stream: options.stream ?? contract.s, handler };
  const run = createStreamHost(resolved).start({ route, input: undefined, lastEventId: options.lastEventId }, undefined, sink);
  return { run, sink: record, errors };
}

const never = (): Promise<never> => new Promise(() => {});

afterEach(() => {
  vi.useRealTimers();
});

describe("StreamWriter and the shared keep-alive timer", () => {
  it("pings an idle stream within one interval of its last write, and a fresh one after at least half an interval", async () => {
    vi.useFakeTimers({ now: 0 });
    const first = start(async function* () {
      await never();
    }, { keepAliveMs: 100 });
    await vi.advanceTimersByTimeAsync(49);
    // Opens 1 ms before the timer's first tick; looks something up for 40 ms, then has nothing to send.
    const resumed = start(async function* () {
      await new Promise((resolve) => setTimeout(resolve, 40));
    }, { keepAliveMs: 100, lastEventId: "5" });
    await vi.advanceTimersByTimeAsync(40);
    expect(resumed.sink.noContent).toBe(true);
    expect(resumed.sink.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(11);
    expect(first.sink.writes).toEqual([KEEP_ALIVE]);
    expect(first.sink.times).toEqual([100]);
    first.run.abort();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never leaves a stream silent for longer than keepAliveMs, whenever it last wrote", async () => {
    vi.useFakeTimers({ now: 0 });
    // Writes at odd moments, then falls idle: the silences between writes are what a proxy sees.
    const delays = [0, 37, 61, 149, 3, 250];
    const { run, sink } = start(async function* () {
      for (const [n, delay] of delays.entries()) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        yield { event: "n", data: { n } };
      }
      await never();
    }, { keepAliveMs: 100 });
    await vi.advanceTimersByTimeAsync(1_500);
    const silences = sink.times.slice(1).map((at, i) => at - (sink.times[i] as number));
    expect(sink.writes.filter((chunk) => chunk === KEEP_ALIVE).length).toBeGreaterThan(5);
    expect(Math.max(...silences)).toBeLessThanOrEqual(100);
    run.abort();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ends with an error event, not an unhandled rejection, when next() resolves to a non-object", async () => {
    const { sink, errors } = start(() => ({ [Symbol.asyncIterator]: () => ({ next: async () => undefined as never }) }));
    await vi.waitFor(() => expect(sink.ended).toBe(true));
    expect(sink.writes).toHaveLength(1);
    expect(sink.writes[0]).toContain(`event: ${ERROR_EVENT}\n`);
    expect(errors.map((error) => error.code)).toEqual(["INTERNAL_SERVER_ERROR"]);
  });

  it("reads an iterator whose next() returns plain results, as `for await` would, and leaves no timer", async () => {
    vi.useFakeTimers();
    let n = 0;
    const { sink } = start(
      () => ({
        [Symbol.asyncIterator]: () => ({
          next: () => (n < 2 ? { value: { event: "n", data: { n: ++n } }, done: false } : { value: undefined, done: true }) as never,
        }),
      }),
      { keepAliveMs: 50 },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.writes).toEqual(['event: n\ndata: {"n":1}\n\n', 'event: n\ndata: {"n":2}\n\n', "event: rivulet:end\nid: rivulet:end\ndata: \n\n"]);
    expect(sink.ended).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rotates a stream after maxDurationMs, but not one whose close is its normal end (end: close)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const rotated = start(async function* () {
      yield { event: "n", data: { n: 1 } };
      await never();
    }, { maxDurationMs: 1_000 });
    const kept = start(async function* () {
      yield { event: "message", data: "one" };
      await never();
    }, { maxDurationMs: 1_000, stream: contract.closed });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(rotated.sink.writes.at(-1)).toBe("retry: 500\n\n");
    expect(rotated.sink.ended).toBe(true);
    expect(kept.sink.writes).toEqual(["data: one\n\n"]);
    expect(kept.sink.ended).toBe(false);
    kept.run.abort();
  });

  it("ends a close-ended stream that fails with SLOW_CONSUMER with the error event, not a retry hint that would read as its end", async () => {
    const slow = async function* () {
      yield { event: "message", data: "one" };
      throw new RivuletError("SLOW_CONSUMER", "Behind.");
    };
    const closed = start(slow, { stream: contract.closed });
    await vi.waitFor(() => expect(closed.sink.ended).toBe(true));
    expect(closed.sink.writes).toEqual([
      "data: one\n\n",
      `event: ${ERROR_EVENT}\ndata: {"code":"SLOW_CONSUMER","message":"Behind."}\n\n`,
    ]);
    const named = start(async function* () {
      yield { event: "n", data: { n: 1 } };
      throw new RivuletError("SLOW_CONSUMER", "Behind.");
    });
    await vi.waitFor(() => expect(named.sink.ended).toBe(true));
    expect(named.sink.writes.at(-1)).toBe("retry: 500\n\n");
  });

  it("writes nothing after the handler's last event when the close is the end, and ends the response", async () => {
    const { sink } = start(async function* () {
      yield { event: "message", data: "last" };
    }, { stream: contract.closed });
    await vi.waitFor(() => expect(sink.ended).toBe(true));
    expect(sink.writes).toEqual(["data: last\n\n"]);
  });

  it("finishes leaving a stream whose iterator's return() throws or breaks the protocol, and reports the throw", async () => {
    const throws = (): never => {
      throw new Error("boom");
    };
    const plain = (): IteratorResult<unknown> => ({ value: undefined, done: true });
    for (const [name, ret] of [
      ["throws", throws],
      ["plain value", plain],
    ] as const) {
      let finished = false;
      const errors: RivuletError[] = [];
      const options = resolveOptions<never, unknown>({ keepAliveMs: 50, onError: (error) => errors.push(error) });
      const { sink } = recordingSink();
      const handler: Route["handler"] = () => ({ [Symbol.asyncIterator]: () => ({ next: never, return: ret as never }) });
      const route: Route = { path: "s", stream: contract.s, handler };
      const request = { route, input: undefined, lastEventId: undefined };
      const run = createStreamHost(options).start(request, undefined, sink, () => (finished = true));
      run.abort();
      expect(finished, name).toBe(true);
      expect(errors.length, name).toBe(name === "throws" ? 1 : 0);
    }
  });
});
