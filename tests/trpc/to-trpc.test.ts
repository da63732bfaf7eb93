import { TRPCClientError } from "@trpc/client";
import { implement, RivuletError } from "@rivulet/server";
import { fromTRPCError, toTRPC, toTRPCError, type TRPCDelivery } from "@rivulet/server/trpc";
import { initTRPC, TRPCError } from "@trpc/server";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { startCuttingProxy } from "../helpers/cutting-proxy.js";
import { connect, contract, startApp, type App, type AppRouter } from "./app.js";

type Ticker = TRPCDelivery<typeof contract.ticker>;
type Counter = TRPCDelivery<typeof contract.counter>;
type Room = TRPCDelivery<typeof contract.chat.room>;

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function app(): Promise<App> {
  const started = await startApp();
  opened.push(started);
  return started;
}

/** Subscribes and collects until `until` says so or the subscription errors; then unsubscribes. */
function collect<T>(
  subscribe: (handlers: { onData: (value: T) => void; onError: (error: unknown) => void }) => { unsubscribe(): void },
  until: (values: T[]) => boolean,
): Promise<{ values: T[]; error: unknown }> {
  return new Promise((resolve) => {
    const values: T[] = [];
    const subscription = subscribe({
      onData: (value) => {
        values.push(value);
        if (until(values)) {
          subscription.unsubscribe();
          resolve({ values, error: undefined });
        }
      },
      onError: (error) => {
        subscription.unsubscribe();
        resolve({ values, error });
      },
    });
  });
}

describe("toTRPC through tRPC's client and standalone server", () => {
  it("delivers typed events with their Dates restored", async () => {
    const { url } = await app();
    const client = connect(url);
    const { values, error } = await collect<{ event: "price"; data: { symbol: string; price: number; at: Date } }>(
      (handlers) =>
        client.live.ticker.subscribe({ symbol: "ACME" }, {
          onData: (value) => {
            // No annotation: the contract's event union, and no id since the ticker sends none.
            expectTypeOf(value).toEqualTypeOf<
              | { event: "price"; data: { symbol: string; price: number; at: Date } }
              | { id: string; data: { event: "price"; data: { symbol: string; price: number; at: Date } } }
            >();
            if (!("id" in value)) handlers.onData(value);
          },
          onError: handlers.onError,
        }),
      (received) => received.length === 2,
    );
    expect(error).toBeUndefined();
    expect(values.map((value) => value.data.at)).toEqual([new Date(Date.UTC(2026, 0, 1)), new Date(Date.UTC(2026, 0, 2))]);
    expect(values[0]?.data.at).toBeInstanceOf(Date);
  });

  it("never sends an event that fails its schema: the stream fails with the message hidden", async () => {
    const { url } = await app();
    // tRPC's link treats INTERNAL_SERVER_ERROR as retryable and reconnects: the failure shows as
    // the connection state's error, which is where this test stops.
    const { values, error } = await new Promise<{ values: Ticker[]; error: unknown }>((resolve) => {
      const values: Ticker[] = [];
      const subscription = connect(url, "bad").live.ticker.subscribe({ symbol: "ACME" }, {
        onData: (value) => values.push(value),
        onConnectionStateChange: (state) => {
          if (state.error === null) return;
          subscription.unsubscribe();
          resolve({ values, error: state.error });
        },
      });
    });
    expect(values.map((value) => ("id" in value ? value.data : value).data.price)).toEqual([1]);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe("INTERNAL_SERVER_ERROR");
    expect((error as Error).message).toBe("Internal server error");
  });

  it("turns a handler's RivuletError into the matching TRPCError, and bad input into BAD_REQUEST", async () => {
    const { url } = await app();
    const client = connect(url);
    const notFound = await collect<Ticker>((handlers) => client.live.ticker.subscribe({ symbol: "NONE" }, handlers), () => false);
    expect((notFound.error as TRPCClientError<AppRouter>).data?.code).toBe("NOT_FOUND");
    expect((notFound.error as Error).message).toBe("No symbol NONE");
    // @ts-expect-error: the contract's input needs a symbol.
    const invalid = await collect<Ticker>((handlers) => client.live.ticker.subscribe({}, handlers), () => false);
    expect((invalid.error as TRPCClientError<AppRouter>).data?.code).toBe("BAD_REQUEST");
    expect(invalid.values).toEqual([]);
  });

  it("resumes across 12 random cuts with nothing lost and nothing twice", async () => {
    const end = 400;
    const target = await app();
    // Seeded, so that a failure can be replayed: each of the first 12 connections is cut after 150..1,500 bytes.
    let seed = 12;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port: target.port }, (connection) =>
      connection < 12 ? { at: 150 + Math.floor(random() * 1350) } : undefined,
    );
    opened.push(proxy);
    const { values, error } = await collect<Counter>(
      (handlers) => connect(proxy.origin).live.counter.subscribe(undefined, handlers),
      (received) => received.length === end,
    );
    expect(error).toBeUndefined();
    const numbers = values.map((value) => ("id" in value ? value.data.data.n : Number.NaN));
    expect(numbers).toEqual(Array.from({ length: end }, (_, index) => index + 1));
    expect(proxy.cuts.length).toBe(12);
    // Every reconnect after a cut in the body resumed from the last id the client had.
    expect(target.probe.resumedFrom.length).toBeGreaterThan(1);
    expect(target.probe.resumedFrom[0]).toBeUndefined();
  });

  it("runs the handler's finally, with its signal aborted, after unsubscribe()", async () => {
    const target = await app();
    const { values } = await collect<Counter>(
      (handlers) => connect(target.url).live.counter.subscribe(undefined, handlers),
      (received) => received.length === 3,
    );
    expect(values).toHaveLength(3);
    expect(await target.probe.finished).toBe(true);
  });

  it("relays a channel to 20 subscribers and resumes one from the broker's history", async () => {
    const target = await app();
    const client = connect(target.url);
    const subscribers = Array.from({ length: 20 }, () => {
      let started!: () => void;
      const ready = new Promise<void>((resolve) => (started = resolve));
      const done = collect<Room>(
        (handlers) =>
          client.live.chat.room.subscribe({ room: "lobby" }, { ...handlers, onStarted: () => started() }),
        (received) => received.length === 3,
      );
      return { ready, done };
    });
    await Promise.all(subscribers.map((subscriber) => subscriber.ready));
    const ids: string[] = [];
    for (const text of ["a", "b", "c"]) ids.push(await client.post.mutate({ room: "lobby", text }));
    for (const { done } of subscribers) {
      const { values } = await done;
      expect(values.map((value) => ("id" in value ? [value.id, value.data.data.text] : []))).toEqual([
        [ids[0], "a"],
        [ids[1], "b"],
        [ids[2], "c"],
      ]);
    }
    // A subscriber that had seen the first message asks for the rest by its id.
    const resumed = await collect<Room>(
      (handlers) => client.live.chat.room.subscribe({ room: "lobby", lastEventId: ids[0] }, handlers),
      (received) => received.length === 2,
    );
    expect(resumed.values.map((value) => ("id" in value ? value.data.data.text : ""))).toEqual(["b", "c"]);
  });

  it("tells the client of a history gap with PRECONDITION_FAILED, which tRPC does not retry", async () => {
    const target = await app();
    const client = connect(target.url);
    await client.post.mutate({ room: "lobby", text: "a" });
    const { values, error } = await collect<Room>(
      (handlers) => client.live.chat.room.subscribe({ room: "lobby", lastEventId: "0-1" }, handlers),
      () => false,
    );
    expect(values).toEqual([]);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe("PRECONDITION_FAILED");
  });

  it("keeps the app's query and mutation working beside the streams", async () => {
    const target = await app();
    const client = connect(target.url, "grace");
    expect(await client.greeting.query({ name: "ada" })).toBe("hi ada from grace");
    const id = await client.post.mutate({ room: "r", text: "hello" });
    expectTypeOf(id).toEqualTypeOf<string>();
    expect(target.published).toEqual(["hello"]);
  });
});

