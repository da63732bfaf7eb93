import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { ERROR_EVENT } from "@rivulet/shared/wire";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { implement } from "./implement.js";
import { resolveOptions } from "./options.js";
import type { Route, RouteArgs } from "./routes.js";
import type { Sink } from "./sink.js";
import { createStreamHost } from "./stream-host.js";
import type { ErrorPhase } from "./types.js";
import { ROTATE_RETRY_MS } from "./writer.js";

/**
 * Emitting handlers through the stream host, without a transport: a sink
 * whose room and drain the test sets, so that backpressure is driven by hand.
 */
const contract = defineContract({
  s: stream({ events: { n: z.object({ n: z.number() }) } }),
});

/** A sink that takes `room` writes, then reports full until `drain()`. */
function controlledSink(room = Infinity) {
  const record = { writes: [] as string[], ended: false, noContent: false };
  let left = room;
  let drained: (() => void) | undefined;
  const sink: Sink = {
    write: (chunk) => {
      record.writes.push(chunk);
      left -= 1;
      return left > 0;
    },
    drained: () => new Promise((resolve) => (drained = resolve)),
    end: () => void (record.ended = true),
    noContent: () => void (record.noContent = record.ended = true),
    refuse: () => void (record.ended = true),
  };
  /** The transport takes `more` writes again. */
  const drain = (more = Infinity): void => {
    left = more;
    const resolve = drained;
    drained = undefined;
    resolve?.();
  };
  return { record, sink, drain };
}

function start(handler: (args: RouteArgs) => unknown, options: { room?: number; queue?: number; lastEventId?: string } = {}) {
  const errors: Array<[string, ErrorPhase]> = [];
  const resolved = resolveOptions<never, unknown>({ keepAliveMs: false, onError: (error, info) => errors.push([error.code, info.phase]) });
  const { record, sink, drain } = controlledSink(options.room);
  const route: Route = { path: "s", stream: contract.s, handler, ...(options.queue === undefined ? {} : { emitQueueSize: options.queue }) };
  const run = createStreamHost(resolved).start({ route, input: undefined, lastEventId: options.lastEventId }, undefined, sink);
  return { run, sink: record, drain, errors };
}

/** What a handler was given, kept for the test to emit with later. */
function capture() {
  const seen: { args?: RouteArgs; cleanups: number } = { cleanups: 0 };
  const handler = (args: RouteArgs) => {
    seen.args = args;
    return () => void (seen.cleanups += 1);
  };
  const args = (): RouteArgs => {
    if (!seen.args) throw new Error("the handler was not called");
    return seen.args;
  };
  return { seen, handler, args };
}

