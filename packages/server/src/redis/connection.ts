import { Redis } from "ioredis";

/**
 * ioredis's `maxRetriesPerRequest` for a client Rivulet makes: a command
 * made while Redis is away fails after at most two reconnection attempts
 * (ioredis waits up to 2 s between two), so a publish, a resume or a run's
 * start is refused within a few seconds rather than held. One attempt is left to a blip.
 */
const MAX_RETRIES_PER_REQUEST = 1;

/** The Redis client a broker or run store talks through, and how it reports what it recovers from. */
export interface RedisConnection {
  readonly client: Redis;
  /** The options' `onError`, or a `console.warn` naming `name`; a reporter that throws is logged, never rethrown. */
  readonly onError: (error: unknown) => void;
  /** Quits the client if it was made here (a client passed in is its owner's to close); disconnects if Redis is away. */
  close(): Promise<void>;
}

/**
 * The client given as `options.client`, or one made for `options.url`. A
 * client made here gets `onError` as its error listener: without one
 * ioredis logs every failed reconnection as an "Unhandled error event".
 */
export function connectRedis(
  options: { url?: string; client?: Redis; onError?: (error: unknown) => void },
  name: string,
): RedisConnection {
  const ownsClient = options.client === undefined;
  const client = options.client ?? new Redis(options.url ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST });
  const report = options.onError ?? ((error: unknown) => console.warn(`[rivulet] ${name}:`, error));
  // A logger that throws must not become an unhandled rejection inside the broker or the store.
  const onError = (error: unknown): void => {
    try {
      report(error);
    } catch (failure) {
      console.error(`[rivulet] ${name}: onError threw:`, failure, "while reporting:", error);
    }
  };
  if (ownsClient) client.on("error", onError);
  return {
    client,
    onError,
    async close() {
      if (!ownsClient) return;
      // Without a connection, QUIT would wait in ioredis's offline queue.
      if (client.status === "ready") await client.quit();
      else client.disconnect();
    },
  };
}