describe("toTRPC's misuse and error mapping", () => {
  it("refuses a router that implement() did not make", () => {
    const t = initTRPC.create();
    const real = implement(contract.chat, { room: async function* () {} });
    // A copy has the router's members but not what `implement` keeps for its integrations.
    const fake = { ...real };
    expect(() => toTRPC(t, fake)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });

  it("maps tRPC's context with options.context, whose errors reach the caller as TRPCErrors", async () => {
    const t = initTRPC.context<{ token: string }>().create();
    const router = implement<typeof contract.chat, { user: string }>(contract.chat, {
      room: async function* ({ ctx, input }) {
        yield { event: "message", data: { from: ctx.user, text: input.room } };
      },
    });
    const live = toTRPC(t, router, {
      context: ({ token }) => {
        if (token === "") throw new RivuletError("UNAUTHORIZED", "No token");
        if (token === "banned") throw new TRPCError({ code: "FORBIDDEN", message: "Banned" });
        return { user: token };
      },
    });
    const createCaller = t.createCallerFactory(t.router({ live }));
    const first = async (token: string): Promise<unknown> => {
      for await (const value of await createCaller({ token }).live.room({ room: "lobby" })) return value;
      return undefined;
    };
    expect(await first("ada")).toEqual({ event: "message", data: { from: "ada", text: "lobby" } });
    await expect(first("")).rejects.toMatchObject({ code: "UNAUTHORIZED", message: "No token" });
    await expect(first("banned")).rejects.toMatchObject({ code: "FORBIDDEN", message: "Banned" });
    // @ts-expect-error: the handlers' context differs from tRPC's, so `context` is required.
    toTRPC(t, router);
  });

  it("maps codes both ways and hides server faults", () => {
    expect(toTRPCError(new RivuletError("FORBIDDEN", "no")).code).toBe("FORBIDDEN");
    expect(toTRPCError(new RivuletError("HISTORY_GAP", "gone")).code).toBe("PRECONDITION_FAILED");
    const internal = toTRPCError(new RivuletError("INVALID_EVENT", "secret detail"));
    expect([internal.code, internal.message]).toEqual(["INTERNAL_SERVER_ERROR", "Internal server error"]);
    expect(toTRPCError(new Error("secret")).message).toBe("Internal server error");
    expect(fromTRPCError(new TRPCError({ code: "UNAUTHORIZED", message: "log in" })).code).toBe("UNAUTHORIZED");
    expect(fromTRPCError(new TRPCError({ code: "CONFLICT" })).code).toBe("INTERNAL_SERVER_ERROR");
  });
});
