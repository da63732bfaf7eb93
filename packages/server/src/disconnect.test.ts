/**
 * When the client goes away, the handler's `signal` is aborted, the generator
 * is ended so its `finally` runs, and nothing of the stream survives: no
 * connection, no keep-alive timer.
 */
import type { Server } from "node:http";
import { setTimeout as abortableSleep } from "node:timers/promises";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { implement } from "./implement.js";
import type { StreamHandler } from "./types.js";
import {
  activeTimeouts,
  closeAll,
  connect,
  connectionCount,
  rawExchange,
  serve,
  sleep,
  waitFor,
} from "./test-utils/index.js";

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

const contract = defineContract({
  s: stream({ events: { tick: z.object({ n: z.number() }), blob: z.string() } }),
});

type Handler = StreamHandler<(typeof contract)["s"], undefined>;

/** What a handler reports about its own life. */
interface Probe {
  yields: number;
  finallyRan: boolean;
  signal: AbortSignal | undefined;
}

function probe(): Probe {
  return { yields: 0, finallyRan: false, signal: undefined };
}

async function start(handler: Handler, keepAliveMs: number | false = 50) {
  const router = implement(contract, { s: handler });
  return serve(router.node({ keepAliveMs, onError: () => {} }));
}

const GET = "GET /s HTTP/1.1\r\nHost: test\r\n\r\n";

/** Opens the stream over a raw socket and waits until the first event arrived. */
async function openStream(port: number) {
  const socket = await connect(port);
  const head = await rawExchange(socket, GET, /event: tick\n/);
  expect(head).toMatch(/^HTTP\/1\.1 200 /);
  return socket;
}

