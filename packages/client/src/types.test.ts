import { describe, expect, expectTypeOf, it } from "vitest";
import { createClient, type CallOptions, type Subscription } from "./index.js";
import { contract } from "./test-utils/contract.js";

// Nothing here is iterated, so no connection is ever opened.
const client = createClient(contract, { baseUrl: "http://127.0.0.1:1/sse" });

type Price = { symbol: string; price: number; at: Date };
type Halt = { reason: string };

describe("client types", () => {
  it("requires a stream's input (its z.input) and rejects a wrong one", () => {
    expectTypeOf(client.ticker).parameter(0).toEqualTypeOf<{ symbol: string; since?: Date | undefined }>();
    expectTypeOf(client.ticker).parameter(1).toEqualTypeOf<CallOptions | undefined>();
    expectTypeOf(client.ticker).returns.toEqualTypeOf<Subscription<typeof contract.ticker>>();
    client.ticker({ symbol: "ACME" });
    client.ticker({ symbol: "ACME", since: new Date() }, { lastEventId: "1", signal: AbortSignal.abort() });
    // @ts-expect-error symbol must be a string
    client.ticker({ symbol: 1 });
    // @ts-expect-error the input is required
    client.ticker();
    // @ts-expect-error unknown keys in the call options
    client.ticker({ symbol: "ACME" }, { lastEventID: "1" });
  });

  it("lets a stream without input be called without arguments", () => {
    expectTypeOf(client.noInput).toBeCallableWith();
    expectTypeOf(client.noInput).parameter(0).toEqualTypeOf<undefined>();
    client.noInput();
    client.noInput(undefined, { signal: AbortSignal.abort() });
    // @ts-expect-error this stream takes no input
    client.noInput({ symbol: "ACME" });
  });

  it("nests like the contract: client.chat.room", () => {
    expectTypeOf(client.chat.room).parameter(0).toEqualTypeOf<{ room: string }>();
    expectTypeOf(client.chat.room({ room: "lobby" })).toEqualTypeOf<Subscription<typeof contract.chat.room>>();
    expect(() =>
      // @ts-expect-error chat is a namespace, not a stream
      client.chat({ room: "lobby" }),
    ).toThrow(TypeError);
    // @ts-expect-error no such stream
    void client.chat.hall;
  });

  it("iterates as the discriminated union of events, with Dates as Dates", () => {
    const sub = client.ticker({ symbol: "ACME" });
    expectTypeOf(sub).toExtend<AsyncIterable<unknown>>();
    const consume = async (): Promise<void> => {
      for await (const ev of sub) {
        expectTypeOf(ev).toEqualTypeOf<
          { event: "price"; data: Price; id: string } | { event: "halt"; data: Halt; id: string }
        >();
        if (ev.event === "price") {
          expectTypeOf(ev.data).toEqualTypeOf<Price>();
          expectTypeOf(ev.data.at).toEqualTypeOf<Date>();
        } else {
          expectTypeOf(ev.data).toEqualTypeOf<Halt>();
        }
      }
    };
    expectTypeOf(consume).returns.resolves.toBeVoid();
  });

  it("gives .events.<name> as an AsyncIterable of that event's data alone", () => {
    const sub = client.ticker({ symbol: "ACME" });
    expectTypeOf(sub.events.price).toEqualTypeOf<AsyncIterable<Price>>();
    expectTypeOf(sub.events.halt).toEqualTypeOf<AsyncIterable<Halt>>();
    expectTypeOf(client.rich().events.snapshot).toEqualTypeOf<
      AsyncIterable<{
        at: Date;
        counts: Map<string, bigint>;
        tags: Set<string>;
        total: bigint;
        note?: string | undefined;
        samples: (number | undefined)[];
      }>
    >();
    // @ts-expect-error not an event of this stream
    void sub.events.message;
    expectTypeOf(sub.close).toEqualTypeOf<() => void>();
  });

  it("is a runtime tree of functions matching the types", () => {
    expect(typeof client.ticker).toBe("function");
    expect(typeof client.chat.room).toBe("function");
    expect(client.ticker({ symbol: "ACME" }).events).toHaveProperty("price");
  });
});
