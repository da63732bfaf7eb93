/**
 * Type tests: checked by `tsc -p packages/server/tsconfig.json`, never run.
 * Every `@ts-expect-error` below is needed: tsc fails on an unused one.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { defineContract, stream } from "@rivulet/shared";
import { expectTypeOf } from "vitest";
import { z } from "zod";
import type { FetchHandler, NodeHandler, Router } from "./index.js";
import { implement } from "./implement.js";

const contract = defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string(), depth: z.string().transform((s) => s.length) }),
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      halt: z.object({ reason: z.string() }),
    },
  }),
  chat: {
    room: stream({ input: z.object({ room: z.string() }), events: { message: z.object({ text: z.string() }) } }),
  },
  clock: stream({ events: { tick: z.object({ n: z.number().default(0) }) } }),
});

// The handler's input is the parsed input (the schema's output); signal, lastEventId and ctx are typed.
implement(contract, {
  ticker: async function* ({ input, signal, lastEventId, ctx }) {
    expectTypeOf(input).toEqualTypeOf<{ symbol: string; depth: number }>();
    expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
    expectTypeOf(lastEventId).toEqualTypeOf<string | undefined>();
    expectTypeOf(ctx).toEqualTypeOf<undefined>();
    yield { event: "price", data: { symbol: input.symbol, price: input.depth, at: new Date() } };
    // id and retry are optional.
    yield { event: "halt", id: "42", retry: 1_000, data: { reason: "close" } };
    yield { event: "halt", data: { reason: "close" } };
  },
  chat: {
    room: async function* ({ input }) {
      expectTypeOf(input).toEqualTypeOf<{ room: string }>();
      yield { event: "message", data: { text: input.room } };
    },
  },
  // A stream without an input schema gets `undefined`; data is the schema's input (defaults may be left out).
  clock: async function* ({ input }) {
    expectTypeOf(input).toEqualTypeOf<undefined>();
    yield { event: "tick", data: {} };
  },
});

// A wrong event name is a compile error.
implement(contract, {
  // @ts-expect-error "nope" is not an event of ticker
  ticker: async function* () {
    yield { event: "nope", data: { reason: "close" } };
  },
  chat: { room: async function* () {} },
  clock: async function* () {},
});

// Data of the wrong shape for its event is a compile error.
implement(contract, {
  // @ts-expect-error halt's data has no price
  ticker: async function* () {
    yield { event: "halt", data: { symbol: "A", price: 1, at: new Date() } };
  },
  chat: { room: async function* () {} },
  clock: async function* () {},
});
implement(contract, {
  // @ts-expect-error price.at must be a Date, not a string
  ticker: async function* () {
    yield { event: "price", data: { symbol: "A", price: 1, at: "2024-01-01" } };
  },
  chat: { room: async function* () {} },
  clock: async function* () {},
});
implement(contract, {
  // @ts-expect-error id must be a string
  ticker: async function* () {
    yield { event: "halt", id: 42, data: { reason: "close" } };
  },
  chat: { room: async function* () {} },
  clock: async function* () {},
});

// A stream of the contract without a handler is a compile error, nested ones too.
// @ts-expect-error clock has no handler
implement(contract, {
  ticker: async function* () {},
  chat: { room: async function* () {} },
});
implement(contract, {
  ticker: async function* () {},
  // @ts-expect-error chat.room has no handler
  chat: {},
  clock: async function* () {},
});

// Without a context, the adapters need no options and router.fetch is a plain fetch handler.
const open = implement(contract, {
  ticker: async function* () {},
  chat: { room: async function* () {} },
  clock: async function* () {},
});
expectTypeOf(open.contract).toEqualTypeOf<typeof contract>();
expectTypeOf(open.node()).toEqualTypeOf<NodeHandler>();
expectTypeOf(open.node({ prefix: "/sse", keepAliveMs: false })).toEqualTypeOf<NodeHandler>();
expectTypeOf(open.fetchHandler()).toEqualTypeOf<FetchHandler>();
expectTypeOf(open.fetch).toEqualTypeOf<FetchHandler>();
expectTypeOf(open.fetch).toBeCallableWith(new Request("http://x/clock"));
expectTypeOf(open.fetch).returns.toEqualTypeOf<Promise<Response>>();
expectTypeOf<NodeHandler>().toBeCallableWith(
  {} as IncomingMessage,
  {} as ServerResponse,
  () => {},
);

// ctx is typed by implement's second type argument.
const authed = implement<typeof contract, { user: string }>(contract, {
  ticker: async function* ({ ctx }) {
    expectTypeOf(ctx).toEqualTypeOf<{ user: string }>();
    yield { event: "halt", data: { reason: ctx.user } };
  },
  chat: {
    room: async function* ({ ctx }) {
      expectTypeOf(ctx).toEqualTypeOf<{ user: string }>();
    },
  },
  clock: async function* () {},
});

// ...and the adapters then require a context function returning it.
// @ts-expect-error a router whose handlers expect ctx needs a context
authed.node();
// @ts-expect-error options without context are not enough either
authed.node({ prefix: "/sse" });
// @ts-expect-error a router whose handlers expect ctx needs a context
authed.fetchHandler();
authed.node({ context: (req) => ({ user: String(req.headers["x-user"]) }) });
authed.node({ context: async () => ({ user: "alice" }) });
authed.fetchHandler({ context: (request) => ({ user: request.headers.get("x-user") ?? "" }) });
// @ts-expect-error the context must return the handlers' ctx type
authed.node({ context: () => ({ user: 1 }) });
expectTypeOf(authed.node({ context: () => ({ user: "a" }) })).toEqualTypeOf<NodeHandler>();
// router.fetch has no way to build the context, so a context router has none: passing it on is a compile error.
expectTypeOf(authed).not.toHaveProperty("fetch");
export default {
  // @ts-expect-error a router with a context type has no router.fetch: use router.fetchHandler({ context })
  fetch: authed.fetch,
};

// The node context function gets the node request, the fetch one the web Request.
authed.node({
  context: (req) => {
    expectTypeOf(req).toEqualTypeOf<IncomingMessage>();
    return { user: "a" };
  },
});
authed.fetchHandler({
  context: (request) => {
    expectTypeOf(request).toEqualTypeOf<Request>();
    return { user: "a" };
  },
});

// An optional context type keeps the context optional.
const maybe = implement<typeof contract, { user: string } | undefined>(contract, {
  ticker: async function* ({ ctx }) {
    expectTypeOf(ctx).toEqualTypeOf<{ user: string } | undefined>();
  },
  chat: { room: async function* () {} },
  clock: async function* () {},
});
maybe.node();
expectTypeOf(maybe.fetch).toEqualTypeOf<FetchHandler>();
// Router<C, X> still names a router with or without a context type.
expectTypeOf(open).toEqualTypeOf<Router<typeof contract, undefined>>();
expectTypeOf(authed).toEqualTypeOf<Router<typeof contract, { user: string }>>();

// onError is told the phase.
open.node({
  onError: (error, info) => {
    expectTypeOf(error.code).toEqualTypeOf<import("@rivulet/shared").RivuletErrorCode>();
    expectTypeOf(info.phase).toEqualTypeOf<"request" | "context" | "stream" | "event">();
    expectTypeOf(info.path).toEqualTypeOf<string>();
  },
});
