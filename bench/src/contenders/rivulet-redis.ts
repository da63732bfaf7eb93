import http from "node:http";
import { createChannel, implement } from "@rivulet/server";
import { redisBroker } from "@rivulet/server/redis";
import { superjsonCodec } from "@rivulet/shared";
import { contract } from "../contract.js";
import type { Tick } from "../payload.js";
import { deleteKeys, REDIS_URL, redisUnavailable } from "../lib/redis.js";
import { listen } from "./node-io.js";
import { KEEP_ALIVE_MS, type Contender, type RunInfo } from "./types.js";

const TOPIC = "ticks";

/** The broker of one measurement: its own key prefix, so runs and other users of the Redis do not meet. */
function channelOf(run: RunInfo) {
  if (!run.key) throw new Error("rivulet-redis needs a run key (its Redis key prefix)");
  const broker = redisBroker({ url: REDIS_URL, keyPrefix: run.key });
  return createChannel(broker, contract.topic);
}

/**
 * Fan-out only: Rivulet with `redisBroker`, as several server processes
 * behind a load balancer would run it. The server process holds the
 * connections and its handler returns the channel's subscription; the
 * messages are published through the channel by a second process sharing
 * the Redis, so the server really reads each one from Redis (its one
 * `XREAD BLOCK` per topic) before writing it to every subscriber.
 */
export const rivuletRedis: Contender = {
  id: "rivulet-redis",
  label: "Rivulet + redisBroker (validate on, superjson)",
  notes:
    "`redisBroker()` + `createChannel(broker, contract.topic)` in the server process, the handler returning the subscription; " +
    "a second process publishes through its own `createChannel` on the same Redis.",
  preamble: 0,
  fanout: true,
  async serve(run) {
    const ticks = channelOf(run);
    const router = implement(contract, {
      // This contender serves the fan-out topic only.
      stream: async function* () {},
      topic: () => ticks.subscribe(TOPIC),
    });
    const handler = router.node({ validate: true, codec: superjsonCodec, keepAliveMs: KEEP_ALIVE_MS });
    return { port: await listen(http.createServer(handler)) };
  },
  async publisher(run) {
    const ticks = channelOf(run);
    return {
      publish: async (tick: Tick) => {
        await ticks.publish(TOPIC, { event: "tick", data: tick });
      },
    };
  },
  unavailable: () => redisUnavailable(),
  async cleanUp(run) {
    await deleteKeys(run.key);
  },
};

/**
 * The same server in two processes on the one Redis, half the connections to
 * each: how Rivulet scales a fan-out past one core. Each process reads every
 * message from Redis once and writes it to its own half.
 */
export const rivuletRedis2: Contender = {
  ...rivuletRedis,
  id: "rivulet-redis-2",
  label: "Rivulet + redisBroker, 2 processes (validate on, superjson)",
  notes: `${rivuletRedis.notes} Two server processes, each holding half the connections.`,
  processes: 2,
};
