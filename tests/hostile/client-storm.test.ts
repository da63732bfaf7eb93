/**
 * A server that answers every request with a `retry:` hint and a comment,
 * then closes: before, each connection's bytes reset the client's backoff,
 * and `retry: 0` made it call 505–522 times a second, forever. Now only an
 * event resets it, the step doubles from the hint on every failure, and the
 * wait is at least half the step, so the count is bounded for every draw of
 * Math.random: the tests run the worst draw (0, the shortest waits) and the
 * best (1, the longest).
 *
 * On a fake clock: the server and sockets are real, and the test runs out
 * each wait as soon as the client starts it, so the instant of every request
 * is the sum of the waits before it, to the fraction of a millisecond.
 */
import type http from "node:http";
import { createClient, type ClientOptions } from "@rivulet/client";
import { afterEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { contract } from "../helpers/contract.js";
import { until, useFakeClock } from "../helpers/fake-clock.js";
import { createServerPool } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(async () => {
  // Spies first: restoring a spy on the faked setTimeout after the real timers are back would fake it again.
  vi.restoreAllMocks();
  vi.useRealTimers();
  await pool.closeAll();
});

/** The client's defaults, spelled out: the figures below follow from them. */
const MAX_DELAY_MS = 30_000;
const RECONNECT = { initialDelayMs: 1_000, maxDelayMs: MAX_DELAY_MS } satisfies ClientOptions["reconnect"];

/** A server that answers request `n` (from 0) with `respond(n, res)`, and counts them. */
async function serve(respond: (n: number, res: http.ServerResponse) => void): Promise<{ origin: string; requests: () => number }> {
  let requests = 0;
  const origin = await pool.start((_req, res) => respond(requests++, res));
  return { origin, requests: () => requests };
}

/** Opens an event stream, writes `body` and closes it: no event, no `rivulet:end`. */
function closeAfter(res: http.ServerResponse, body: string): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.end(body);
}

/**
 * Subscribes to `origin` and runs out every backoff wait the moment the
 * client starts it, until the next request would come after `horizonMs` or
 * `maxRequests` were made. Returns the waits, in order, and the fake instant
 * of every request (the first at 0).
 */
async function drive(
  server: { origin: string; requests: () => number },
  options: { horizonMs: number; maxRequests: number; onEvent?: () => void },
): Promise<{ times: number[]; waits: number[] }> {
  const timeouts: MockInstance<typeof setTimeout> = vi.spyOn(globalThis, "setTimeout");
  /** For each failure, the index of the setTimeout call that starts its wait. */
  const sleeps: number[] = [];
  const client = createClient(contract, {
    baseUrl: `${server.origin}/sse`,
    reconnect: RECONNECT,
    idleTimeoutMs: false,
    // The client reports "reconnecting" and starts its wait in one synchronous run: the wait is
    // the next setTimeout call, whatever timers undici sets around it.
    onStateChange: (state) => {
      if (state === "reconnecting") sleeps.push(timeouts.mock.calls.length);
    },
  });
  const sub = client.feed();
  const loop = (async () => {
    for await (const _event of sub) options.onEvent?.();
  })();

  const times = [0];
  const waits: number[] = [];
  let now = 0;
  while (times.length < options.maxRequests) {
    await until(() => sleeps.length === times.length, `the loss of connection ${times.length}`);
    const wait = timeouts.mock.calls[sleeps[times.length - 1] as number]?.[1] as number;
    waits.push(wait);
    if (now + wait > options.horizonMs) break;
    now += wait;
    // Whole milliseconds for the fake clock; the waits' own values for the instants.
    await vi.advanceTimersByTimeAsync(Math.ceil(wait));
    await until(() => server.requests() === times.length + 1, `request ${times.length + 1}`);
    times.push(now);
  }
  sub.close();
  await loop;
  return { times, waits };
}

describe("a server that sends a retry: hint and a comment, then closes, again and again", () => {
  // The exact counts follow from the steps: 1 ms for retry: 0 (the smallest step) and retry: 1, 1 s without a hint.
  it.each([
    ["retry: 0", 0, 15, "retry: 0\n: storm\n\n"],
    ["retry: 0", 1, 14, "retry: 0\n: storm\n\n"],
    ["retry: 1", 0, 15, "retry: 1\n: storm\n\n"],
    ["retry: 1", 1, 14, "retry: 1\n: storm\n\n"],
    ["no retry:", 0, 5, ": storm\n\n"],
    ["no retry:", 1, 4, ": storm\n\n"],
  ])("%s, Math.random() = %i: %i requests in the first 10 s (at most 30), then one per maxDelayMs", async (_n, draw, expected, body) => {
    useFakeClock();
    vi.spyOn(Math, "random").mockReturnValue(draw);
    const server = await serve((_n, res) => closeAfter(res, body));
    // Past 10 s, on to the cap: 12 minutes of fake time is 15 steps of doubling from 1 ms and a dozen at the cap.
    const { times, waits } = await drive(server, { horizonMs: 12 * 60_000, maxRequests: 60 });

    const inFirstTenSeconds = times.filter((t) => t <= 10_000).length;
    expect(inFirstTenSeconds).toBeLessThanOrEqual(30);
    expect(inFirstTenSeconds).toBe(expected);
    // Settled: once half the step reaches the cap, every wait is maxDelayMs whatever the draw.
    const settled = waits.slice(waits.indexOf(MAX_DELAY_MS));
    expect(settled.length).toBeGreaterThanOrEqual(10);
    expect(new Set(settled)).toStrictEqual(new Set([MAX_DELAY_MS]));
    expect(server.requests()).toBe(times.length);
  });

  it("starts again from the first step once a connection delivered an event", async () => {
    useFakeClock();
    vi.spyOn(Math, "random").mockReturnValue(1);
    const server = await serve((n, res) =>
      // Connection 5 delivers one event; every other one only a comment.
      // With an id: a stream whose events carry none is not requested again once it delivered one.
      closeAfter(res, n === 5 ? "event: tick\nid: 5\ndata: 5\n\n" : ": storm\n\n"),
    );
    let events = 0;
    const { waits } = await drive(server, { horizonMs: Number.POSITIVE_INFINITY, maxRequests: 9, onEvent: () => events++ });
    expect(events).toBe(1);
    // 1, 2, 4, 8, 16 s for connections 0–4; connection 5's loss waits 1 s again.
    expect(waits).toStrictEqual([1_000, 2_000, 4_000, 8_000, 16_000, 1_000, 2_000, 4_000]);
  });
});
