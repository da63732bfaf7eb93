/**
 * A resume during a Redis outage (issue 10, item 4). A Rivulet server on
 * `redisBroker` and a private redis-server; a typed client receives a few
 * events; Redis is killed (SIGKILL, by its pid) and the client's connection
 * is cut, so that it must resume while Redis is down.
 *
 * The resume cannot read the history, which is retryable: the server answers
 * 503 `BROKER_UNAVAILABLE` (never a final error), the client keeps resuming
 * with backoff, and `publish()` rejects with `BROKER_UNAVAILABLE`. Once Redis
 * is back, with the append-only file on, the client gets every event exactly
 * once and in order; without persistence the history it resumes from is gone,
 * and the client is told so with `HISTORY_GAP`.
 *
 * The outage lasts until the client has been refused a few times: state, not
 * a clock. For a longer one (the note's 15 s), set `REDIS_OUTAGE_MS`:
 * `REDIS_OUTAGE_MS=15000 npx vitest run tests/hostile/redis-outage.test.ts`
 * keeps Redis down at least that long and prints what happened.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { RivuletError, createClient, type ConnectionState } from "@rivulet/client";
import { redisBroker } from "@rivulet/server/redis";
import { afterEach, describe, expect, it } from "vitest";
import { answerRecordingFetch, aofArgs, dataDir, streamLength } from "../helpers/redis-outage.js";
import { startScaleApp } from "../helpers/scale-app.js";
import { contract } from "../helpers/scale-contract.js";
import { checkRedisServer, freePort, startPrivateRedis, uniquePrefix } from "../helpers/scale-redis.js";
import { until } from "../helpers/sse-socket.js";

const TOPIC = "lobby";
/** Refused resumes to wait for while Redis is down. */
const REFUSALS = 3;
const OUTAGE_MS = Number(process.env["REDIS_OUTAGE_MS"] ?? 0);

const available = checkRedisServer("the Redis outage tests");

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A private Redis (AOF on, or no persistence), a server on it, and a client subscribed to the topic. */
async function setUp(persistence: "aof" | "none") {
  const data = await dataDir();
  cleanups.push(data.remove);
  const redis = await startPrivateRedis(await freePort(), { args: persistence === "aof" ? aofArgs(data.dir) : ["--dir", data.dir] });
  // Last but the directory: the broker must not be left reconnecting to a server that is gone for good.
  cleanups.push(() => redis.kill());
  const prefix = uniquePrefix("outage");
  const brokerErrors: unknown[] = [];
  const broker = redisBroker({ url: redis.url, keyPrefix: prefix, blockMs: 1_000, onError: (error) => brokerErrors.push(error) });
  const app = await startScaleApp(broker);
  cleanups.push(() => broker.close(), () => app.close());
  await app.warm(TOPIC);

  const net = answerRecordingFetch();
  const client = createClient(contract, {
    baseUrl: `${app.origin}/sse`,
    fetch: net.fetch,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
  });
  const received: number[] = [];
  const states: ConnectionState[] = [];
  const failures: unknown[] = [];
  const subscription = client.chat.room({ room: TOPIC }, { onStateChange: (state) => states.push(state) });
  cleanups.push(() => subscription.close());
  void (async () => {
    for await (const event of subscription) received.push(event.data.n);
  })().catch((error: unknown) => failures.push(error));
  await until(() => states.includes("open"), "the client's connection");

  const refused = (): number => net.answers.filter((a) => a.status === 503 && a.code === "BROKER_UNAVAILABLE").length;
  return {
    redis,
    app,
    net,
    received,
    states,
    failures,
    brokerErrors,
    refused,
    key: `${prefix}stream:${TOPIC}`,
    /** Kills Redis and cuts the client's connection: it resumes, and is refused, until `REFUSALS` refusals (and `OUTAGE_MS`) passed. */
    async outage(): Promise<void> {
      await redis.kill();
      const downAt = performance.now();
      app.server.closeAllConnections();
      await until(() => refused() >= REFUSALS || failures.length > 0, `${REFUSALS} refused resumes`, 20_000 + OUTAGE_MS);
      const left = OUTAGE_MS - (performance.now() - downAt);
      if (left > 0) await sleep(left);
    },
  };
}

