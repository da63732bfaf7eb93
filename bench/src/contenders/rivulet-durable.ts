import http from "node:http";
import { implement, memoryRunStore, type RunStore } from "@rivulet/server";
import { redisRunStore } from "@rivulet/server/redis";
import { superjsonCodec } from "@rivulet/shared";
import { durableContract } from "../contract.js";
import { deleteKeys, REDIS_URL, redisUnavailable } from "../lib/redis.js";
import type { Tick } from "../payload.js";
import { listen } from "./node-io.js";
import { throughputStream } from "./rivulet.js";
import { KEEP_ALIVE_MS, type Contender, type ContenderId, type RunInfo } from "./types.js";

/**
 * Entries a run's watcher may fall behind. The throughput run's generator
 * yields as fast as it can and outruns its one reader (a real run's events
 * come at its model's pace): the default (1,000) would end that reader with
 * SLOW_CONSUMER, so the bench raises it above the longest run it measures.
 */
export const DURABLE_QUEUE_SIZE = 1_000_000;

/** The durable stream's path, for `n` events of `size`. */
export function runPath(n: number, size: "small" | "large"): string {
  return `/run?input=${encodeURIComponent(JSON.stringify({ n, size }))}`;
}

/** The run of ticks that the joiners measurement joins. */
export const TICKS_PATH = "/ticks";

/**
 * Rivulet serving `durableContract` with a run store: `stream` (plain), `run`
 * (the same generator, durable) and `ticks` (a run that yields each tick the
 * server child is told to publish, to every run of it going on).
 */
function rivuletDurable(id: ContenderId, label: string, store: (run: RunInfo) => RunStore, about: string): Contender {
  return {
    id,
    label,
    notes:
      `\`implement(durableContract, …, { runs: { store: ${about} } })\` + \`router.node()\` (validation on, superjson); ` +
      "`stream` is the throughput stream as it is, `run` the same `async function*` declared `durable: true`.",
    preamble: 0,
    fanout: false,
    async serve(run) {
      const inboxes = new Set<(tick: Tick) => void>();
      const router = implement(
        durableContract,
        {
          stream: throughputStream,
          run: throughputStream,
          ticks: async function* ({ signal }) {
            const pending: Tick[] = [];
            let wake: (() => void) | undefined;
            const push = (tick: Tick): void => {
              pending.push(tick);
              wake?.();
            };
            inboxes.add(push);
            signal.addEventListener("abort", () => wake?.(), { once: true });
            try {
              while (!signal.aborted) {
                const tick = pending.shift();
                if (tick !== undefined) yield { event: "tick" as const, data: tick };
                else await new Promise<void>((resolve) => (wake = resolve));
              }
            } finally {
              inboxes.delete(push);
            }
          },
        },
        { runs: { store: store(run) } },
      );
      const handler = router.node({ validate: true, codec: superjsonCodec, keepAliveMs: KEEP_ALIVE_MS });
      return {
        port: await listen(http.createServer(handler)),
        publish: (tick: Tick) => {
          for (const push of inboxes) push(tick);
        },
      };
    },
  };
}

/** Durable runs on the default store, in the server's memory. */
export const rivuletDurableMemory = rivuletDurable(
  "rivulet-durable",
  "Rivulet durable, memoryRunStore",
  () => memoryRunStore({ queueSize: DURABLE_QUEUE_SIZE }),
  "memoryRunStore()",
);

/** Durable runs on Redis (127.0.0.1:6379), a key prefix of its own per measurement. */
export const rivuletDurableRedis: Contender = {
  ...rivuletDurable(
    "rivulet-durable-redis",
    "Rivulet durable, redisRunStore",
    (run) => {
      if (!run.key) throw new Error("rivulet-durable-redis needs a run key (its Redis key prefix)");
      return redisRunStore({ url: REDIS_URL, keyPrefix: run.key, queueSize: DURABLE_QUEUE_SIZE });
    },
    "redisRunStore()",
  ),
  unavailable: () => redisUnavailable(),
  async cleanUp(run) {
    await deleteKeys(run.key);
  },
};
