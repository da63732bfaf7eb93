import { END_EVENT, RivuletError, createEventStreamParser, superjsonCodec, type ParsedEvent } from "@rivulet/shared";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { implement } from "../implement.js";
import { AT, contract, query } from "../test-utils/contract.js";
import { closeAll, serve, waitFor } from "../test-utils/index.js";
import { createChannel, type ChannelDelivery, type ChannelMessage } from "./channel.js";
import { memoryBroker } from "./memory.js";
import { SubscriberQueue } from "./queue.js";

afterEach(closeAll);

type Ticker = (typeof contract)["ticker"];
type Room = (typeof contract)["chat"]["room"];

describe("createChannel", () => {
  it("publishes valid messages and delivers them with their IDs", async () => {
    const broker = memoryBroker();
    const tickers = createChannel(broker, contract.ticker);
    const sub = tickers.subscribe("ACME")[Symbol.asyncIterator]();
    const id = await tickers.publish("ACME", { event: "price", data: { symbol: "ACME", price: 1, at: AT } });
    const haltId = await tickers.publish("ACME", { event: "halt", data: { reason: "close" } });
    expect(await sub.next()).toEqual({ value: { event: "price", data: { symbol: "ACME", price: 1, at: AT }, id }, done: false });
    expect(await sub.next()).toEqual({ value: { event: "halt", data: { reason: "close" }, id: haltId }, done: false });
    await broker.close();
  });

  it("refuses data that fails its schema with INVALID_EVENT and the issues, and publishes nothing", async () => {
    const broker = memoryBroker();
    const tickers = createChannel(broker, contract.ticker);
    const sub = tickers.subscribe("ACME")[Symbol.asyncIterator]();
    const error = await tickers
      .publish("ACME", { event: "price", data: { symbol: "ACME", price: "1" as unknown as number, at: AT } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).code).toBe("INVALID_EVENT");
    expect((error as RivuletError).issues?.[0]?.path).toEqual(["price"]);
    const unknown = await tickers
      .publish("ACME", { event: "nope", data: {} } as unknown as ChannelMessage<Ticker>)
      .catch((e: unknown) => e);
    expect((unknown as RivuletError).code).toBe("INVALID_EVENT");
    // An inherited name is not an event either.
    const inherited = await tickers
      .publish("ACME", { event: "toString", data: {} } as unknown as ChannelMessage<Ticker>)
      .catch((e: unknown) => e);
    expect((inherited as RivuletError).code).toBe("INVALID_EVENT");
    const id = await tickers.publish("ACME", { event: "halt", data: { reason: "ok" } });
    expect((await sub.next()).value).toEqual({ event: "halt", data: { reason: "ok" }, id });
    await broker.close();
  });

  it("types publish by the stream's events and subscribe as the union with IDs", () => {
    const tickers = createChannel(memoryBroker(), contract.ticker);
    expectTypeOf(tickers.publish).parameter(1).toEqualTypeOf<
      | { event: "price"; data: { symbol: string; price: number; at: Date }; id?: string }
      | { event: "halt"; data: { reason: string }; id?: string }
    >();
    expectTypeOf(tickers.publish).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(tickers.subscribe("ACME")).toEqualTypeOf<AsyncIterable<ChannelDelivery<Ticker>>>();
    expectTypeOf<ChannelDelivery<Ticker>>().toEqualTypeOf<
      | { event: "price"; data: { symbol: string; price: number; at: Date }; id: string }
      | { event: "halt"; data: { reason: string }; id: string }
    >();
    // Type checks only: these calls are never made.
    const never = (): void => {
      // @ts-expect-error an event the stream does not have
      void tickers.publish("ACME", { event: "message", data: { room: "a", text: "b" } });
      // @ts-expect-error data of another event
      void tickers.publish("ACME", { event: "halt", data: { symbol: "ACME", price: 1, at: AT } });
      // @ts-expect-error a Date is required, not a string
      void tickers.publish("ACME", { event: "price", data: { symbol: "ACME", price: 1, at: "today" } });
    };
    void never;
  });

  it("lets a handler `yield*` a subscription, over HTTP", async () => {
    const broker = memoryBroker();
    const rooms = createChannel(broker, contract.chat.room);
    const tickers = createChannel(broker, contract.ticker);
    const router = implement(contract, {
      ticker: async function* ({ input, lastEventId, signal }) {
        yield* tickers.subscribe(input.symbol, { lastEventId, signal });
      },
      chat: {
        room: async function* ({ input, lastEventId, signal }) {
          yield* rooms.subscribe(input.room, { lastEventId, signal });
        },
      },
      // A channel of another stream yields events this stream does not have ("message", not "tick"):
      // @ts-expect-error the handler's yields do not match the clock stream
      clock: async function* ({ signal }) {
        yield* rooms.subscribe("lobby", { signal });
      },
    });
    expectTypeOf<ChannelDelivery<Room>>().toEqualTypeOf<{
      event: "message";
      data: { room: string; text: string };
      id: string;
    }>();

    const controller = new AbortController();
    const response = await router.fetch(
      new Request(`http://x/ticker?input=${encodeURIComponent(JSON.stringify({ symbol: "ACME" }))}`, {
        signal: controller.signal,
      }),
    );
    expect(response.status).toBe(200);
    const events: ParsedEvent[] = [];
    const parser = createEventStreamParser({ onEvent: (event) => events.push(event) });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const id = await tickers.publish("ACME", { event: "price", data: { symbol: "ACME", price: 2, at: AT } });
    await tickers.publish("OTHER", { event: "halt", data: { reason: "not this one" } });
    const haltId = await tickers.publish("ACME", { event: "halt", data: { reason: "close" } });
    while (events.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    controller.abort();
    await reader.cancel().catch(() => {});
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ["price", id],
      ["halt", haltId],
    ]);
    expect(events.some((e) => e.event === END_EVENT)).toBe(false);
    const first = events[0] as ParsedEvent;
    expect(superjsonCodec.decode(first.data, first.meta)).toEqual({ symbol: "ACME", price: 2, at: AT });
    await broker.close();
  });

  it("lets a handler return a subscription as it is, over HTTP: typed, resumed, dropped when the client leaves", async () => {
    const broker = memoryBroker();
    const tickers = createChannel(broker, contract.ticker);
    const rooms = createChannel(broker, contract.chat.room);
    const router = implement(contract, {
      ticker: ({ input, lastEventId }) => tickers.subscribe(input.symbol, { lastEventId }),
      chat: { room: ({ input }) => rooms.subscribe(input.room) },
      // @ts-expect-error a channel of another stream yields events this stream does not have
      clock: () => rooms.subscribe("lobby"),
    });
    const { origin } = await serve(router.node());
    const seen = await tickers.publish("ACME", { event: "halt", data: { reason: "seen" } });
    const missed = await tickers.publish("ACME", { event: "price", data: { symbol: "ACME", price: 1, at: AT } });

    const controller = new AbortController();
    const response = await fetch(`${origin}/ticker${query({ symbol: "ACME" })}`, {
      headers: { "last-event-id": seen },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const events: ParsedEvent[] = [];
    const parser = createEventStreamParser({ onEvent: (event) => events.push(event) });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const read = async (count: number): Promise<void> => {
      while (events.length < count) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        parser.feed(value);
      }
    };
    await read(1);
    const live = await tickers.publish("ACME", { event: "price", data: { symbol: "ACME", price: 2, at: AT } });
    await read(2);
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ["price", missed],
      ["price", live],
    ]);
    const last = events[1] as ParsedEvent;
    expect(superjsonCodec.decode(last.data, last.meta)).toEqual({ symbol: "ACME", price: 2, at: AT });

    // No signal was passed: the subscription still ends the moment the client leaves.
    const push = vi.spyOn(SubscriberQueue.prototype, "push");
    controller.abort();
    await reader.cancel().catch(() => {});
    await waitFor(async () => {
      push.mockClear();
      await tickers.publish("ACME", { event: "halt", data: { reason: "anyone?" } });
      return push.mock.calls.length === 0;
    }, "the subscriber to be dropped");
    push.mockRestore();
    await broker.close();
  });
});
