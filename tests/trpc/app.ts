import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { defineContract, stream } from "@rivulet/shared";
import { createChannel, implement, memoryBroker, RivuletError, type Broker } from "@rivulet/server";
import { toTRPC } from "@rivulet/server/trpc";
import { initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { z } from "zod";

export const contract = defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string() }),
    events: { price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }) },
  }),
  counter: stream({ events: { tick: z.object({ n: z.number().int() }) } }),
  chat: {
    room: stream({
      input: z.object({ room: z.string() }),
      events: { message: z.object({ from: z.string(), text: z.string() }) },
    }),
  },
});

/** What the tests observe from inside the handlers. */
export interface Probe {
  /** Resolved by the counter handler's `finally`, with whether its signal had aborted. */
  finished: Promise<boolean>;
  /** Every `lastEventId` the counter handler was started with, in order. */
  resumedFrom: (string | undefined)[];
}

export interface App {
  url: string;
  port: number;
  broker: Broker;
  rooms: ReturnType<typeof createChannel<typeof contract.chat.room>>;
  probe: Probe;
  /** The messages the mutation published, for the query. */
  published: string[];
  close(): Promise<void>;
}

interface Ctx {
  user: string;
}

/** A tRPC app as its team would write it, with Rivulet's streams mounted under `live`. */
export function buildRouter(broker: Broker, probe: Probe, published: string[]) {
  const rooms = createChannel(broker, contract.chat.room);
  let finish: (aborted: boolean) => void = () => undefined;
  probe.finished = new Promise((resolve) => (finish = resolve));
  const router = implement<typeof contract, Ctx>(contract, {
    ticker: async function* ({ input, ctx }) {
      // A user named "bad" gets an event that fails its schema after a good one.
      yield { event: "price", data: { symbol: input.symbol, price: 1, at: new Date(Date.UTC(2026, 0, 1)) } };
      if (ctx.user === "bad") yield { event: "price", data: { symbol: input.symbol, price: Number.NaN, at: new Date() } };
      if (input.symbol === "NONE") throw new RivuletError("NOT_FOUND", "No symbol NONE");
      yield { event: "price", data: { symbol: input.symbol, price: 2, at: new Date(Date.UTC(2026, 0, 2)) } };
    },
    // Counts for ever and never looks at its signal: only `return()` from the adapter ends it.
    counter: async function* ({ lastEventId, signal }) {
      probe.resumedFrom.push(lastEventId);
      try {
        for (let n = lastEventId === undefined ? 1 : Number(lastEventId) + 1; ; n++) {
          // One event per macrotask, so that the proxy's cuts land between and inside events.
          await new Promise((resolve) => setImmediate(resolve));
          yield { event: "tick", data: { n }, id: String(n) };
        }
      } finally {
        finish(signal.aborted);
      }
    },
    chat: {
      room: ({ input, lastEventId, signal }) => rooms.subscribe(input.room, { lastEventId, signal }),
    },
  });
  const t = initTRPC.context<Ctx>().create({ transformer: superjson });
  const appRouter = t.router({
    greeting: t.procedure.input(z.object({ name: z.string() })).query(({ input, ctx }) => `hi ${input.name} from ${ctx.user}`),
    post: t.procedure.input(z.object({ room: z.string(), text: z.string() })).mutation(async ({ input, ctx }) => {
      published.push(input.text);
      return rooms.publish(input.room, { event: "message", data: { from: ctx.user, text: input.text } });
    }),
    live: toTRPC(t, router),
  });
  return { appRouter, rooms };
}

export type AppRouter = ReturnType<typeof buildRouter>["appRouter"];

export async function startApp(): Promise<App> {
  const broker = memoryBroker({ historySize: 1000 });
  const probe: Probe = { finished: Promise.resolve(false), resumedFrom: [] };
  const published: string[] = [];
  const { appRouter, rooms } = buildRouter(broker, probe, published);
  const handler = createHTTPHandler({
    router: appRouter,
    createContext: ({ req }) => ({ user: String(req.headers["x-user"] ?? "ada") }),
  });
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    broker,
    rooms,
    probe,
    published,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `eventsource` waits 3 s before reconnecting unless the server sends a
 * `retry:` field, which tRPC does not: this one reads every response as if
 * it began with `retry: 1`, so that many cuts take little time. It also
 * sends the user's header, as a browser would send its cookie.
 */
function quickEventSource(user: string): typeof EventSource {
  return class extends EventSource {
    constructor(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]) {
      super(url, {
        ...init,
        fetch: async (input, requestInit) => {
          const response = await fetch(input, { ...requestInit, headers: { ...requestInit.headers, "x-user": user } });
          if (response.body === null) return response;
          const retry = new TextEncoder().encode("retry: 1\n\n");
          const body = response.body.pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({ start: (controller) => controller.enqueue(retry) }),
          );
          return new Response(body, { status: response.status, headers: response.headers });
        },
      });
    }
  };
}

/** tRPC's own client: subscriptions over SSE, the rest batched, superjson on both sides. */
export function connect(url: string, user = "ada"): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url, transformer: superjson, EventSource: quickEventSource(user) }),
        false: httpBatchLink({ url, transformer: superjson, headers: { "x-user": user } }),
      }),
    ],
  });
}
