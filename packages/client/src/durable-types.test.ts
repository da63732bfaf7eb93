import { defineContract, stream } from "@rivulet/shared";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  createClient,
  type DurableCallOptions,
  type DurableSubscription,
  type JoinOptions,
  type StopOptions,
  type Subscription,
} from "./index.js";

const contract = defineContract({
  chat: {
    ask: stream({
      durable: true,
      input: z.object({ prompt: z.string() }),
      events: { token: z.string(), usage: z.object({ tokens: z.number() }), done: z.object({ at: z.date() }) },
    }),
  },
  tick: stream({ durable: true, events: { tick: z.number() } }),
  plain: stream({ input: z.object({ room: z.string() }), events: { message: z.string() } }),
});

// Nothing here is iterated, so no connection is ever opened.
const client = createClient(contract, { baseUrl: "http://127.0.0.1:1/sse" });

describe("durable client types", () => {
  it("starts a run with the stream's input and gives a DurableSubscription", () => {
    expectTypeOf(client.chat.ask).parameter(0).toEqualTypeOf<{ prompt: string }>();
    expectTypeOf(client.chat.ask).parameter(1).toEqualTypeOf<DurableCallOptions | undefined>();
    expectTypeOf(client.chat.ask({ prompt: "hi" })).toEqualTypeOf<DurableSubscription<typeof contract.chat.ask>>();
    // @ts-expect-error the input is required
    client.chat.ask();
    // @ts-expect-error prompt must be a string
    client.chat.ask({ prompt: 1 });
    // A call may resume a run by one of its event ids (it then joins that run): what useStream passes.
    expectTypeOf<DurableCallOptions>().toHaveProperty("lastEventId").toEqualTypeOf<string | undefined>();
    expectTypeOf(client.tick).toBeCallableWith();
  });

  it("iterates events narrowed by ev.event, each with runId: string", () => {
    const answer = client.chat.ask({ prompt: "hi" });
    const consume = async (): Promise<void> => {
      for await (const ev of answer) {
        expectTypeOf(ev.runId).toEqualTypeOf<string>();
        expectTypeOf(ev.id).toEqualTypeOf<string>();
        if (ev.event === "token") expectTypeOf(ev.data).toEqualTypeOf<string>();
        else if (ev.event === "usage") expectTypeOf(ev.data).toEqualTypeOf<{ tokens: number }>();
        else {
          expectTypeOf(ev.event).toEqualTypeOf<"done">();
          expectTypeOf(ev.data.at).toEqualTypeOf<Date>();
        }
      }
    };
    expectTypeOf(consume).returns.resolves.toBeVoid();
    expectTypeOf(answer.events.token).toEqualTypeOf<AsyncIterable<string>>();
    expectTypeOf(answer.events.done).toEqualTypeOf<AsyncIterable<{ at: Date }>>();
    // @ts-expect-error the run event is not one of the stream's events
    void answer.events["rivulet:run"];
  });

  it("has runId, stop and close", () => {
    const answer = client.chat.ask({ prompt: "hi" });
    expectTypeOf(answer.runId).toEqualTypeOf<Promise<string>>();
    expectTypeOf(answer.stop).toEqualTypeOf<(options?: StopOptions) => Promise<void>>();
    expectTypeOf(answer.close).toEqualTypeOf<() => void>();
  });

  it("joins and stops by id on the caller", () => {
    expectTypeOf(client.chat.ask.join).toEqualTypeOf<
      (runId: string, options?: JoinOptions) => DurableSubscription<typeof contract.chat.ask>
    >();
    expectTypeOf(client.chat.ask.stop).toEqualTypeOf<(runId: string, options?: StopOptions) => Promise<void>>();
    expectTypeOf(client.tick.join("AAAAAAAAAAAAAAAAAAAAAA")).toEqualTypeOf<DurableSubscription<typeof contract.tick>>();
    expectTypeOf<JoinOptions>().toHaveProperty("lastEventId").toEqualTypeOf<string | undefined>();
  });

  it("leaves a plain stream's caller as it was: no join, no stop, no runId", () => {
    expectTypeOf(client.plain({ room: "a" })).toEqualTypeOf<Subscription<typeof contract.plain>>();
    // @ts-expect-error a plain stream has no runs to join
    void client.plain.join;
    // @ts-expect-error nor to stop
    void client.plain.stop;
    // @ts-expect-error its subscription has no run id
    void client.plain({ room: "a" }).runId;
    const consume = async (): Promise<void> => {
      for await (const ev of client.plain({ room: "a" })) {
        // @ts-expect-error a plain stream's events carry no runId
        void ev.runId;
      }
    };
    expectTypeOf(consume).returns.resolves.toBeVoid();
  });
});
