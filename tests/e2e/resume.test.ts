import type http from "node:http";
import { createClient, type ConnectionState } from "@rivulet/client";
import { implement, resumeAfter } from "@rivulet/server";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { collect, createServerPool, fetchToNode } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const contract = defineContract({
  count: stream({ input: z.object({ to: z.number().int().min(1) }), events: { n: z.number() } }),
});

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * A counting stream with ids, 10 ms apart, resumed with `resumeAfter`, that
 * records the `lastEventId` each connection came with.
 */
function countingRouter() {
  const resumedFrom: Array<string | undefined> = [];
  const router = implement(contract, {
    count: async function* ({ input, lastEventId, signal }) {
      resumedFrom.push(lastEventId);
      const all = Array.from({ length: input.to }, (_, i) => ({ event: "n" as const, id: String(i + 1), data: i + 1 }));
      for await (const event of resumeAfter(lastEventId, all)) {
        await pause(10, signal);
        if (signal.aborted) return;
        yield event;
      }
    },
  });
  return { router, resumedFrom };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const adapters = [
  ["router.node", (router: ReturnType<typeof countingRouter>["router"]) => router.node({ maxDurationMs: 150 })],
  [
    "router.fetch",
    (router: ReturnType<typeof countingRouter>["router"]) => fetchToNode(router.fetchHandler({ maxDurationMs: 150 })),
  ],
] as const satisfies ReadonlyArray<readonly [string, (router: ReturnType<typeof countingRouter>["router"]) => http.RequestListener]>;

describe.each(adapters)("resume across maxDurationMs rotations (%s)", (_name, serve) => {
  it("delivers 50 events exactly once, in order, over several connections", async () => {
    const { router, resumedFrom } = countingRouter();
    const baseUrl = await pool.start(serve(router));
    const states: ConnectionState[] = [];
    const client = createClient(contract, { baseUrl, onStateChange: (state) => states.push(state) });

    const events = await collect(client.count({ to: 50 }));

    expect(events.map((event) => event.data)).toStrictEqual(range(1, 50));
    expect(events.map((event) => event.id)).toStrictEqual(range(1, 50).map(String));
    // 50 events 10 ms apart take 500 ms: at least three rotations of at most 150 ms.
    expect(resumedFrom.length).toBeGreaterThanOrEqual(4);
    expect(resumedFrom[0]).toBeUndefined();
    // Each reconnect resumed from the last event the client had, so the ids only grow.
    const resumes = resumedFrom.slice(1).map(Number);
    expect(resumes.every((id, i) => id >= 1 && id <= 50 && (i === 0 || id >= (resumes[i - 1] as number)))).toBe(true);
    expect(states[0]).toBe("connecting");
    expect(states).toContain("reconnecting");
    expect(states.at(-1)).toBe("closed");
    expect(states.filter((state) => state === "reconnecting").length).toBe(resumedFrom.length - 1);
  });

  it("starts from the lastEventId call option", async () => {
    const { router, resumedFrom } = countingRouter();
    const baseUrl = await pool.start(serve(router));
    const client = createClient(contract, { baseUrl });
    const events = await collect(client.count({ to: 50 }, { lastEventId: "45" }));
    expect(events.map((event) => event.data)).toStrictEqual(range(46, 50));
    expect(resumedFrom[0]).toBe("45");
  });

  it("ends quietly when the resume finds nothing left (204)", async () => {
    const { router, resumedFrom } = countingRouter();
    const baseUrl = await pool.start(serve(router));
    const states: ConnectionState[] = [];
    const client = createClient(contract, { baseUrl });
    const events = await collect(client.count({ to: 3 }, { lastEventId: "3", onStateChange: (s) => states.push(s) }));
    expect(events).toStrictEqual([]);
    expect(resumedFrom).toStrictEqual(["3"]);
    expect(states).toStrictEqual(["connecting", "closed"]);
  });
});
