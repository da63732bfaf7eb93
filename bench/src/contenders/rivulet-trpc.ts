import { createChannel, implement, memoryBroker } from "@rivulet/server";
import { toTRPC } from "@rivulet/server/trpc";
import { initTRPC } from "@trpc/server";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { contract } from "../contract.js";
import { listen } from "./node-io.js";
import { throughputStream } from "./rivulet.js";
import type { Contender } from "./types.js";

/**
 * Rivulet's stream served through tRPC: the same handler as the Rivulet rows,
 * mounted with `toTRPC` and served by tRPC's `createHTTPServer`, so that it is
 * read as the tRPC row is (its `connected` block first). tRPC's defaults, as
 * in the tRPC row: no transformer (plain JSON); `toTRPC` validates every event
 * and yields `tracked(id, { event, data })`.
 */
export const rivuletTrpc: Contender = {
  id: "rivulet-trpc",
  label: "Rivulet via toTRPC (validate on, tRPC JSON)",
  notes:
    "`implement(contract, …)` with the Rivulet rows' `async function*` handler, mounted with `toTRPC(t, router)` (`@rivulet/server/trpc`) " +
    "and served by `createHTTPServer` (`@trpc/server/adapters/standalone`); every event validated, yielded as `tracked(id, { event, data })`; " +
    "tRPC's defaults as in the tRPC row: no transformer (plain JSON), its own backpressure.",
  preamble: 1,
  throughputShare: 0.2,
  fanout: false,
  async serve() {
    // `implement` wants every stream of the contract; the topic is not measured here.
    const ticks = createChannel(memoryBroker(), contract.topic);
    const router = implement(contract, {
      stream: throughputStream,
      topic: () => ticks.subscribe("ticks"),
    });
    const t = initTRPC.create();
    // The handlers take no context; tRPC's (`object`) is not theirs (`undefined`), so `toTRPC` asks for the mapping.
    const server = createHTTPServer({ router: toTRPC(t, router, { context: () => undefined }) });
    return { port: await listen(server) };
  },
};