/** Resolves when the server is closed, or fails after 5 s instead of hanging the run. */
function closesWithin(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server.close() did not complete")), 5_000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("client disconnect", () => {
  it("(a) ends a generator parked at a yield by a client that stopped reading", async () => {
    const p = probe();
    const { port } = await start(async function* ({ signal }) {
      p.signal = signal;
      try {
        yield { event: "tick", data: { n: 0 } };
        // Nothing awaited: only backpressure parks this generator at its yield.
        for (;;) {
          p.yields++;
          yield { event: "blob", data: "x".repeat(64 * 1024) };
        }
      } finally {
        p.finallyRan = true;
      }
    });
    const socket = await openStream(port);
    socket.pause();
    // Wait until the generator is parked: its count stops moving.
    let last = -1;
    await waitFor(async () => {
      const settled = p.yields === last;
      last = p.yields;
      if (!settled) await sleep(100);
      return settled;
    }, "the generator to be parked by backpressure");
    expect(p.signal!.aborted).toBe(false);
    expect(p.finallyRan).toBe(false);

    socket.destroy();
    await waitFor(() => p.finallyRan, "the generator's finally");
    expect(p.signal!.aborted).toBe(true);
    // return() resumed it from the parked yield straight into finally: no further yield.
    expect(p.yields).toBe(last);
  });

  it("(a) ends a generator that waits between yields with a signal-aware sleep", async () => {
    const p = probe();
    let afterSleep = 0;
    const { port } = await start(async function* ({ signal }) {
      p.signal = signal;
      try {
        for (let n = 0; ; n++) {
          p.yields++;
          yield { event: "tick", data: { n } };
          await abortableSleep(20, undefined, { signal });
          afterSleep++;
        }
      } finally {
        p.finallyRan = true;
      }
    });
    const socket = await openStream(port);
    socket.destroy();
    await waitFor(() => p.finallyRan, "the generator's finally");
    expect(p.signal!.aborted).toBe(true);
    const yields = p.yields;
    await sleep(100);
    expect(p.yields).toBe(yields);
    expect(afterSleep).toBeLessThanOrEqual(yields);
  });

  it("(a) ends a generator that ignores the signal at its next yield", async () => {
    const p = probe();
    const { port } = await start(async function* ({ signal }) {
      p.signal = signal;
      try {
        for (let n = 0; ; n++) {
          p.yields++;
          yield { event: "tick", data: { n } };
          await sleep(20);
        }
      } finally {
        p.finallyRan = true;
      }
    });
    const socket = await openStream(port);
    socket.destroy();
    await waitFor(() => p.finallyRan, "the generator's finally");
    expect(p.signal!.aborted).toBe(true);
    const yields = p.yields;
    await sleep(100);
    expect(p.yields).toBe(yields);
  });

  it("(b) runs the finally of a generator awaiting an abort listener", async () => {
    const p = probe();
    let resumed = false;
    const { port } = await start(async function* ({ signal }) {
      p.signal = signal;
      try {
        yield { event: "tick", data: { n: 0 } };
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        resumed = true;
        // Reaching a yield after the abort ends the generator there.
        yield { event: "tick", data: { n: 1 } };
        p.yields++;
      } finally {
        p.finallyRan = true;
      }
    });
    const socket = await openStream(port);
    expect(p.signal!.aborted).toBe(false);
    socket.destroy();
    await waitFor(() => p.finallyRan, "the generator's finally");
    expect(p.signal!.aborted).toBe(true);
    expect(resumed).toBe(true);
    expect(p.yields).toBe(0);
  });

  it("(b) runs the finally of a generator awaiting setTimeout from node:timers/promises with { signal }", async () => {
    const p = probe();
    let rejection: unknown;
    const { port } = await start(async function* ({ signal }) {
      p.signal = signal;
      try {
        yield { event: "tick", data: { n: 0 } };
        await abortableSleep(60_000, undefined, { signal });
      } catch (error) {
        rejection = error;
        throw error;
      } finally {
        p.finallyRan = true;
      }
    });
    const before = activeTimeouts();
    const socket = await openStream(port);
    socket.destroy();
    await waitFor(() => p.finallyRan, "the generator's finally");
    expect(p.signal!.aborted).toBe(true);
    expect(rejection).toMatchObject({ name: "AbortError" });
    // Neither the 60 s sleep nor the keep-alive interval outlives the stream.
    await waitFor(() => activeTimeouts() <= before, "the timers to be cleared");
  });

  it("(c) frees everything around a generator stuck forever on a promise that never settles", async () => {
    const setIntervalSpy = vi.spyOn(globalThis, "setInterval");
    const clearIntervalSpy = vi.spyOn(globalThis, "clearInterval");
    const p = probe();
    let started = false;
    const { port, server } = await start(async function* ({ signal }) {
      p.signal = signal;
      try {
        yield { event: "tick", data: { n: 0 } };
        started = true;
        await new Promise(() => {});
      } finally {
        p.finallyRan = true;
      }
    }, 50);
    await sleep(0);
    const before = activeTimeouts();
    const socket = await openStream(port);
    await waitFor(() => started, "the generator to be stuck");
    expect(await connectionCount(server)).toBe(1);
    // The shared keep-alive timer ticks twice per interval.
    const keepAliveAt = setIntervalSpy.mock.calls.findIndex(([, ms]) => ms === 25);
    expect(keepAliveAt).toBeGreaterThanOrEqual(0);
    const keepAlive = setIntervalSpy.mock.results[keepAliveAt]!.value as unknown;
    expect(clearIntervalSpy.mock.calls.some(([handle]) => handle === keepAlive)).toBe(false);
    expect(activeTimeouts()).toBeGreaterThan(before);

    socket.destroy();
    await waitFor(() => p.signal!.aborted, "the signal to be aborted");
    await waitFor(async () => (await connectionCount(server)) === 0, "the connection to close");
    await waitFor(
      () => clearIntervalSpy.mock.calls.some(([handle]) => handle === keepAlive),
      "the keep-alive interval to be cleared",
    );
    await waitFor(() => activeTimeouts() <= before, "no timer beyond those from before the stream");
    await closesWithin(server);
    // The generator cannot be ended while it awaits forever; its finally would run only if it ever resumed.
    expect(p.finallyRan).toBe(false);
  });

  it("aborts the signal when a fetch client aborts its request", async () => {
    const p = probe();
    const { origin } = await start(async function* ({ signal }) {
      p.signal = signal;
      try {
        for (let n = 0; ; n++) {
          yield { event: "tick", data: { n } };
          await abortableSleep(10, undefined, { signal });
        }
      } finally {
        p.finallyRan = true;
      }
    });
    const client = new AbortController();
    const response = await fetch(`${origin}/s`, { signal: client.signal });
    const reader = response.body!.getReader();
    await reader.read();
    client.abort();
    await expect(reader.read()).rejects.toThrow();
    await waitFor(() => p.finallyRan, "the generator's finally");
    expect(p.signal!.aborted).toBe(true);
  });

  it("leaves no timer behind after a stream that ended normally", async () => {
    const { origin, server } = await start(async function* () {
      yield { event: "tick", data: { n: 0 } };
    });
    await sleep(0);
    const before = activeTimeouts();
    const socket = await connect(Number(new URL(origin).port));
    const reply = await rawExchange(socket, GET, /event: rivulet:end\nid: rivulet:end\ndata: \n\n\r\n0\r\n\r\n$/);
    expect(reply).toContain("event: tick");
    socket.destroy();
    await waitFor(async () => (await connectionCount(server)) === 0, "the connection to close");
    await waitFor(() => activeTimeouts() <= before, "the timers to be cleared");
  });
});
