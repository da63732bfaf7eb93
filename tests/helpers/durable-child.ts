/**
 * A server process for the durable-runs tests across processes
 * (`tests/durable/redis-*.test.ts`), run in a child `node --import tsx`. It
 * serves one durable stream, `count` (durable-child-contract.ts), at `/sse/count`, with its runs in Redis
 * (`redisRunStore`), so that several such processes share them. A run yields
 * `n` = 1…`to`, one every `everyMs`; its generator's `finally` records how it
 * ended in Redis, at `<prefix>test:finally:<runId>`: `aborted` (its signal
 * aborted: stopped) or `completed` — what a test in another process reads.
 *
 * Env: PORT (0 for any), REDIS_PREFIX (the store's key prefix), RUNNER_TTL_MS
 * (default 1000). Prints `ready <port>` once listening.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { implement } from "@rivulet/server";
import { redisRunStore } from "@rivulet/server/redis";
import { Redis } from "ioredis";
import { durableContract } from "./durable-child-contract.js";
import { REDIS_URL } from "./scale-redis.js";

const port = Number(process.env["PORT"] ?? 0);
const prefix = process.env["REDIS_PREFIX"] ?? "rivulet-test:durable-child:";
const runnerTtlMs = Number(process.env["RUNNER_TTL_MS"] ?? 1_000);

const reporter = new Redis(REDIS_URL);

const router = implement(
  durableContract,
  {
    count: async function* ({ input, signal, runId }) {
      try {
        for (let n = 1; n <= input.to; n++) {
          if (n > 1) await sleep(input.everyMs, undefined, { signal });
          yield { event: "n", data: n };
        }
      } finally {
        await reporter.set(`${prefix}test:finally:${runId}`, signal.aborted ? "aborted" : "completed");
      }
    },
  },
  { runs: { store: redisRunStore({ url: REDIS_URL, keyPrefix: prefix, runnerTtlMs, blockMs: 1_000 }) } },
);

const server = http.createServer(router.node({ prefix: "/sse" }));
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
