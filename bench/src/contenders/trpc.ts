import { initTRPC, tracked } from "@trpc/server";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { StreamInput } from "../contract.js";
import { largeEvent, smallEvent } from "../payload.js";
import { listen } from "./node-io.js";
import type { Contender } from "./types.js";

/**
 * tRPC v11: a subscription procedure served over SSE by the standalone
 * (node:http) adapter, as `httpSubscriptionLink` reads it. Its defaults: no
 * data transformer (plain JSON), no ping, no output validation.
 */
export const trpc: Contender = {
  id: "trpc",
  label: "tRPC v11 SSE subscription",
  notes:
    "`t.procedure.input(zod).subscription(async function* …)` yielding `tracked(id, data)`, served by `createHTTPServer` " +
    "(`@trpc/server/adapters/standalone`); tRPC's defaults: no transformer (plain JSON), no output validation, its own backpressure.",
  preamble: 1,
  throughputShare: 0.2,
  fanout: false,
  async serve() {
    const t = initTRPC.create();
    const router = t.router({
      stream: t.procedure.input(StreamInput).subscription(async function* ({ input }) {
        if (input.size === "small") {
          for (let i = 0; i < input.n; i++) yield tracked(String(i), smallEvent(i));
        } else {
          for (let i = 0; i < input.n; i++) yield tracked(String(i), largeEvent(i));
        }
      }),
    });
    const server = createHTTPServer({ router });
    return { port: await listen(server) };
  },
};
