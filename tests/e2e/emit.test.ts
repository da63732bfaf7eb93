import { EventEmitter } from "node:events";
import net from "node:net";
import { createClient } from "@rivulet/client";
import { defineContract, stream, type RivuletError } from "@rivulet/shared";
import { implement } from "@rivulet/server";
import { toTRPC } from "@rivulet/server/trpc";
import { createTRPCClient, httpSubscriptionLink } from "@trpc/client";
import { initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createServerPool, deferred } from "../helpers/servers.js";

/** Handlers that emit from callbacks, over real sockets: the typed client, a reader that stops reading, tRPC. */
const contract = defineContract({
  prices: stream({
    input: z.object({ symbol: z.string() }),
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      halt: z.object({ reason: z.string() }),
    },
  }),
  bulk: stream({ input: z.object({ count: z.number() }), events: { row: z.object({ i: z.number(), pad: z.string() }) } }),
});

type Feed = EventEmitter<{ price: [symbol: string, price: number, at: Date]; halt: [reason: string] }>;

const pool = createServerPool();
afterEach(() => pool.closeAll());

/** The router as its author would write it: prices relayed from an event emitter, rows from a loop that waits for drain. */
function serve(feed: Feed, options: { emitQueueSize?: number } = {}) {
  const opened = deferred<AbortSignal>();
  const cleaned = deferred();
  const router = implement(
    contract,
    {
      prices: ({ input, emit, signal }) => {
        const onPrice = (symbol: string, price: number, at: Date) => {
          if (symbol === input.symbol) emit({ event: "price", id: at.toISOString(), data: { symbol, price, at } });
        };
        const onHalt = (reason: string) => emit({ event: "halt", data: { reason } });
        feed.on("price", onPrice).on("halt", onHalt);
        opened.resolve(signal);
        return () => {
          feed.off("price", onPrice).off("halt", onHalt);
          cleaned.resolve();
        };
      },
      bulk: async ({ input, emit, drained }) => {
        const pad = "x".repeat(4096);
        for (let i = 0; i < input.count; i++) if (!emit({ event: "row", data: { i, pad } })) await drained();
      },
    },
    options,
  );
  return { router, opened: opened.promise, cleaned: cleaned.promise };
}

describe("a handler that emits, over a real server", () => {
  it("relays an EventEmitter to the typed client, Dates restored; the client leaving removes the listeners", async () => {
    const feed: Feed = new EventEmitter();
    const { router, opened, cleaned } = serve(feed);
    const origin = await pool.start(router.node({ prefix: "/sse" }));
    const client = createClient(contract, { baseUrl: `${origin}/sse` });
    const sub = client.prices({ symbol: "ACME" });
    const received: unknown[] = [];
    const reading = (async () => {
      for await (const event of sub) {
        if (event.event === "price") expectTypeOf(event.data.at).toEqualTypeOf<Date>();
        received.push(event.data);
        if (event.event === "halt") break;
      }
    })();
    const signal = await opened;
    const at = new Date(Date.UTC(2026, 11, 3));
    feed.emit("price", "OTHER", 9, at);
    feed.emit("price", "ACME", 1.5, at);
    feed.emit("halt", "market closed");
    await reading;
    expect(received).toStrictEqual([{ symbol: "ACME", price: 1.5, at }, { reason: "market closed" }]);
    await cleaned;
    expect(signal.aborted).toBe(true);
    expect(feed.listenerCount("price") + feed.listenerCount("halt")).toBe(0);
  });

  it("writes every event in order when the handler waits for drained() whenever emit says full", async () => {
    const { router } = serve(new EventEmitter());
    const origin = await pool.start(router.node({ prefix: "/sse" }));
    const client = createClient(contract, { baseUrl: `${origin}/sse` });
    // 2,000 events of 4 KB: far more than a socket's buffer, so emit returns false and the loop waits.
    const rows: number[] = [];
    for await (const event of client.bulk({ count: 2000 })) rows.push(event.data.i);
    expect(rows).toStrictEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it("serves the same through the fetch handler, whose body holds 64 KiB before emit says full", async () => {
    const { router } = serve(new EventEmitter());
    const input = encodeURIComponent(JSON.stringify({ count: 200 }));
    const response = await router.fetch(new Request(`http://localhost/bulk?input=${input}`));
    const text = await response.text();
    const rows = [...text.matchAll(/^data: \{"i":(\d+),/gm)].map((match) => Number(match[1]));
    expect(rows).toStrictEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(text.endsWith("event: rivulet:end\nid: rivulet:end\ndata: \n\n")).toBe(true);
  });

  it("ends a connection that stopped reading with SLOW_CONSUMER once emitQueueSize events wait, and cleans up", async () => {
    const feed: Feed = new EventEmitter();
    const { router, opened, cleaned } = serve(feed, { emitQueueSize: 50 });
    const errors: RivuletError[] = [];
    const reported = deferred();
    const origin = await pool.start(
      router.node({
        prefix: "/sse",
        onError: (error) => {
          errors.push(error);
          reported.resolve();
        },
      }),
    );
    // A client that sends its request and never reads: the kernel's buffers fill, then the writer's.
    const socket = net.connect(Number(new URL(origin).port), "127.0.0.1");
    socket.pause();
    socket.write(`GET /sse/prices?input=${encodeURIComponent(JSON.stringify({ symbol: "ACME" }))} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await opened;
    const at = new Date();
    let full = 0;
    // The producer ignores `false` — as an emitter's listener does — until the bound ends the stream.
    for (let i = 0; errors.length === 0; i++) {
      feed.emit("price", "ACME", i, at);
      if (feed.listenerCount("price") === 0) break;
      // Let the socket take what it can between bursts, so that "full" is the transport's, not a race.
      if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
      full = i;
    }
    await reported;
    await cleaned;
    expect(errors.map((error) => error.code)).toStrictEqual(["SLOW_CONSUMER"]);
    expect(full).toBeGreaterThan(50);
    expect(feed.listenerCount("price")).toBe(0);
    socket.destroy();
  });
});

describe("a handler that emits, through toTRPC", () => {
  it("reaches tRPC's client as typed events, in order, and ends when the handler resolves", async () => {
    const { router } = serve(new EventEmitter());
    const t = initTRPC.create({ transformer: superjson });
    const appRouter = t.router({ live: toTRPC(t, router) });
    const origin = await pool.start(createHTTPHandler({ router: appRouter }));
    const trpc = createTRPCClient<typeof appRouter>({
      links: [httpSubscriptionLink({ url: origin, transformer: superjson, EventSource })],
    });
    const rows: number[] = [];
    const done = deferred();
    const subscription = trpc.live.bulk.subscribe(
      { count: 300 },
      {
        onData: (value) => {
          if (!("id" in value)) rows.push(value.data.i);
        },
        onComplete: () => done.resolve(),
        onError: () => done.resolve(),
      },
    );
    await done.promise;
    subscription.unsubscribe();
    expect(rows).toStrictEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});
