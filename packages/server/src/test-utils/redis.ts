/**
 * Helpers for the Redis broker's tests: is Redis there (skip with a notice,
 * or fail under CI), a unique key prefix per test, and cleanup of its keys.
 */
import net from "node:net";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

export const REDIS_HOST = "127.0.0.1";
export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

/** Whether a Redis answers `PING` at host:port within `timeoutMs`. */
export function redisReachable(host = REDIS_HOST, port = REDIS_PORT, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let reply = "";
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

/**
 * Checks Redis once per test file. Without it the file's Redis tests skip
 * with a notice; under CI (env `CI` set) a missing Redis is a failure.
 * `what` names the tests: "the redisBroker unit tests".
 */
export async function checkRedis(what: string): Promise<boolean> {
  if (await redisReachable()) return true;
  const where = `Redis not reachable at ${REDIS_HOST}:${REDIS_PORT}`;
  if (process.env["CI"]) throw new Error(`${where}: ${what} cannot run, and CI is set, so this fails instead of skipping.`);
  console.warn(`SKIPPED: ${where}: ${what} skipped. Start redis-server to run them.`);
  return false;
}

/** A key prefix no other test (or test run) uses: `rivulet-test:<name>:<random>:`. */
export function uniquePrefix(name: string): string {
  return `rivulet-test:${name}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}
