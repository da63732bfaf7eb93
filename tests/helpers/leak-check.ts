/**
 * The leak check, run in its own process (`node --expose-gc --import tsx`) so
 * that its heap and handles are its own and `gc()` is there. One server, many
 * connections opened and dropped in every way a client can leave; then it
 * prints one JSON line of figures for tests/faults/leaks.test.ts to judge.
 *
 * Env: CYCLES (default 1000), WARMUP (default 200), CONCURRENCY (default 10).
 */
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

const CYCLES = Number(process.env["CYCLES"] ?? 1_000);
const WARMUP = Number(process.env["WARMUP"] ?? 200);
const CONCURRENCY = Number(process.env["CONCURRENCY"] ?? 10);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("Run with node --expose-gc.");

const contract = defineContract({
  leak: stream({
    input: z.object({ mode: z.enum(["endless", "stuck"]) }),
    events: { tick: z.number() },
  }),
});

const counts = {
  /** Endless generators entered and left (their finally): the difference is what still runs. */
  started: 0,
  finished: 0,
  /** Generators stuck on a promise that never settles: their finally can never run. */
  stuckStarted: 0,
  /** Server-side sockets of the stuck generators' requests that closed. */
  stuckSocketsClosed: 0,
};
/** Every handler's signal, weakly: what is still reachable after gc was kept alive by something. */
const signals: { endless: WeakRef<AbortSignal>[]; stuck: WeakRef<AbortSignal>[] } = { endless: [], stuck: [] };

const router = implement(contract, {
  leak: async function* ({ input, signal }) {
    if (input.mode === "stuck") {
      counts.stuckStarted++;
      signals.stuck.push(new WeakRef(signal));
      yield { event: "tick", data: 0 };
      await new Promise<never>(() => {});
    }
    counts.started++;
    signals.endless.push(new WeakRef(signal));
    try {
      for (let n = 0; ; n++) {
        yield { event: "tick", data: n };
        await sleep(1);
      }
    } finally {
      counts.finished++;
    }
  },
});
const handler = router.node({ prefix: "/sse", keepAliveMs: 1_000 });
/** Server-side sockets that carried at least one request and are still open. */
const servingSockets = new Set<net.Socket>();
/** Every open server-side socket. */
const serverSockets = new Set<net.Socket>();
const server = http.createServer((req, res) => {
  if (!servingSockets.has(req.socket)) {
    servingSockets.add(req.socket);
    req.socket.once("close", () => servingSockets.delete(req.socket));
  }
  if (req.url?.includes("stuck")) req.socket.once("close", () => counts.stuckSocketsClosed++);
  handler(req, res);
});
server.on("connection", (socket: net.Socket) => {
  serverSockets.add(socket);
  socket.once("close", () => serverSockets.delete(socket));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as AddressInfo).port;
const client = createClient(contract, { baseUrl: `http://127.0.0.1:${port}/sse`, reconnect: false });

type Mode = "break" | "abort" | "close" | "destroy" | "stuck";
const MODES: readonly Mode[] = ["break", "abort", "close", "destroy", "stuck"];
const modeCounts: Record<Mode, number> = { break: 0, abort: 0, close: 0, destroy: 0, stuck: 0 };

/** One connection, left the way `mode` says. */
async function cycle(mode: Mode): Promise<void> {
  modeCounts[mode]++;
  switch (mode) {
    case "break":
      for await (const _ of client.leak({ mode: "endless" })) break;
      return;
    case "abort": {
      // Aborted from outside while the loop waits for the next event.
      const controller = new AbortController();
      for await (const event of client.leak({ mode: "endless" }, { signal: controller.signal })) {
        if (event.data === 0) setTimeout(() => controller.abort(), 2);
      }
      return;
    }
    case "close": {
      const sub = client.leak({ mode: "endless" });
      for await (const event of sub) if (event.data === 1) sub.close();
      return;
    }
    case "destroy":
      return rawDestroy();
    case "stuck":
      for await (const _ of client.leak({ mode: "stuck" })) break;
      return;
  }
}

/** A raw socket that sends the request, and is destroyed as soon as the first event arrives. */
function rawDestroy(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const input = encodeURIComponent(JSON.stringify({ mode: "endless" }));
    socket.write(`GET /sse/leak?input=${input} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes("event: tick")) socket.destroy();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve());
  });
}

async function run(cycles: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cycles) {
      const i = next++;
      await cycle(MODES[i % MODES.length] as Mode);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

function connections(): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

/**
 * Waits until the server has let go of everything (or 10 s have passed).
 * Then closes the sockets on which no byte ever arrived: undici opens one
 * when a request finds every pooled socket busy, and keeps it, unused, for
 * its keep-alive (3 s) when another socket took the request first. They hold
 * nothing of Rivulet's; closing them saves waiting for undici's timer.
 */
async function settle(): Promise<{ unusedClosed: number; servingOpen: number }> {
  const deadline = Date.now() + 10_000;
  while (
    Date.now() < deadline &&
    (counts.started !== counts.finished ||
      counts.stuckSocketsClosed !== counts.stuckStarted ||
      servingSockets.size > 0)
  ) {
    await sleep(10);
  }
  const servingOpen = servingSockets.size;
  let unusedClosed = 0;
  for (const socket of serverSockets) {
    if (socket.bytesRead === 0 && !servingSockets.has(socket)) {
      socket.destroy();
      unusedClosed++;
    }
  }
  while (Date.now() < deadline && (await connections()) > 0) await sleep(10);
  // Let closed sockets' handles (the client's ends too) and the last timers go before measuring.
  await sleep(50);
  return { unusedClosed, servingOpen };
}

async function collect(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(10);
  }
  return process.memoryUsage().heapUsed;
}

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) out[type] = (out[type] ?? 0) + 1;
  return out;
}

const alive = (refs: WeakRef<AbortSignal>[]): number => refs.filter((ref) => ref.deref() !== undefined).length;

await run(WARMUP);
const warmupSettle = await settle();
const baselineHeap = await collect();
const baselineResources = resources();
const warmup = { ...counts };
signals.endless.length = 0;
signals.stuck.length = 0;

const startedAt = performance.now();
await run(CYCLES);
const cyclesMs = performance.now() - startedAt;
const afterSettle = await settle();
const afterHeap = await collect();
const afterResources = resources();

process.stdout.write(
  `${JSON.stringify({
    cycles: CYCLES,
    warmup: WARMUP,
    concurrency: CONCURRENCY,
    modes: modeCounts,
    durationMs: Math.round(cyclesMs),
    endless: { started: counts.started - warmup.started, finished: counts.finished - warmup.finished },
    running: counts.started - counts.finished,
    stuck: {
      started: counts.stuckStarted - warmup.stuckStarted,
      socketsClosed: counts.stuckSocketsClosed - warmup.stuckSocketsClosed,
    },
    serverConnections: await connections(),
    servingSocketsOpen: afterSettle.servingOpen,
    unusedPoolSocketsClosed: { warmup: warmupSettle.unusedClosed, cycles: afterSettle.unusedClosed },
    signalsAliveAfterGc: { endless: alive(signals.endless), stuck: alive(signals.stuck) },
    heap: { baseline: baselineHeap, after: afterHeap, delta: afterHeap - baselineHeap },
    resources: { baseline: baselineResources, after: afterResources },
  })}\n`,
);
server.close();
