/**
 * Type tests of handlers that emit: checked by `tsc -p packages/server/tsconfig.json`, never run.
 * Every `@ts-expect-error` below is needed: tsc fails on an unused one.
 */
import { EventEmitter } from "node:events";
import { defineContract, stream, type InferYield } from "@rivulet/shared";
import { expectTypeOf } from "vitest";
import { z } from "zod";
import type { EmitResult } from "./index.js";
import { implement } from "./implement.js";

const contract = defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string() }),
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      halt: z.object({ reason: z.string() }),
    },
  }),
  clock: stream({ events: { tick: z.object({ n: z.number().default(0) }) } }),
});

const feed = new EventEmitter<{ price: [price: number]; halt: [] }>();

// emit takes exactly what a yield takes; it returns whether the event went out; the handler returns a cleanup.
implement(contract, {
  ticker: ({ input, emit, drained, signal }) => {
    expectTypeOf(emit).parameter(0).toEqualTypeOf<InferYield<typeof contract.ticker>>();
    expectTypeOf(emit).returns.toEqualTypeOf<boolean>();
    expectTypeOf(drained).toEqualTypeOf<() => Promise<void>>();
    expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
    const onPrice = (price: number) => emit({ event: "price", id: "1", data: { symbol: input.symbol, price, at: new Date() } });
    const onHalt = () => emit({ event: "halt", data: { reason: "closed" } });
    feed.on("price", onPrice).on("halt", onHalt);
    return () => feed.off("price", onPrice).off("halt", onHalt);
  },
  // An async handler: the stream lasts until it settles; waiting for drained when emit says full.
  clock: async ({ emit, drained }) => {
    for (let n = 0; n < 3; n++) if (!emit({ event: "tick", data: {} })) await drained();
  },
});

// A handler that returns nothing (the stream ends once its events are written), or a promise of a cleanup.
implement(contract, {
  ticker: ({ emit }) => {
    emit({ event: "halt", data: { reason: "now" } });
  },
  clock: async ({ emit }) => {
    await Promise.resolve();
    emit({ event: "tick", data: { n: 1 } });
    return () => {};
  },
});

// The event name narrows the data: halt's data is not a price.
implement(contract, {
  ticker: ({ emit }) => {
    // @ts-expect-error halt's data has no price
    emit({ event: "halt", data: { symbol: "A", price: 1, at: new Date() } });
    // @ts-expect-error "nope" is not an event of ticker
    emit({ event: "nope", data: { reason: "x" } });
    // @ts-expect-error a price's `at` is a Date
    emit({ event: "price", data: { symbol: "A", price: 1, at: "today" } });
    // @ts-expect-error tick is clock's event, not ticker's
    emit({ event: "tick", data: {} });
  },
  clock: () => {},
});

// Neither style: a handler that returns a value is a compile error.
implement(contract, {
  // @ts-expect-error a number is neither an async iterable nor an EmitResult
  ticker: () => 42,
  // @ts-expect-error a promise of a string neither
  clock: async () => "done",
});

// A generator still yields typed events, and its wrong yields are still errors.
implement(contract, {
  // @ts-expect-error halt's data is { reason }
  ticker: async function* () {
    yield { event: "halt", data: { price: 1 } };
  },
  clock: async function* () {
    yield { event: "tick", data: {} };
  },
});

// What a handler that emits may return.
expectTypeOf<undefined>().toMatchTypeOf<EmitResult>();
expectTypeOf<() => void>().toMatchTypeOf<EmitResult>();
expectTypeOf<Promise<() => Promise<void>>>().toMatchTypeOf<EmitResult>();
expectTypeOf<Promise<number>>().not.toMatchTypeOf<EmitResult>();
