import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { eventName, makeEvent } from "../payload.js";
import { listen } from "./node-io.js";
import { readStreamInput, type Contender } from "./types.js";

/** Hono's `streamSSE` on `@hono/node-server`: `await stream.writeSSE(…)` per event. */
export const hono: Contender = {
  id: "hono",
  label: "Hono streamSSE",
  notes:
    "`app.get(…, (c) => streamSSE(c, async (stream) => { await stream.writeSSE({ event, id, data: JSON.stringify(…) }) }))` on `@hono/node-server`; backpressure is the web stream's.",
  preamble: 0,
  throughputShare: 0.5,
  fanout: false,
  async serve() {
    const app = new Hono();
    app.get("/stream", (c) => {
      const { n, size } = readStreamInput(c.req.url);
      const name = eventName(size);
      return streamSSE(c, async (stream) => {
        for (let i = 0; i < n; i++) {
          if (stream.aborted) return;
          await stream.writeSSE({ event: name, id: String(i), data: JSON.stringify(makeEvent(size, i)) });
        }
      });
    });
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    return { port: await listen(server) };
  },
};
