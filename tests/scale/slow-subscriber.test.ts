/**
 * A slow subscriber does not delay the others. Ten subscribers read a topic
 * while it is published in lock-step (one message, then wait until all ten
 * have it), first alone, then with an eleventh that stops reading (a raw
 * socket, paused). The slow one's socket fills up, its handler stops pulling,
 * its queue overflows and it is cut with SLOW_CONSUMER; the ten see every
 * message exactly once, in order, both times. Their publish → receive
 * latencies are printed for both phases (never asserted: timing depends on
 * the machine).
 *
 * When the slow one reads again it finds what was in flight, then `retry:`
 * and the end of the response — no `rivulet:end`, so a client reconnects —
 * and a typed client resuming from its last ID gets the rest from history.
 */
import { createClient } from "@rivulet/client";
import { memoryBroker } from "@rivulet/server";
import { END_EVENT, ERROR_EVENT } from "@rivulet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { RELAYS, startScaleApp, type ScaleApp } from "../helpers/scale-app.js";
import { contract, roomPath } from "../helpers/scale-contract.js";
import { openSse, percentile, type RawEvent, type SseSocket } from "../helpers/sse-socket.js";

const OTHERS = 10;
/** Per phase. 400 × 24 KB ≈ 9.6 MB: more than loopback's socket buffers (~4 MB here) and the queue hold. */
const MESSAGES = 400;
const PAD = "x".repeat(24 * 1024);
const QUEUE_SIZE = 16;
const TOPIC = "lobby";

const sockets: SseSocket[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const payload = (event: RawEvent): { n: number; sentAt: number } => JSON.parse(event.data) as { n: number; sentAt: number };
const ms = (value: number): string => `${value.toFixed(2)} ms`;

/** Counts each message's arrivals at the readers, and wakes whoever waits for a message to reach them all. */
function arrivals(readers: number): { onEvent: (event: RawEvent) => void; all: (n: number) => Promise<void> } {
  const counts = new Map<number, number>();
  let waiting: { n: number; resolve: () => void } | undefined;
  return {
    onEvent: (event) => {
      if (event.event !== "message") return;
      const { n } = payload(event);
      const count = (counts.get(n) ?? 0) + 1;
      counts.set(n, count);
      if (waiting?.n === n && count >= readers) waiting.resolve();
    },
    all: (n) =>
      (counts.get(n) ?? 0) >= readers
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`message ${n} did not reach every reader`)), 20_000);
            waiting = {
              n,
              resolve: () => {
                clearTimeout(timer);
                waiting = undefined;
                resolve();
              },
            };
          }),
  };
}

/** Publishes `from` … `from + count - 1` one at a time, each once every reader has the one before. */
async function lockStep(
  app: ScaleApp,
  readers: SseSocket[],
  reached: (n: number) => Promise<void>,
  from: number,
  count: number,
): Promise<{ latencies: number[]; ms: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let n = from; n < from + count; n++) {
    await app.publish(TOPIC, n, 1, PAD);
    await reached(n);
    for (const reader of readers) {
      const event = reader.events[n - 1] as RawEvent;
      latencies.push(event.receivedAt - payload(event).sentAt);
    }
  }
  return { latencies, ms: performance.now() - started };
}

describe.each(RELAYS)("a slow subscriber (handler: %s)", (relay) => {
  it("does not delay the others; it is cut with SLOW_CONSUMER and resumes from history", async () => {
    const broker = memoryBroker({ queueSize: QUEUE_SIZE, historySize: 2 * MESSAGES });
    const app = await startScaleApp(broker, { keepAliveMs: false, relay });
    cleanups.push(() => broker.close(), () => app.close());

    const counter = arrivals(OTHERS);
    const others = Array.from({ length: OTHERS }, () => openSse(app.port, roomPath(TOPIC), { onEvent: counter.onEvent }));
    sockets.push(...others);
    await Promise.all(others.map((socket) => socket.opened));

    const without = await lockStep(app, others, counter.all, 1, MESSAGES);

    const slow = openSse(app.port, roomPath(TOPIC));
    sockets.push(slow);
    await slow.opened;
    slow.pause();
    const withSlow = await lockStep(app, others, counter.all, MESSAGES + 1, MESSAGES);

    const all = Array.from({ length: 2 * MESSAGES }, (_, i) => i + 1);
    for (const reader of others) {
      expect(reader.events.map((event) => event.event === "message" && payload(event).n)).toEqual(all);
      expect(reader.isClosed).toBe(false);
    }
    const figures = {
      subscribers: OTHERS,
      messagesPerPhase: MESSAGES,
      messageBytes: PAD.length,
      withoutSlowP50: ms(percentile(without.latencies, 50)),
      withoutSlowP99: ms(percentile(without.latencies, 99)),
      withoutSlowPhase: ms(without.ms),
      withSlowP50: ms(percentile(withSlow.latencies, 50)),
      withSlowP99: ms(percentile(withSlow.latencies, 99)),
      withSlowPhase: ms(withSlow.ms),
    };
    console.log(`[scale] other subscribers' publish → receive latency, without vs with a slow one:\n${JSON.stringify(figures, null, 2)}`);

    // The slow one reads again: what was in flight, then the cut.
    slow.resume();
    await slow.closed;
    const got = slow.events.filter((event) => event.event === "message").map((event) => payload(event).n);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(MESSAGES);
    expect(got).toEqual(all.slice(MESSAGES, MESSAGES + got.length));
    expect(slow.events.some((event) => event.event === END_EVENT || event.event === ERROR_EVENT)).toBe(false);
    expect(slow.retries).toEqual([500]);
    expect(app.errors.map((error) => error.code)).toEqual(["SLOW_CONSUMER"]);
    console.log(`[scale] the slow subscriber got ${got.length} of ${MESSAGES} messages before its cut (SLOW_CONSUMER, retry: 500)`);

    // Its client resumes with the last ID it has, and catches up from history.
    const lastId = (slow.events.at(-1) as RawEvent).id;
    const client = createClient(contract, { baseUrl: `${app.origin}/sse` });
    const rest: number[] = [];
    for await (const message of client.chat.room({ room: TOPIC }, { lastEventId: lastId }).events.message) {
      rest.push(message.n);
      if (message.n === 2 * MESSAGES) break;
    }
    expect([...got, ...rest]).toEqual(all.slice(MESSAGES));
  }, 60_000);
});
