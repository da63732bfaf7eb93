import { memoryBroker, type Broker } from "@rivulet/server";

/** Where the chat keeps its Redis keys unless told otherwise: `rivulet:chat:stream:<room>`, `…presence:<room>`. */
export const DEFAULT_KEY_PREFIX = "rivulet:chat:";

export interface ChatBrokerOptions {
  /**
   * A Redis URL (`redis://127.0.0.1:6379`): several chat processes that use
   * the same Redis share their rooms. Left out, the rooms live in this process.
   */
  redisUrl?: string | undefined;
  /**
   * Prefix of the Redis keys; processes share rooms only with the same prefix.
   * @default "rivulet:chat:"
   */
  keyPrefix?: string | undefined;
}

/** A broker, and what to print about it. */
export interface ChatBroker {
  broker: Broker;
  /** `memory (this process only)` or `redis redis://host:6379, keys rivulet:chat:*`. */
  description: string;
}

/**
 * The embedded `memoryBroker()` by default (nothing to set up), or a
 * `redisBroker()` when a Redis URL is given. Redis is checked first, so an
 * unreachable one is a clear error at startup instead of a server whose
 * requests hang while the Redis client retries.
 */
export async function createChatBroker(options: ChatBrokerOptions = {}): Promise<ChatBroker> {
  if (!options.redisUrl) return { broker: memoryBroker(), description: "memory (this process only)" };
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  await assertRedisReachable(options.redisUrl);
  // Loaded only here, so that the in-memory default needs neither ioredis nor a Redis.
  const { redisBroker } = await import("@rivulet/server/redis");
  return {
    broker: redisBroker({ url: options.redisUrl, keyPrefix }),
    description: `redis ${redactUrl(options.redisUrl)}, keys ${keyPrefix}*`,
  };
}

/**
 * Connects to Redis once, without retrying, and PINGs it.
 * @throws {Error} saying what failed and what to do about it.
 */
export async function assertRedisReachable(url: string, timeoutMs = 3_000): Promise<void> {
  const { Redis } = await import("ioredis");
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED, …) says more than connect()'s "Connection is closed."; without
  // a listener, ioredis would also print it as unhandled.
  let socketError: unknown;
  probe.on("error", (error: unknown) => (socketError ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const cause = socketError ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `Cannot reach Redis at ${redactUrl(url)} (${reason}). Start Redis, fix REDIS_URL, or unset it to use the in-memory broker.`,
    );
  } finally {
    probe.disconnect();
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(an invalid URL)";
  }
}
