/**
 * A scale-test server process: `startScaleApp` over the broker the
 * environment names, printing `ready <port>` once it listens.
 *
 * env: BROKER (`memory` | `redis`), REDIS_URL, KEY_PREFIX, PORT (default 0),
 * QUEUE_SIZE, HISTORY_SIZE, RELAY (`return` | `yield*`, see `ScaleAppOptions`). It exits when its stdin closes (the test process
 * went away) or on SIGTERM.
 */
import { memoryBroker, type Broker } from "@rivulet/server";
import { redisBroker } from "@rivulet/server/redis";
import { startScaleApp, type Relay } from "./scale-app.js";

const env = process.env;
const optional = (name: string): number | undefined => (env[name] ? Number(env[name]) : undefined);
const sizes = {
  ...(optional("QUEUE_SIZE") !== undefined && { queueSize: optional("QUEUE_SIZE") as number }),
  ...(optional("HISTORY_SIZE") !== undefined && { historySize: optional("HISTORY_SIZE") as number }),
};

const broker: Broker =
  env["BROKER"] === "redis"
    ? redisBroker({
        url: env["REDIS_URL"] ?? "redis://127.0.0.1:6379",
        keyPrefix: env["KEY_PREFIX"] ?? "rivulet-test:scale:",
        blockMs: 1_000,
        ...sizes,
      })
    : memoryBroker(sizes);

const app = await startScaleApp(broker, { port: Number(env["PORT"] ?? 0), relay: env["RELAY"] === "yield*" ? "yield*" : "return" });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await app.close();
  await broker.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();

process.stdout.write(`ready ${app.port}\n`);
