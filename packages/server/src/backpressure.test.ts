/**
 * A client that stops reading pauses the generator: the server does not pull
 * the next event while the transport is over its high-water mark, so a slow
 * client never grows server memory without bound.
 */
import { END_EVENT, createEventStreamParser, defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { implement } from "./implement.js";
import { closeAll, connect, serve, sleep, waitFor } from "./test-utils/index.js";

afterEach(closeAll);

const contract = defineContract({
  firehose: stream({
    input: z.object({ total: z.number().int() }),
    events: { blob: z.object({ n: z.number(), pad: z.string() }) },
  }),
});

const EVENT_BYTES = 1024;
/** ~1 GB if nothing held the generator back. */
const TOTAL = 1_000_000;

interface Probe {
  yields: number;
  finallyRan: boolean;
  signal: AbortSignal | undefined;
}

function firehose() {
  const probe: Probe = { yields: 0, finallyRan: false, signal: undefined };
  const router = implement(contract, {
    firehose: async function* ({ input, signal }) {
      probe.signal = signal;
      const pad = "x".repeat(EVENT_BYTES);
      try {
        for (let n = 0; n < input.total; n++) {
          probe.yields++;
          yield { event: "blob", data: { n, pad } };
        }
      } finally {
        probe.finallyRan = true;
      }
    },
  });
  return { probe, router };
}

function memory(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Waits until the yield count stops moving, then checks it stays put over another 500 ms. */
async function expectParked(probe: Probe): Promise<number> {
  let last = -1;
  await waitFor(
    async () => {
      const settled = probe.yields === last && probe.yields > 0;
      last = probe.yields;
      if (!settled) await sleep(250);
      return settled;
    },
    "the generator to stop being pulled",
    10_000,
  );
  const first = probe.yields;
  await sleep(500);
  expect(probe.yields).toBe(first);
  expect(probe.finallyRan).toBe(false);
  return first;
}

const MB = 1024 * 1024;

describe("backpressure", () => {
  it("node: stops pulling the generator while a client reads nothing, and memory stays bounded", async () => {
    const { probe, router } = firehose();
    const { port } = await serve(router.node({ keepAliveMs: false, onError: () => {} }));
    const before = memory();
    const socket = await connect(port);
    socket.pause();
    const input = encodeURIComponent(JSON.stringify({ total: TOTAL }));
    socket.write(`GET /firehose?input=${input} HTTP/1.1\r\nHost: test\r\n\r\n`);

    const parkedAt = await expectParked(probe);
    expect(parkedAt).toBeLessThan(TOTAL / 10);
    expect(parkedAt * EVENT_BYTES).toBeLessThan(64 * MB);
    expect(memory() - before).toBeLessThan(100 * MB);

    socket.destroy();
    await waitFor(() => probe.finallyRan, "the generator's finally");
    expect(probe.signal!.aborted).toBe(true);
  });

  it("node: a client that pauses and resumes gets every event, in order", async () => {
    const { probe, router } = firehose();
    const { port } = await serve(router.node({ keepAliveMs: false }));
    const socket = await connect(port);
    socket.pause();
    // Well over what the socket buffers hold (a few MB on loopback).
    const total = 20_000;
    socket.write(`GET /firehose?input=${encodeURIComponent(JSON.stringify({ total }))} HTTP/1.1\r\nHost: t\r\n\r\n`);
    await expectParked(probe);
    expect(probe.yields).toBeLessThan(total);

    const numbers: number[] = [];
    let ended = false;
    // The body is chunked; the parser sees the chunk-size lines as junk lines it ignores.
    const parser = createEventStreamParser({
      onEvent: (event) => {
        if (event.event === END_EVENT) ended = true;
        else numbers.push((JSON.parse(event.data) as { n: number }).n);
      },
    });
    socket.on("data", (chunk: Buffer) => parser.feed(chunk));
    socket.resume();
    await waitFor(() => ended, "the end event");
    expect(numbers).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(probe.finallyRan).toBe(true);
  });

  it("fetch: stops pulling the generator while the body is not read; cancel ends it", async () => {
    const { probe, router } = firehose();
    const before = memory();
    const response = await router.fetch(
      new Request(`http://x/firehose?input=${encodeURIComponent(JSON.stringify({ total: TOTAL }))}`),
    );
    expect(response.status).toBe(200);

    const parkedAt = await expectParked(probe);
    // The body queues ~64 KB before the generator is paused.
    expect(parkedAt).toBeLessThan(1_000);
    expect(memory() - before).toBeLessThan(100 * MB);
    expect(probe.signal!.aborted).toBe(false);

    await response.body!.cancel();
    await waitFor(() => probe.finallyRan, "the generator's finally");
    expect(probe.signal!.aborted).toBe(true);
    expect(probe.yields).toBe(parkedAt);
  });

  it("fetch: a reader that pauses and resumes gets every event, in order", async () => {
    const { probe, router } = firehose();
    const total = 2_000;
    const response = await router.fetch(
      new Request(`http://x/firehose?input=${encodeURIComponent(JSON.stringify({ total }))}`),
    );
    await expectParked(probe);
    expect(probe.yields).toBeLessThan(total);

    const numbers: number[] = [];
    let ended = false;
    const parser = createEventStreamParser({
      onEvent: (event) => {
        if (event.event === END_EVENT) ended = true;
        else numbers.push((JSON.parse(event.data) as { n: number }).n);
      },
    });
    for await (const chunk of response.body!) parser.feed(chunk);
    expect(ended).toBe(true);
    expect(numbers).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(probe.finallyRan).toBe(true);
  });
});
