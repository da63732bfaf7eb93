import { createClient, type InferEvent } from "@rivulet/client";
import { createChannel, implement, memoryBroker } from "@rivulet/server";
import { defineContract, jsonCodec, stream, superjsonCodec, type DataCodec, type InferYield } from "@rivulet/shared";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { collect, createServerPool } from "../helpers/servers.js";

/**
 * Schemas that change a value on the way, end to end over a socket: the
 * handler yields the schema's input, the wire carries the input form, and the
 * typed client hands out the schema's output, as `InferEventData` promises.
 */
const AT = new Date("2026-12-01T10:00:00.000Z");

const contract = defineContract({
  reshaped: stream({
    events: {
      transform: z.object({ at: z.string().transform((s) => new Date(s)) }),
      pipe: z.object({ n: z.string().pipe(z.coerce.number()) }),
      defaulted: z.object({ n: z.number().default(5), tags: z.array(z.string()).default([]) }),
      caught: z.object({ n: z.number().catch(-1) }),
      coerced: z.object({ n: z.coerce.number() }),
      codec: z.object({
        at: z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() }),
      }),
    },
  }),
});
type Reshaped = (typeof contract)["reshaped"];

const yields: InferYield<Reshaped>[] = [
  { event: "transform", data: { at: AT.toISOString() } },
  { event: "pipe", data: { n: "7" } },
  { event: "defaulted", data: {} },
  { event: "caught", data: { n: "oops" as unknown as number } },
  { event: "coerced", data: { n: "8" } },
  { event: "codec", data: { at: AT.toISOString() } },
];
const received = [
  { event: "transform", data: { at: AT } },
  { event: "pipe", data: { n: 7 } },
  { event: "defaulted", data: { n: 5, tags: [] } },
  { event: "caught", data: { n: -1 } },
  { event: "coerced", data: { n: 8 } },
  { event: "codec", data: { at: AT } },
];

const pool = createServerPool();
afterEach(() => pool.closeAll());

describe.each([
  ["superjson", superjsonCodec],
  ["json", jsonCodec],
] as const)("schemas that transform, over HTTP, with the %s codec", (_, codec: DataCodec) => {
  it("reach the client as the schema's output, validated on the client or not", async () => {
    const router = implement(contract, {
      reshaped: async function* () {
        yield* yields;
      },
    });
    const baseUrl = await pool.start(router.node({ codec }));
    for (const validate of [true, false]) {
      const client = createClient(contract, { baseUrl, codec, validate, reconnect: false });
      const events = await collect(client.reshaped());
      expect(events.map(({ event, data }) => ({ event, data }))).toEqual(received);
    }
  });

  it("reach the client as the schema's output through a channel, replayed from its history", async () => {
    const broker = memoryBroker();
    const channel = createChannel(broker, contract.reshaped);
    const router = implement(contract, { reshaped: ({ lastEventId }) => channel.subscribe("t", { lastEventId }) });
    const baseUrl = await pool.start(router.node({ codec }));
    const before = await channel.publish("t", { event: "coerced", data: { n: 0 } });
    for (const message of yields) await channel.publish("t", message);
    const client = createClient(contract, { baseUrl, codec, reconnect: false });
    const events: Array<{ event: string; data: unknown }> = [];
    for await (const { event, data } of client.reshaped(undefined, { lastEventId: before })) {
      events.push({ event, data });
      if (events.length === yields.length) break;
    }
    expect(events).toEqual(received);
    await broker.close();
  });
});

it("types what a handler yields as the schema's input and what the client receives as its output", () => {
  type Received = InferEvent<Reshaped>;
  expectTypeOf<Extract<Received, { event: "transform" }>["data"]>().toEqualTypeOf<{ at: Date }>();
  expectTypeOf<Extract<Received, { event: "pipe" }>["data"]>().toEqualTypeOf<{ n: number }>();
  expectTypeOf<Extract<Received, { event: "defaulted" }>["data"]>().toEqualTypeOf<{ n: number; tags: string[] }>();
  expectTypeOf<Extract<Received, { event: "caught" }>["data"]>().toEqualTypeOf<{ n: number }>();
  expectTypeOf<Extract<Received, { event: "coerced" }>["data"]>().toEqualTypeOf<{ n: number }>();
  expectTypeOf<Extract<Received, { event: "codec" }>["data"]>().toEqualTypeOf<{ at: Date }>();
  expectTypeOf<Extract<InferYield<Reshaped>, { event: "transform" }>["data"]>().toEqualTypeOf<{ at: string }>();
  expectTypeOf<Extract<InferYield<Reshaped>, { event: "codec" }>["data"]>().toEqualTypeOf<{ at: string }>();
  expectTypeOf<Extract<InferYield<Reshaped>, { event: "defaulted" }>["data"]>().toEqualTypeOf<{
    n?: number | undefined;
    tags?: string[] | undefined;
  }>();
});