/** What `promise` rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe.skipIf(!available)("a resume during a Redis outage", () => {
  it("with AOF: 503 BROKER_UNAVAILABLE while Redis is down, publish rejects, then every event once and in order", async () => {
    const t = await setUp("aof");
    await t.app.publish(TOPIC, 1, 5);
    await until(() => t.received.length >= 5 || t.failures.length > 0, "events 1-5 at the client");
    const before = await streamLength(t.redis.url, t.key);

    await t.outage();
    const during = await rejection(t.app.publish(TOPIC, 6));
    expect(during).toBeInstanceOf(RivuletError);
    expect(during).toMatchObject({ code: "BROKER_UNAVAILABLE" });
    // ioredis's own error is the cause, not what the caller gets.
    expect((during as RivuletError).cause).toBeInstanceOf(Error);
    expect((during as RivuletError).cause).not.toBeInstanceOf(RivuletError);
    // Refused, and still at it: no final error, no end.
    expect(t.failures).toEqual([]);
    expect(t.states).not.toContain("closed");
    expect(t.states.at(-1)).toBe("reconnecting");
    const outageAnswers = [...t.net.answers];
    // Every answer after the cut was the retryable refusal, with its Retry-After.
    expect(outageAnswers.slice(1).every((a) => a.status === 503 && a.code === "BROKER_UNAVAILABLE" && a.retryAfter !== null)).toBe(true);

    await t.redis.start();
    // The append-only file kept the history through the SIGKILL.
    expect(await streamLength(t.redis.url, t.key)).toBe(before);
    await t.app.publish(TOPIC, 6, 5);
    // One more behind the rest: a duplicate of any of them would arrive before it.
    await t.app.publish(TOPIC, 11);
    await until(() => t.received.includes(11) || t.failures.length > 0, "event 11 at the client", 20_000);

    expect(t.failures).toEqual([]);
    expect(t.received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(t.net.answers.at(-1)?.status).toBe(200);
    const requests = t.net.answers.length;
    console.log(
      `[outage] AOF, Redis down ${OUTAGE_MS > 0 ? `≥ ${OUTAGE_MS} ms` : `for ${REFUSALS} refusals`}: ` +
        `published 11 (+1 refused while Redis was down), received ${t.received.length}, duplicates ${t.received.length - new Set(t.received).size}, ` +
        `requests ${requests} (${t.refused()} × 503 BROKER_UNAVAILABLE), broker errors reported ${t.brokerErrors.length}`,
    );
  }, 60_000 + OUTAGE_MS);

  it("without persistence: the client, refused while Redis is down, is told HISTORY_GAP once it comes back empty", async () => {
    const t = await setUp("none");
    await t.app.publish(TOPIC, 1, 5);
    await until(() => t.received.length >= 5 || t.failures.length > 0, "events 1-5 at the client");
    const before = await streamLength(t.redis.url, t.key);

    await t.outage();
    expect(t.failures).toEqual([]);
    expect(t.refused()).toBeGreaterThanOrEqual(REFUSALS);

    await t.redis.start();
    const after = await streamLength(t.redis.url, t.key);
    await t.app.publish(TOPIC, 6, 5);
    await until(() => t.failures.length > 0, "the client's HISTORY_GAP", 20_000);

    expect(t.failures).toHaveLength(1);
    expect(t.failures[0]).toBeInstanceOf(RivuletError);
    expect((t.failures[0] as RivuletError).code).toBe("HISTORY_GAP");
    // It got what was published before the outage, and nothing it could not place.
    expect(t.received).toEqual([1, 2, 3, 4, 5]);
    expect(after).toBe(0);
    console.log(`[outage] no persistence: the restart dropped ${before - after} of ${before} entries; the client got HISTORY_GAP`);
  }, 60_000 + OUTAGE_MS);
});
