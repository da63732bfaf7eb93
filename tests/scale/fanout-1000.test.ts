/**
 * 1,000 subscribers of one topic, one server process: every subscriber gets
 * every published event exactly once and in order, over real sockets, with
 * the memory broker and with the Redis broker, and with each way a handler
 * relays a subscription (returned as it is, or `yield*`ed).
 *
 * The server runs in a child process (`scale-server.ts`, with `--expose-gc`)
 * so that its memory per connection can be measured apart from the 1,000
 * clients, which are raw HTTP/1.0 sockets in this process feeding the shared
 * SSE parser. The figures are printed, not asserted: timing depends on the
 * machine.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startScaleChild, type ScaleChild } from "../helpers/scale-child.js";
import { RELAYS } from "../helpers/scale-app.js";
import { roomPath } from "../helpers/scale-contract.js";
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../helpers/scale-redis.js";
import { openSse, percentile, until, type SseSocket } from "../helpers/sse-socket.js";

const SUBSCRIBERS = 1_000;
const EVENTS = 100;
/** Connections opened at a time: the listen backlog (511) must not overflow. */
const BATCH = 100;
const TOPIC = "lobby";

const redisReachable = await checkRedis("the redisBroker case of the 1,000-subscriber test");

const children: ScaleChild[] = [];
const sockets: SseSocket[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(children.map((child) => child.kill()));
  for (const prefix of prefixes) await deleteKeys(prefix);
});

interface Memory {
  heapUsed: number;
  rss: number;
  gc: boolean;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value: number): string => `${value.toFixed(2)} ms`;

const CASES = (["memory", "redis"] as const).flatMap((kind) => RELAYS.map((relay) => [kind, relay] as const));

describe.each(CASES)("1,000 subscribers of one topic in one process (%s broker, handler: %s)", (kind, relay) => {
  it.skipIf(kind === "redis" && !redisReachable)(
    `each of ${SUBSCRIBERS} SSE connections receives all ${EVENTS} events exactly once, in order`,
    async () => {
      const prefix = uniquePrefix(`fanout-${kind}`);
      if (kind === "redis") prefixes.push(prefix);
      const child = await startScaleChild({ BROKER: kind, REDIS_URL, KEY_PREFIX: prefix, RELAY: relay });
      children.push(child);
      await child.control("/control/warm", { topic: TOPIC });
      const before = await child.control<Memory>("/control/memory");

      // Events are counted as they arrive, so that the end of the delivery is known at once.
      let delivered = 0;
      const mine: SseSocket[] = [];
      const connectStart = performance.now();
      for (let i = 0; i < SUBSCRIBERS; i += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, SUBSCRIBERS - i) }, () =>
          openSse(child.port, roomPath(TOPIC), { onEvent: () => delivered++ }),
        );
        sockets.push(...batch);
        mine.push(...batch);
        await Promise.all(batch.map((socket) => socket.opened));
      }
      const connectMs = performance.now() - connectStart;
      expect(mine.every((socket) => socket.status === 200)).toBe(true);
      const { count: open } = await child.control<{ count: number }>("/control/connections");
      expect(open).toBeGreaterThanOrEqual(SUBSCRIBERS);
      const after = await child.control<Memory>("/control/memory");

      const { ids } = await child.control<{ ids: string[] }>("/control/publish", { topic: TOPIC, from: 1, count: EVENTS });
      await until(() => delivered >= SUBSCRIBERS * EVENTS, `${SUBSCRIBERS * EVENTS} deliveries`, 60_000);
      // Anything extra (a duplicate) would have arrived with the rest; give it a moment to show up.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(delivered).toBe(SUBSCRIBERS * EVENTS);

      const expected = Array.from({ length: EVENTS }, (_, i) => i + 1);
      const latencies: number[] = [];
      let firstSent = Number.POSITIVE_INFINITY;
      let lastReceived = 0;
      for (const socket of mine) {
        const messages = socket.events.filter((event) => event.event === "message");
        expect(messages).toHaveLength(socket.events.length);
        const payloads = messages.map((event) => JSON.parse(event.data) as { n: number; at: string; sentAt: number });
        expect(payloads.map((p) => p.n)).toEqual(expected);
        expect(messages.map((event) => event.id)).toEqual(ids);
        for (const [i, payload] of payloads.entries()) {
          const receivedAt = (messages[i] as { receivedAt: number }).receivedAt;
          latencies.push(receivedAt - payload.sentAt);
          firstSent = Math.min(firstSent, payload.sentAt);
          lastReceived = Math.max(lastReceived, receivedAt);
        }
        // The Date travels as its ISO string on the wire (and is restored by the typed client).
        expect(Number.isNaN(Date.parse((payloads[0] as { at: string }).at))).toBe(false);
      }

      const figures = {
        broker: kind,
        relay,
        subscribers: SUBSCRIBERS,
        events: EVENTS,
        deliveries: SUBSCRIBERS * EVENTS,
        connectAll: ms(connectMs),
        firstPublishToLastDelivery: ms(lastReceived - firstSent),
        deliveriesPerSecond: Math.round((SUBSCRIBERS * EVENTS) / ((lastReceived - firstSent) / 1000)),
        latencyP50: ms(percentile(latencies, 50)),
        latencyP99: ms(percentile(latencies, 99)),
        latencyMax: ms(Math.max(...latencies)),
        serverHeapPerConnection: `${((after.heapUsed - before.heapUsed) / SUBSCRIBERS / 1024).toFixed(1)} KB`,
        serverRssPerConnection: `${((after.rss - before.rss) / SUBSCRIBERS / 1024).toFixed(1)} KB`,
        serverHeap: `${mb(before.heapUsed)} → ${mb(after.heapUsed)}`,
        serverRss: `${mb(before.rss)} → ${mb(after.rss)}`,
        gcBeforeMeasuring: after.gc,
      };
      console.log(`[scale] 1,000 subscribers, ${kind} broker, handler ${relay}:\n${JSON.stringify(figures, null, 2)}`);

      for (const socket of mine) socket.destroy();
      await child.kill();
    },
    60_000,
  );
});
