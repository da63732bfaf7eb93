import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineContract, stream } from "./contract.js";
import type {
  InferEvent,
  InferEventData,
  InferEventName,
  InferInput,
  InferParsedInput,
  InferYield,
} from "./infer.js";

const contract = defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string(), depth: z.number().default(1) }),
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      halt: z.object({ reason: z.string() }),
    },
  }),
  chat: {
    room: stream({
      input: z.object({ room: z.string().transform((name) => name.length) }),
      events: { message: z.object({ text: z.string(), sent: z.string().transform((s) => new Date(s)) }) },
    }),
  },
  clock: stream({ events: { tick: z.number() } }),
});

type Ticker = typeof contract.ticker;
type Room = typeof contract.chat.room;
type Clock = typeof contract.clock;

describe("InferInput", () => {
  it("is the input schema's z.input (defaults optional, before transforms)", () => {
    expectTypeOf<InferInput<Ticker>>().toEqualTypeOf<{ symbol: string; depth?: number | undefined }>();
    expectTypeOf<InferInput<Room>>().toEqualTypeOf<{ room: string }>();
    const input: InferInput<Ticker> = { symbol: "ACME" };
    expect(contract.ticker.input.parse(input)).toStrictEqual({ symbol: "ACME", depth: 1 });
  });

  it("is undefined for a stream without an input schema", () => {
    expectTypeOf<InferInput<Clock>>().toEqualTypeOf<undefined>();
    expectTypeOf<InferParsedInput<Clock>>().toEqualTypeOf<undefined>();
    expect(contract.clock.input).toBeUndefined();
  });
});

describe("InferParsedInput", () => {
  it("is the input schema's z.output (after defaults and transforms)", () => {
    expectTypeOf<InferParsedInput<Ticker>>().toEqualTypeOf<{ symbol: string; depth: number }>();
    expectTypeOf<InferParsedInput<Room>>().toEqualTypeOf<{ room: number }>();
    const parsed: InferParsedInput<Room> = contract.chat.room.input.parse({ room: "lobby" });
    expect(parsed).toStrictEqual({ room: 5 });
  });
});

describe("InferEventName", () => {
  it("is the union of a stream's event names", () => {
    expectTypeOf<InferEventName<Ticker>>().toEqualTypeOf<"price" | "halt">();
    expectTypeOf<InferEventName<Clock>>().toEqualTypeOf<"tick">();
    expect(Object.keys(contract.ticker.events).sort()).toStrictEqual(["halt", "price"]);
  });
});

describe("InferEventData", () => {
  it("is the z.output of one event's schema", () => {
    expectTypeOf<InferEventData<Ticker, "price">>().toEqualTypeOf<{ symbol: string; price: number; at: Date }>();
    expectTypeOf<InferEventData<Ticker, "halt">>().toEqualTypeOf<{ reason: string }>();
    expectTypeOf<InferEventData<Room, "message">>().toEqualTypeOf<{ text: string; sent: Date }>();
    expectTypeOf<InferEventData<Clock, "tick">>().toEqualTypeOf<number>();
    const data: InferEventData<Room, "message"> = contract.chat.room.events.message.parse({
      text: "hi",
      sent: "2020-01-01T00:00:00.000Z",
    });
    expect(data.sent).toBeInstanceOf(Date);
  });
});

describe("InferEvent", () => {
  it("is a union discriminated by `event`, with data and a string id", () => {
    expectTypeOf<InferEvent<Ticker>>().toEqualTypeOf<
      | { event: "price"; data: { symbol: string; price: number; at: Date }; id: string }
      | { event: "halt"; data: { reason: string }; id: string }
    >();
    expectTypeOf<InferEvent<Clock>>().toEqualTypeOf<{ event: "tick"; data: number; id: string }>();
    const ev: InferEvent<Clock> = { event: "tick", data: 1, id: "" };
    expect(contract.clock.events[ev.event].parse(ev.data)).toBe(1);
  });

  it("narrows data on `ev.event`, and a Date stays a Date", () => {
    const describeEvent = (ev: InferEvent<Ticker>): string => {
      if (ev.event === "price") {
        expectTypeOf(ev.data).toEqualTypeOf<{ symbol: string; price: number; at: Date }>();
        expectTypeOf(ev.data.at).toEqualTypeOf<Date>();
        return `${ev.data.symbol}@${ev.data.at.getTime()}`;
      }
      expectTypeOf(ev.event).toEqualTypeOf<"halt">();
      expectTypeOf(ev.data).toEqualTypeOf<{ reason: string }>();
      return ev.data.reason;
    };
    expect(describeEvent({ event: "price", data: { symbol: "A", price: 1, at: new Date(5) }, id: "1" })).toBe("A@5");
    expect(describeEvent({ event: "halt", data: { reason: "close" }, id: "1" })).toBe("close");
  });

  it("does not accept an event name from another stream", () => {
    // @ts-expect-error "tick" is not an event of the ticker stream
    const wrong: InferEvent<Ticker> = { event: "tick", data: 1, id: "" };
    expect(wrong.event in contract.ticker.events).toBe(false);
  });
});

describe("InferYield", () => {
  it("takes the z.input of each event's data, with optional id and retry", () => {
    expectTypeOf<InferYield<Room>>().toEqualTypeOf<{
      event: "message";
      data: { text: string; sent: string };
      id?: string;
      retry?: number;
    }>();
    expectTypeOf<InferYield<Ticker>>().toEqualTypeOf<
      | { event: "price"; data: { symbol: string; price: number; at: Date }; id?: string; retry?: number }
      | { event: "halt"; data: { reason: string }; id?: string; retry?: number }
    >();
    const yielded: InferYield<Room> = { event: "message", data: { text: "hi", sent: "2020-01-01T00:00:00.000Z" } };
    expect(contract.chat.room.events[yielded.event].parse(yielded.data).sent).toStrictEqual(
      new Date("2020-01-01T00:00:00.000Z"),
    );
  });

  it("is checked: wrong data for an event, or an unknown event, does not compile", () => {
    // @ts-expect-error "halt" data has no price
    const wrongData: InferYield<Ticker> = { event: "halt", data: { price: 1 } };
    // @ts-expect-error unknown event name
    const unknownEvent: InferYield<Ticker> = { event: "nope", data: { reason: "x" } };
    expect(contract.ticker.events.halt.safeParse(wrongData.data).success).toBe(false);
    expect(unknownEvent.event in contract.ticker.events).toBe(false);
  });
});
