import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStreamStore } from "./stream-store.js";

const contract = defineContract({
  ask: stream({ durable: true, input: z.object({ prompt: z.string() }), events: { token: z.number() } }),
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A durable stream whose run yields token n only once the test opens it, counting the runs it starts. */
async function serveRuns() {
  let started = 0;
  const gates: Array<() => void> = [];
  const opened = (n: number) => new Promise<void>((resolve) => (gates[n] = resolve));
  const pending = Array.from({ length: 6 }, (_, n) => opened(n));
  const router = implement(contract, {
    ask: async function* () {
      started++;
      for (let n = 0; n < 6; n++) {
        await pending[n];
        yield { event: "token", data: n };
      }
    },
  });
  const server = createServer(router.node());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  server.on("connection", (socket) => closers.push(async () => void socket.destroy()));
  const { port } = server.address() as AddressInfo;
  return {
    client: createClient(contract, { baseUrl: `http://127.0.0.1:${port}` }),
    open: (n: number) => gates[n]?.(),
    started: () => started,
  };
}

describe("useStream's store on a durable stream", () => {
  it("starts one run; a listener that comes back after the last left joins that run after its last event, not a new run", async () => {
    const { client, open, started } = await serveRuns();
    const store = createStreamStore({ open: (call) => client.ask({ prompt: "hi" }, call), bufferSize: 10, lastEventId: undefined });
    const tokens = () => store.getSnapshot().events.map((event) => event.data);
    const until = (count: number) =>
      new Promise<void>((resolve) => {
        const unsubscribe = store.subscribe(() => {
          if (store.getSnapshot().events.length < count) return;
          unsubscribe();
          resolve();
        });
      });

    let leave = store.subscribe(() => undefined);
    const two = until(2);
    open(0);
    open(1);
    await two;
    leave();
    // Gone (a remount, a hidden <Activity>): the run goes on without it.
    open(2);
    leave = store.subscribe(() => undefined);
    const six = until(6);
    for (let n = 3; n < 6; n++) open(n);
    await six;
    expect(tokens()).toStrictEqual([0, 1, 2, 3, 4, 5]);
    expect(started()).toBe(1);
    leave();
  });
});
