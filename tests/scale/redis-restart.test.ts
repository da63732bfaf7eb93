/**
 * Redis restarted mid-stream. A private redis-server without persistence
 * (`--save "" --appendonly no`) serves a Rivulet server's redisBroker; typed
 * clients receive events; Redis is SIGKILLed and started again on the same
 * port. A publish made while Redis is down is refused with BROKER_UNAVAILABLE
 * (it is not held for ever); publishing resumes once Redis is back, the topic's reader reconnects and goes on from
 * the last ID it saw (new entry IDs come from the clock, so they sort after
 * the old ones), and the clients keep receiving on the SSE connections they
 * had: none of them fails or reconnects.
 *
 * What happens to history: a non-persistent Redis comes back empty, so the
 * history from before the restart is gone. A client resuming from a
 * pre-restart ID is told so with HISTORY_GAP (never silently handed a gap);
 * one resuming from a post-restart ID gets the rest as usual.
 */
import { RivuletError, createClient, type ConnectionState } from "@rivulet/client";
import { compareEventIds } from "@rivulet/server";
import { redisBroker } from "@rivulet/server/redis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startScaleApp } from "../helpers/scale-app.js";
import { contract } from "../helpers/scale-contract.js";
import { checkRedisServer, freePort, startPrivateRedis, uniquePrefix, type PrivateRedis } from "../helpers/scale-redis.js";
import { until } from "../helpers/sse-socket.js";

const CLIENTS = 3;
const TOPIC = "lobby";

const available = checkRedisServer("the Redis restart test");

const cleanups: Array<() => Promise<void> | void> = [];
let redis: PrivateRedis | undefined;
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  // Last: the broker must not be left reconnecting to a server that is gone for good.
  await redis?.kill();
});

describe.skipIf(!available)("Redis restarted mid-stream", () => {
  it("subscribers keep their connections and receive the events published after the restart", async () => {
    const consoleError = vi.spyOn(console, "error");
    cleanups.push(() => consoleError.mockRestore());
    redis = await startPrivateRedis(await freePort());
    const redisErrors: unknown[] = [];
    const broker = redisBroker({
      url: redis.url,
      keyPrefix: uniquePrefix("restart"),
      blockMs: 1_000,
      onError: (error) => redisErrors.push(error),
    });
    const app = await startScaleApp(broker, { keepAliveMs: 1_000 });
    cleanups.push(() => broker.close(), () => app.close());
    await app.warm(TOPIC);

    const client = createClient(contract, {
      baseUrl: `${app.origin}/sse`,
      reconnect: { initialDelayMs: 50 },
      idleTimeoutMs: 5_000,
    });
    const received: number[][] = [];
    const states: ConnectionState[][] = [];
    const failures: unknown[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const got: number[] = [];
      const seen: ConnectionState[] = [];
      received.push(got);
      states.push(seen);
      const subscription = client.chat.room({ room: TOPIC }, { onStateChange: (state) => seen.push(state) });
      cleanups.push(() => subscription.close());
      void (async () => {
        for await (const event of subscription) got.push(event.data.n);
      })().catch((error: unknown) => failures.push(error));
    }
    await until(() => states.every((seen) => seen.includes("open")), "every client's connection");
    const everyoneHas = (n: number): Promise<void> =>
      until(() => received.every((got) => got.length >= n) || failures.length > 0, `event ${n} at every client`, 20_000);

    const before = await app.publish(TOPIC, 1, 5);
    await everyoneHas(5);

    await redis.kill();
    // Made while Redis is down: refused once ioredis gave up on it, and Redis is down until then.
    const during = await app.publish(TOPIC, 6).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(during).toMatchObject({ code: "BROKER_UNAVAILABLE" });
    await redis.start();
    const after = await app.publish(TOPIC, 6, 5);
    // One more behind the rest: a duplicate of any of them would arrive before it.
    await app.publish(TOPIC, 11);
    await everyoneHas(11);

    expect(failures).toEqual([]);
    for (const got of received) expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // The SSE connections survived: nobody reconnected.
    for (const seen of states) expect(seen).toEqual(["connecting", "open"]);
    // New IDs sort after the old ones, so the reader reading "after the last ID it saw" gets them.
    expect(compareEventIds(after[0] as string, before[4] as string)).toBe(1);

    // The history before the restart is gone with the non-persistent Redis: a resume from it is a gap.
    let thrown: unknown;
    try {
      for await (const event of client.chat.room({ room: TOPIC }, { lastEventId: before[2] as string })) {
        throw new Error(`got event ${event.data.n} instead of HISTORY_GAP`);
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RivuletError);
    expect((thrown as RivuletError).code).toBe("HISTORY_GAP");
    // A resume from after the restart works as ever.
    const resumed: number[] = [];
    for await (const event of client.chat.room({ room: TOPIC }, { lastEventId: after[1] as string })) {
      resumed.push(event.data.n);
      if (event.data.n === 10) break;
    }
    expect(resumed).toEqual([8, 9, 10]);
    // The outage went to the broker's onError (not to ioredis's "Unhandled error event" log).
    expect(redisErrors.length).toBeGreaterThan(0);
    expect(consoleError.mock.calls.filter(([first]) => String(first).includes("[ioredis]"))).toEqual([]);
    console.log(`[scale] Redis restart: the broker's onError was told of ${redisErrors.length} error(s) while Redis was down`);
  }, 60_000);
});
