/**
 * Type tests of durable handlers: checked by `tsc -p packages/server/tsconfig.json`, never run.
 * Every `@ts-expect-error` below is needed: tsc fails on an unused one.
 */
import { defineContract, stream, type InferYield } from "@rivulet/shared";
import { expectTypeOf } from "vitest";
import { z } from "zod";
import { implement } from "../implement.js";

const contract = defineContract({
  chat: {
    ask: stream({
      durable: true,
      input: z.object({ prompt: z.string(), n: z.string().transform((s) => s.length) }),
      events: { token: z.string(), done: z.object({ tokens: z.number() }) },
    }),
  },
});

type Yield = InferYield<typeof contract.chat.ask>;
expectTypeOf<Yield["event"]>().toEqualTypeOf<"token" | "done">();
expectTypeOf<Extract<Yield, { event: "done" }>["data"]>().toEqualTypeOf<{ tokens: number }>();

// A durable handler gets the parsed input, its ctx, the run's id and signal; no lastEventId (a run starts once).
implement<typeof contract, { user: string }>(contract, {
  chat: {
    ask: async function* (args) {
      expectTypeOf(args.input).toEqualTypeOf<{ prompt: string; n: number }>();
      expectTypeOf(args.ctx).toEqualTypeOf<{ user: string }>();
      expectTypeOf(args.runId).toEqualTypeOf<string>();
      expectTypeOf(args.signal).toEqualTypeOf<AbortSignal>();
      // @ts-expect-error a run has no lastEventId
      void args.lastEventId;
      yield { event: "token", data: args.input.prompt };
      yield { event: "done", data: { tokens: args.input.n } };
    },
  },
});

// { run, snapshot }: the snapshot's `previous` and `events` are the stream's yields, and it returns one.
implement(contract, {
  chat: {
    ask: {
      run: async function* ({ runId }) {
        yield { event: "token", data: runId };
      },
      snapshot: (previous, events) => {
        expectTypeOf(previous).toEqualTypeOf<Yield | undefined>();
        expectTypeOf(events).toEqualTypeOf<Yield[]>();
        return { event: "token", data: events.length.toString() };
      },
    },
  },
});

// `snapshot` is optional.
implement(contract, {
  chat: {
    ask: {
      run: async function* () {
        yield { event: "done", data: { tokens: 0 } };
      },
    },
  },
});

implement(contract, {
  chat: {
    // @ts-expect-error a yield the stream does not have
    ask: async function* () {
      yield { event: "token", data: 1 };
    },
  },
});

implement(contract, {
  chat: {
    ask: {
      run: async function* () {
        yield { event: "token", data: "a" };
      },
      // @ts-expect-error a snapshot must be one of the stream's events
      snapshot: () => ({ event: "summary", data: "x" }),
    },
  },
});

implement(contract, {
  chat: {
    // @ts-expect-error `run` is required in the object form
    ask: { snapshot: () => ({ event: "token", data: "x" }) },
  },
});

// runs' options are typed with the router's context.
implement<typeof contract, { user: string }>(
  contract,
  {
    chat: {
      ask: async function* () {
        yield { event: "token", data: "a" };
      },
    },
  },
  {
    runs: {
      owner: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<{ user: string }>();
        return ctx.user;
      },
      maxDurationMs: false,
      onError: (error, info) => {
        expectTypeOf(info).toEqualTypeOf<{ path: string; runId: string }>();
        void error.code;
      },
    },
  },
);
