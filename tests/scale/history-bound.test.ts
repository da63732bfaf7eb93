/**
 * The history bound, end to end: a client resuming from an ID older than the
 * topic's history is told so — `rivulet:error` with code HISTORY_GAP on the
 * wire, a `RivuletError` HISTORY_GAP on the typed client — and is never
 * silently handed a gap. A resume from exactly the last trimmed ID is not a
 * gap: the client has everything up to it and the history has the rest.
 */
import { RivuletError, createClient } from "@rivulet/client";
import { memoryBroker, type Broker } from "@rivulet/server";
import { redisBroker } from "@rivulet/server/redis";
import { ERROR_EVENT } from "@rivulet/shared";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startScaleApp, type ScaleApp } from "../helpers/scale-app.js";
import { contract, roomPath } from "../helpers/scale-contract.js";
import { Redis } from "ioredis";
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../helpers/scale-redis.js";
import { openSse, until, type SseSocket } from "../helpers/sse-socket.js";

/**
 * The memory broker trims exactly; Redis's `MAXLEN ~` trims whole stream nodes
 * (100 entries by default), so the Redis case publishes enough to make it trim
 * and then reads where the kept history starts.
 */
const SIZES = { memory: { history: 5, published: 12 }, redis: { history: 10, published: 250 } } as const;
const TOPIC = "lobby";

const reachable = await checkRedis("the redisBroker case of the history-bound test");

const cleanups: Array<() => Promise<void> | void> = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(prefix);
});

interface Started {
  app: ScaleApp;
  ids: string[];
  /** Index in `ids` of the oldest message the history still holds; `ids[kept - 1]` is the last one trimmed. */
  kept: number;
  published: number;
}

async function start(kind: "memory" | "redis"): Promise<Started> {
  const { history, published } = SIZES[kind];
  const keyPrefix = uniquePrefix("history-bound");
  let broker: Broker;
  if (kind === "memory") broker = memoryBroker({ historySize: history });
  else {
    prefixes.push(keyPrefix);
    broker = redisBroker({ url: REDIS_URL, keyPrefix, historySize: history, onError: () => {} });
  }
  const app = await startScaleApp(broker, { keepAliveMs: false });
  cleanups.push(() => broker.close(), () => app.close());
  const ids = await app.publish(TOPIC, 1, published);
  let kept = published - history;
  if (kind === "redis") {
    const admin = new Redis(REDIS_URL);
    const [oldest] = await admin.xrange(`${keyPrefix}stream:${TOPIC}`, "-", "+", "COUNT", 1);
    await admin.quit();
    kept = ids.indexOf(oldest?.[0] as string);
  }
  expect(kept).toBeGreaterThan(2);
  return { app, ids, kept, published };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function raw(app: ScaleApp, lastEventId: string): SseSocket {
  const socket = openSse(app.port, roomPath(TOPIC), { lastEventId });
  cleanups.push(() => socket.destroy());
  return socket;
}

const numbers = (socket: SseSocket): number[] =>
  socket.events.filter((e) => e.event === "message").map((e) => (JSON.parse(e.data) as { n: number }).n);

describe.each(["memory", "redis"] as const)("history bound (%s broker)", (kind) => {
  const skip = kind === "redis" && !reachable;

  it.skipIf(skip)("on the wire: a resume from before the history gets rivulet:error HISTORY_GAP, then the stream ends", async () => {
    const { app, ids } = await start(kind);
    const socket = raw(app, ids[0] as string);
    await socket.closed;
    expect(socket.status).toBe(200);
    expect(socket.events.map((e) => e.event)).toEqual([ERROR_EVENT]);
    const error = JSON.parse((socket.events[0] as { data: string }).data) as { code: string; message: string };
    expect(error.code).toBe("HISTORY_GAP");
    expect(error.message).toContain(ids[0]);
    expect(numbers(socket)).toEqual([]);
  });

  it.skipIf(skip)("on the wire: a resume from exactly the last trimmed ID replays the whole history; from a kept one, the rest", async () => {
    const { app, ids, kept, published } = await start(kind);
    // Message n has index n - 1: the client holding ids[kept - 1] has messages 1 … kept.
    const fromTrimmed = raw(app, ids[kept - 1] as string);
    const fromKept = raw(app, ids[published - 3] as string);
    const history = published - kept;
    await until(() => numbers(fromTrimmed).length >= history && numbers(fromKept).length >= 2, "the replays");
    await app.publish(TOPIC, published + 1);
    await until(() => numbers(fromTrimmed).length > history && numbers(fromKept).length >= 3, "the live message");
    expect(numbers(fromTrimmed)).toEqual(range(kept + 1, published + 1));
    expect(numbers(fromKept)).toEqual(range(published - 1, published + 1));
    expect(fromTrimmed.events.map((e) => e.id).slice(0, history)).toEqual(ids.slice(kept));
    expect(fromTrimmed.events.some((e) => e.event === ERROR_EVENT)).toBe(false);
  });

  it.skipIf(skip)("on the typed client: a RivuletError HISTORY_GAP, without reconnecting; from the last trimmed ID, no error", async () => {
    const { app, ids, kept } = await start(kind);
    const client = createClient(contract, { baseUrl: `${app.origin}/sse`, reconnect: { initialDelayMs: 20 } });
    const states: string[] = [];
    const gap = client.chat.room({ room: TOPIC }, { lastEventId: ids[0] as string, onStateChange: (s) => states.push(s) });
    let thrown: unknown;
    try {
      for await (const event of gap) throw new Error(`got event ${event.data.n} instead of HISTORY_GAP`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RivuletError);
    expect((thrown as RivuletError).code).toBe("HISTORY_GAP");
    expect(states).not.toContain("reconnecting");

    const resumed = client.chat.room({ room: TOPIC }, { lastEventId: ids[kept - 1] as string });
    cleanups.push(() => resumed.close());
    const got: Array<{ n: number; at: Date; id: string }> = [];
    for await (const event of resumed) {
      got.push({ n: event.data.n, at: event.data.at, id: event.id });
      if (got.length === 5) break;
    }
    expect(got.map((e) => e.n)).toEqual(range(kept + 1, kept + 5));
    expect(got.map((e) => e.id)).toEqual(ids.slice(kept, kept + 5));
    expect(got.every((e) => e.at instanceof Date)).toBe(true);
  });
});
