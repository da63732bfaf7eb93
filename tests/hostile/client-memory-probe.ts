/**
 * What the client's process holds against a flooding server: a figure for
 * the notes, not a test (client-memory.test.ts asserts the bounds). Run:
 *
 *   node --expose-gc --import tsx tests/hostile/client-memory-probe.ts
 *
 * Env: CASE `line` (`data: ` and then TOTAL_MB without a line end, the
 * default), `event` (one event of many short `data:` lines) or `error` (a
 * 500 whose body is TOTAL_MB); TOTAL_MB (default 100); MAX_EVENT_BYTES (the
 * client's `maxEventBytes`; left out, the client's default). The flood server
 * runs in this process too, but holds one 64 KiB chunk at a time.
 *
 * Prints one JSON line: how the subscription ended, what the server wrote,
 * and the peaks above the baseline: RSS (the kernel's high-water mark), heap
 * used and external memory (sampled every millisecond, so a shorter peak may
 * be missed), and the heap after gc() once the subscription is over.
 */
import { createClient } from "@rivulet/client";
import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { z } from "zod";
import { startFloodServer, type Flood } from "../helpers/hostile-server.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("Run with node --expose-gc.");

const CASE = process.env["CASE"] ?? "line";
const TOTAL_BYTES = Number(process.env["TOTAL_MB"] ?? 100) * 1024 * 1024;
const MAX_EVENT_BYTES = process.env["MAX_EVENT_BYTES"];

const floods: Record<string, Flood> = {
  line: { head: "data: ", piece: "x".repeat(1024), totalBytes: TOTAL_BYTES },
  event: { head: "event: tick\n", piece: `data: ${"x".repeat(90)}\n`, totalBytes: TOTAL_BYTES },
  error: {
    status: 500,
    contentType: "application/json",
    head: '{"error":{"code":"INTERNAL_SERVER_ERROR","message":"',
    piece: "x".repeat(1024),
    totalBytes: TOTAL_BYTES,
  },
};
const flood = floods[CASE];
if (!flood) throw new Error(`CASE must be one of ${Object.keys(floods).join(", ")}; got ${CASE}.`);

const contract = defineContract({ feed: stream({ events: { tick: z.string() } }) });
const server = await startFloodServer(flood);
const client = createClient(contract, {
  baseUrl: server.origin,
  reconnect: false,
  ...(MAX_EVENT_BYTES !== undefined && { maxEventBytes: Number(MAX_EVENT_BYTES) }),
});

gc();
const baseline = process.memoryUsage();
const peak = { heapUsed: 0, external: 0 };
const sample = (): void => {
  const now = process.memoryUsage();
  peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed - baseline.heapUsed);
  peak.external = Math.max(peak.external, now.external + now.arrayBuffers - baseline.external - baseline.arrayBuffers);
};
const sampler = setInterval(sample, 1);

const startedAt = performance.now();
let outcome: string;
try {
  let events = 0;
  for await (const _event of client.feed()) events++;
  outcome = `ended after ${events} events`;
} catch (error) {
  outcome =
    error instanceof RivuletError
      ? `RivuletError ${error.code} (${error.status}): ${error.message.slice(0, 120)}`
      : `${String((error as Error).name)}: ${String((error as Error).message).slice(0, 120)}`;
}
const ms = Math.round(performance.now() - startedAt);
sample();
clearInterval(sampler);
const closed = await server.responses[0]?.closed;
await server.close();
gc();
const after = process.memoryUsage();

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
console.log(
  JSON.stringify({
    case: CASE,
    totalMiB: mib(TOTAL_BYTES),
    maxEventBytes: MAX_EVENT_BYTES === undefined ? "default" : Number(MAX_EVENT_BYTES),
    outcome,
    ms,
    serverWroteMiB: mib(server.responses[0]?.written ?? 0),
    clientLeftEarly: closed?.left ?? null,
    peakMiB: {
      rss: mib(process.resourceUsage().maxRSS * 1024 - baseline.rss),
      heapUsed: mib(peak.heapUsed),
      externalAndArrayBuffers: mib(peak.external),
    },
    heapAfterGcMiB: mib(after.heapUsed - baseline.heapUsed),
  }),
);
