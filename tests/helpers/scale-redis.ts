import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { REDIS_HOST, REDIS_URL, redisReachable } from "../../packages/server/src/test-utils/redis.js";

// The shared Redis checks are the server package's own test helpers.
export { REDIS_URL, checkRedis, uniquePrefix } from "../../packages/server/src/test-utils/redis.js";

export const REDIS_SERVER = "/usr/bin/redis-server";

/** Skips with a notice when something the tests need is missing; fails instead when env `CI` is set. */
function missing(problem: string, what: string, remedy: string): false {
  if (process.env["CI"]) throw new Error(`${problem}: ${what} cannot run, and CI is set, so this fails instead of skipping.`);
  console.warn(`SKIPPED: ${problem}: ${what} skipped. ${remedy}`);
  return false;
}

/** Whether a private redis-server can be started; `what` names the tests that need it. */
export function checkRedisServer(what: string): boolean {
  if (existsSync(REDIS_SERVER)) return true;
  return missing(`${REDIS_SERVER} not found`, what, "Install redis-server to run them.");
}

/** Deletes every key under `prefix` in the Redis at `url`. */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILLs the server (no chance to save anything) and waits for its exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty, unless `args` made it persist) and waits until it answers. */
  start(): Promise<void>;
}

export interface PrivateRedisOptions {
  /**
   * More redis-server arguments, after the defaults, which they override:
   * `["--appendonly", "yes", "--dir", dir]` makes a restart keep the data.
   */
  args?: readonly string[];
}

/**
 * A redis-server of the test's own on `port`, without persistence
 * (`--save "" --appendonly no`) unless `args` say otherwise: a restart loses everything.
 */
export async function startPrivateRedis(port: number, options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const instance: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async start() {
      const proc = spawn(
        REDIS_SERVER,
        [
          ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
          ...(options.args ?? []),
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      child = proc;
      exited = new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) resolve();
        else proc.once("exit", () => resolve());
      });
      const deadline = Date.now() + 10_000;
      while (!(await redisReachable(REDIS_HOST, port, 200))) {
        if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${proc.exitCode}`);
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
        await sleep(20);
      }
    },
  };
  await instance.start();
  return instance;
}
