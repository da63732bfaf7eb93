import { defineContract, stream } from "@rivulet/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { handlerEvents } from "./emit-iterator.js";
import type { Route, RouteArgs } from "./routes.js";

/** The bridge `toTRPC` relays through: a handler's events as an async iterator, whichever way it produces them. */
const contract = defineContract({ s: stream({ events: { n: z.number() } }) });
const call = { input: undefined, lastEventId: undefined, ctx: undefined };

function events(handler: (args: RouteArgs) => unknown, queue?: number) {
  const controller = new AbortController();
  const route: Route = { path: "s", stream: contract.s, handler, ...(queue === undefined ? {} : { emitQueueSize: queue }) };
  return { iterator: handlerEvents(route, call, controller.signal), controller };
}

const n = (value: number) => ({ event: "n", data: value });

async function drain(iterator: AsyncIterator<unknown>): Promise<unknown[]> {
  const values: unknown[] = [];
  for (;;) {
    const result = await iterator.next();
    if (result.done) return values;
    values.push(result.value);
  }
}

describe("handlerEvents", () => {
  it("returns a generator's own iterator", async () => {
    const generator = (async function* () {
      yield n(1);
    })();
    const { iterator } = events(() => generator);
    expect(iterator).toBe(generator);
    expect(await drain(iterator)).toEqual([n(1)]);
  });

  it("hands over what an async handler emits, in order, then ends when it resolves", async () => {
    const { iterator } = events(async ({ emit, drained }) => {
      for (let i = 0; i < 5; i++) if (!emit(n(i))) await drained();
      emit(n(5));
    });
    expect(await drain(iterator)).toEqual([0, 1, 2, 3, 4, 5].map(n));
  });

  it("rejects with the handler's error after the events before it", async () => {
    const { iterator } = events(async ({ emit }) => {
      emit(n(1));
      throw new Error("broken feed");
    });
    expect(await iterator.next()).toEqual({ value: n(1), done: false });
    await expect(iterator.next()).rejects.toThrow("broken feed");
  });

  it("fails with SLOW_CONSUMER past the queue's bound", async () => {
    const { iterator } = events(({ emit }) => {
      for (let i = 0; i < 4; i++) emit(n(i));
      return () => {};
    }, 2);
    await expect(iterator.next()).rejects.toMatchObject({ code: "SLOW_CONSUMER" });
  });

  it("gives an event emitted while next() waits straight to it, and runs the cleanup on return()", async () => {
    const seen: { emit?: (event: unknown) => boolean; cleanups: number } = { cleanups: 0 };
    const { iterator, controller } = events(({ emit }) => {
      seen.emit = emit;
      return () => void (seen.cleanups += 1);
    });
    const next = iterator.next();
    expect(seen.emit?.(n(7))).toBe(true);
    expect(await next).toEqual({ value: n(7), done: false });
    controller.abort();
    expect(await iterator.return?.()).toEqual({ value: undefined, done: true });
    expect(seen.cleanups).toBe(1);
    expect(seen.emit?.(n(8))).toBe(false);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});