const n = (value: number | string) => ({ event: "n", data: { n: value } });
const frame = (value: number) => `event: n\ndata: {"n":${value}}\n\n`;
const END = "event: rivulet:end\nid: rivulet:end\ndata: \n\n";
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("handlers that emit", () => {
  it("writes what a handler emits before it returns nothing, then ends the stream", () => {
    const { sink, errors } = start(({ emit }) => {
      for (let i = 0; i < 3; i++) emit(n(i));
    });
    expect(sink.writes).toEqual([frame(0), frame(1), frame(2), END]);
    expect(sink.ended).toBe(true);
    expect(errors).toEqual([]);
  });

  it("returns true while the connection takes events, false once it is full, and writes the queue when it drains", async () => {
    const { seen, handler, args } = capture();
    const { sink, drain } = start(handler, { room: 2 });
    const { emit, drained } = args();
    expect([emit(n(1)), emit(n(2)), emit(n(3)), emit(n(4))]).toEqual([true, false, false, false]);
    expect(sink.writes).toEqual([frame(1), frame(2)]);
    let wasDrained = false;
    void drained().then(() => (wasDrained = true));
    await flush();
    expect(wasDrained).toBe(false);
    // Room for one: the queue's first event goes, and it waits again.
    drain(1);
    await flush();
    expect(sink.writes).toEqual([frame(1), frame(2), frame(3)]);
    expect(wasDrained).toBe(false);
    drain();
    await flush();
    expect(sink.writes).toEqual([frame(1), frame(2), frame(3), frame(4)]);
    expect(wasDrained).toBe(true);
    expect(emit(n(5))).toBe(true);
    expect(sink.writes.at(-1)).toBe(frame(5));
    expect(seen.cleanups).toBe(0);
  });

  it("ends the stream with SLOW_CONSUMER when more than emitQueueSize events wait, and cleans up", () => {
    const { seen, handler, args } = capture();
    const { sink, errors } = start(handler, { room: 1, queue: 3 });
    const { emit, signal } = args();
    expect(emit(n(0))).toBe(false);
    for (let i = 1; i <= 3; i++) expect(emit(n(i))).toBe(false);
    expect(errors).toEqual([]);
    expect(emit(n(4))).toBe(false);
    expect(errors).toEqual([["SLOW_CONSUMER", "stream"]]);
    // A retryable end: the client resumes from its last event.
    expect(sink.writes).toEqual([frame(0), `retry: ${ROTATE_RETRY_MS}\n\n`]);
    expect(sink.ended).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(seen.cleanups).toBe(1);
    expect(emit(n(5))).toBe(false);
    expect(sink.writes).toHaveLength(2);
  });

  it("counts events emitted before the handler returned against the bound too", () => {
    const cleanups: number[] = [];
    const { sink, errors } = start(
      ({ emit }) => {
        for (let i = 0; i < 5; i++) emit(n(i));
        return () => cleanups.push(1);
      },
      { queue: 4 },
    );
    expect(errors).toEqual([["SLOW_CONSUMER", "stream"]]);
    expect(sink.writes).toEqual([`retry: ${ROTATE_RETRY_MS}\n\n`]);
    expect(cleanups).toEqual([1]);
  });

  it("ends the stream with INVALID_EVENT for an event its schema refuses; emit returns false and does not throw", () => {
    const { seen, handler, args } = capture();
    const { sink, errors } = start(handler);
    const { emit, signal } = args();
    expect(emit(n(1))).toBe(true);
    expect(emit(n("one"))).toBe(false);
    expect(errors).toEqual([["INVALID_EVENT", "event"]]);
    expect(sink.writes[0]).toBe(frame(1));
    expect(sink.writes[1]).toMatch(new RegExp(`^event: ${ERROR_EVENT}\ndata: \\{"code":"INVALID_EVENT"`));
    expect(signal.aborted).toBe(true);
    expect(seen.cleanups).toBe(1);
    expect(emit(n(2))).toBe(false);
  });

  it("lasts as long as an async handler: resolved, the stream ends after the queue; rejected, with the error", async () => {
    let resolve!: () => void;
    const done = start(({ emit }) => {
      emit(n(1));
      return new Promise<void>((r) => (resolve = r));
    }, { room: 1 });
    resolve();
    await flush();
    // The connection took the event but is full: the end waits for it to drain.
    expect(done.sink.writes).toEqual([frame(1)]);
    expect(done.sink.ended).toBe(false);
    done.drain();
    await flush();
    expect(done.sink.writes).toEqual([frame(1), END]);
    expect(done.sink.ended).toBe(true);

    const failed = start(async ({ emit }) => {
      emit(n(1));
      await flush();
      throw new RivuletError("FORBIDDEN", "no more");
    });
    await flush();
    await flush();
    expect(failed.errors).toEqual([["FORBIDDEN", "stream"]]);
    expect(failed.sink.writes[0]).toBe(frame(1));
    expect(failed.sink.writes[1]).toMatch(new RegExp(`^event: ${ERROR_EVENT}\ndata: \\{"code":"FORBIDDEN"`));
    expect(failed.sink.ended).toBe(true);
  });

  it("when the client leaves: signal aborted, cleanup run once, emit a no-op returning false, drained resolved", async () => {
    const { seen, handler, args } = capture();
    const { run, sink } = start(handler, { room: 1 });
    const { emit, drained, signal } = args();
    emit(n(1));
    emit(n(2));
    const waiting = drained();
    run.abort();
    await waiting;
    expect(signal.aborted).toBe(true);
    expect(seen.cleanups).toBe(1);
    expect(emit(n(3))).toBe(false);
    expect(sink.writes).toEqual([frame(1)]);
    run.abort();
    expect(seen.cleanups).toBe(1);
  });

  it("runs the cleanup an async handler resolves to, even when the client left while it was setting up", async () => {
    let ready!: () => void;
    const cleanups: string[] = [];
    const { run, sink } = start(async ({ signal }) => {
      await new Promise<void>((r) => (ready = r));
      cleanups.push(signal.aborted ? "set up after the end" : "set up");
      return () => cleanups.push("cleaned up");
    });
    run.abort();
    ready();
    await flush();
    expect(cleanups).toEqual(["set up after the end", "cleaned up"]);
    expect(sink.ended).toBe(true);
  });

  it("reports a cleanup that throws, with phase stream", async () => {
    const { run, errors } = start(() => () => {
      throw new Error("cleanup failed");
    });
    run.abort();
    await flush();
    expect(errors).toEqual([["INTERNAL_SERVER_ERROR", "stream"]]);
  });

  it("answers a resume that emitted nothing 204", () => {
    const { sink } = start(() => undefined, { lastEventId: "4" });
    expect(sink.noContent).toBe(true);
    expect(sink.writes).toEqual([]);
  });

  it("fails with INVALID_HANDLERS when a generator emits, or a handler returns something of neither style", async () => {
    const generator = start(async function* ({ emit }) {
      emit(n(1));
      yield n(2);
    });
    await flush();
    expect(generator.errors).toEqual([["INVALID_HANDLERS", "stream"]]);
    expect(generator.sink.writes).toHaveLength(1);
    expect(generator.sink.writes[0]).toMatch(/"code":"INVALID_HANDLERS".*yields its events or emits them/);

    const later = start(async function* ({ emit }) {
      yield n(1);
      emit(n(2));
      yield n(3);
    });
    await flush();
    expect(later.errors).toEqual([["INVALID_HANDLERS", "stream"]]);
    expect(later.sink.writes[0]).toBe(frame(1));
    expect(later.sink.writes).toHaveLength(2);

    for (const [result, said] of [[42, "a number"], [{ events: [] }, "an object"], [null, "null"]] as const) {
      const odd = start(() => result);
      expect(odd.errors).toEqual([["INVALID_HANDLERS", "stream"]]);
      expect(odd.sink.writes[0]).toContain(`returned ${said}`);
    }
    const resolvedOdd = start(async () => "done");
    await flush();
    expect(resolvedOdd.errors).toEqual([["INVALID_HANDLERS", "stream"]]);
  });

  it("keeps a generator that never reads emit as it was", async () => {
    const { sink, errors } = start(async function* () {
      yield n(1);
    });
    await flush();
    expect(sink.writes).toEqual([frame(1), END]);
    expect(errors).toEqual([]);
  });

  it("refuses an emitQueueSize that is not a whole number > 0 with INVALID_OPTION", () => {
    const handlers = { s: async function* () {} };
    for (const emitQueueSize of [0, -1, 1.5, "10"]) {
      expect(() => implement(contract, handlers, { emitQueueSize } as never)).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("emitQueueSize") }),
      );
    }
    expect(() => implement(contract, handlers, { emitQueueSize: 10 })).not.toThrow();
  });
});
