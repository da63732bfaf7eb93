import { createClient, type Subscription } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "../helpers/contract.js";
import { aborted, createServerPool, deferred } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

/**
 * A feed that sends one tick, then waits until the client leaves. The probe
 * reports, from the server's side, that the handler's `signal` was aborted
 * and that its `finally` ran.
 */
async function serveFeed() {
  const signalSeen = deferred<AbortSignal>();
  const finallyRan = deferred();
  let ticksAfterAbort = 0;
  const router = implement(contract, {
    ledger: async function* () {},
    prices: { quote: async function* () {} },
    feed: async function* ({ signal }) {
      signalSeen.resolve(signal);
      try {
        yield { event: "tick", data: 1 };
        await aborted(signal);
        ticksAfterAbort += 1;
        // runStream asks the generator to return() here, so this tick is never sent.
        yield { event: "tick", data: 2 };
        ticksAfterAbort += 1;
      } finally {
        finallyRan.resolve();
      }
    },
  });
  const origin = await pool.start(router.node({ prefix: "/sse" }));
  const client = createClient(contract, { baseUrl: `${origin}/sse` });
  return {
    client,
    /** Waits for the server to clean up and checks what it saw. */
    async expectCleanedUp(): Promise<void> {
      await finallyRan.promise;
      expect((await signalSeen.promise).aborted).toBe(true);
      expect(ticksAfterAbort).toBe(1);
    },
  };
}

/** Iterates until the first tick, then leaves the way the test says. */
async function leaveAfterFirst(sub: Subscription<typeof contract.feed>, leave: () => void): Promise<number[]> {
  const received: number[] = [];
  for await (const event of sub) {
    received.push(event.data);
    leave();
  }
  return received;
}

describe("a client that leaves ends the server's generator", () => {
  it("break: the generator's finally runs and its signal is aborted", async () => {
    const { client, expectCleanedUp } = await serveFeed();
    const received: number[] = [];
    for await (const event of client.feed()) {
      received.push(event.data);
      break;
    }
    expect(received).toStrictEqual([1]);
    await expectCleanedUp();
  });

  it("break out of .events.<name>: the same", async () => {
    const { client, expectCleanedUp } = await serveFeed();
    for await (const tick of client.feed().events.tick) {
      expect(tick).toBe(1);
      break;
    }
    await expectCleanedUp();
  });

  it("sub.close() from the loop ends it quietly, and the server cleans up", async () => {
    const { client, expectCleanedUp } = await serveFeed();
    const sub = client.feed();
    await expect(leaveAfterFirst(sub, () => sub.close())).resolves.toStrictEqual([1]);
    await expectCleanedUp();
  });

  it("an aborted AbortSignal ends the loop quietly, and the server cleans up", async () => {
    const { client, expectCleanedUp } = await serveFeed();
    const controller = new AbortController();
    const sub = client.feed(undefined, { signal: controller.signal });
    await expect(leaveAfterFirst(sub, () => controller.abort())).resolves.toStrictEqual([1]);
    await expectCleanedUp();
  });
});
