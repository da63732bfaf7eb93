import http from "node:http";
import { createChannel, implement, memoryBroker } from "@rivulet/server";
import { jsonCodec, superjsonCodec } from "@rivulet/shared";
import type { z } from "zod";
import { contract, type StreamInput } from "../contract.js";
import { largeEvent, smallEvent, type Tick } from "../payload.js";
import { listen } from "./node-io.js";
import { KEEP_ALIVE_MS, type Contender, type ContenderId } from "./types.js";

interface RivuletConfig {
  id: ContenderId;
  label: string;
  validate: boolean;
  codec: "superjson" | "json";
  /** How the topic handler relays its subscription. @default "return" */
  relay?: "return" | "yield*";
}

/** The throughput stream's handler, the same in every Rivulet row (and under toTRPC): one event per `next()`. */
export async function* throughputStream({ input }: { input: z.infer<typeof StreamInput> }) {
  if (input.size === "small") {
    for (let i = 0; i < input.n; i++) yield { event: "price" as const, id: String(i), data: smallEvent(i) };
  } else {
    for (let i = 0; i < input.n; i++) yield { event: "book" as const, id: String(i), data: largeEvent(i) };
  }
}

/**
 * Rivulet's node handler, serving the bench contract: the stream is an async
 * generator yielding one event per `next()`; the topic is `memoryBroker` +
 * `createChannel`, whose subscription the handler returns as it is (or,
 * with `relay: "yield*"`, `yield*`s from an async generator).
 */
function rivulet({ id, label, validate, codec, relay = "return" }: RivuletConfig): Contender {
  return {
    id,
    label,
    notes:
      `\`implement(contract, …)\` + \`router.node({ validate: ${validate}, codec: ${codec}Codec })\`; ` +
      "the handler is an `async function*` yielding `{ event, id, data }`; Rivulet validates, encodes and waits for `drain` itself.",
    preamble: 0,
    fanout: true,
    async serve() {
      const broker = memoryBroker();
      const ticks = createChannel(broker, contract.topic);
      const router = implement(contract, {
        stream: throughputStream,
        topic:
          relay === "return"
            ? () => ticks.subscribe("ticks")
            : async function* ({ signal }) {
                yield* ticks.subscribe("ticks", { signal });
              },
      });
      const handler = router.node({
        validate,
        codec: codec === "json" ? jsonCodec : superjsonCodec,
        keepAliveMs: KEEP_ALIVE_MS,
      });
      const port = await listen(http.createServer(handler));
      return {
        port,
        publish: async (tick: Tick) => {
          await ticks.publish("ticks", { event: "tick", data: tick });
        },
      };
    },
  };
}

/** The default configuration: every event validated, superjson (Dates restored on the typed client). */
export const rivuletDefault = rivulet({ id: "rivulet", label: "Rivulet (validate on, superjson)", validate: true, codec: "superjson" });
export const rivuletNoValidate = rivulet({
  id: "rivulet-novalidate",
  label: "Rivulet (validate off, superjson)",
  validate: false,
  codec: "superjson",
});
export const rivuletJson = rivulet({ id: "rivulet-json", label: "Rivulet (validate on, JSON)", validate: true, codec: "json" });
export const rivuletJsonNoValidate = rivulet({
  id: "rivulet-json-novalidate",
  label: "Rivulet (validate off, JSON)",
  validate: false,
  codec: "json",
});
/** Fan-out only: the topic handler as an `async function*` that `yield*`s the subscription. */
export const rivuletYield = rivulet({
  id: "rivulet-yield",
  label: "Rivulet, yield* (validate on, superjson)",
  validate: true,
  codec: "superjson",
  relay: "yield*",
});
