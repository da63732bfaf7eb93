import http from "node:http";
import { implement, type HandlerArgs } from "@rivulet/server";
import { superjsonCodec } from "@rivulet/shared";
import { contract } from "../contract.js";
import { largeEvent, smallEvent } from "../payload.js";
import { listen } from "./node-io.js";
import { KEEP_ALIVE_MS, type Contender } from "./types.js";

/**
 * The throughput stream from a handler that emits: the same events as
 * `throughputStream`, sent with `emit` in a loop that waits for `drained()`
 * whenever `emit` says the connection is full — no generator step per event.
 */
async function emittedStream({ input, emit, drained }: HandlerArgs<typeof contract.stream, undefined>): Promise<void> {
  if (input.size === "small") {
    for (let i = 0; i < input.n; i++) if (!emit({ event: "price", id: String(i), data: smallEvent(i) })) await drained();
  } else {
    for (let i = 0; i < input.n; i++) if (!emit({ event: "book", id: String(i), data: largeEvent(i) })) await drained();
  }
}

/** Rivulet's defaults (validate on, superjson), the stream's handler emitting instead of yielding. */
export const rivuletEmit: Contender = {
  id: "rivulet-emit",
  label: "Rivulet emit (validate on, superjson)",
  notes:
    "`implement(contract, …)` + `router.node({ validate: true, codec: superjsonCodec })`; the handler is " +
    "`async ({ emit, drained }) => …` emitting `{ event, id, data }` in a loop that awaits `drained()` when `emit` returns `false`.",
  preamble: 0,
  fanout: false,
  async serve() {
    const router = implement(contract, {
      stream: emittedStream,
      topic: async function* () {},
    });
    const handler = router.node({ validate: true, codec: superjsonCodec, keepAliveMs: KEEP_ALIVE_MS });
    return { port: await listen(http.createServer(handler)) };
  },
};
