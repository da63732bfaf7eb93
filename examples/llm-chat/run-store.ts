import { memoryRunStore, type RunStore } from "@rivulet/server";

/** Where the chat keeps its Redis keys unless told otherwise: `rivulet:llm-chat:run:<id>:…`. */
export const DEFAULT_KEY_PREFIX = "rivulet:llm-chat:";

/** A run id no run has (runs have 22 characters): what the startup check looks up. */
const PROBE_ID = "llm-chat-startup-probe-0";

export interface AnswerStoreOptions {
  /**
   * A Redis URL (`redis://127.0.0.1:6379`): several chat processes that use
   * the same Redis join and stop each other's answers. Left out, answers live in this process.
   */
  redisUrl?: string | undefined;
  /**
   * Prefix of the Redis keys; processes share answers only with the same prefix.
   * @default "rivulet:llm-chat:"
   */
  keyPrefix?: string | undefined;
}

/** A run store, and what to print about it. */
export interface AnswerStore {
  store: RunStore;
  /** `memory (this process only)` or `redis redis://host:6379, keys rivulet:llm-chat:*`. */
  description: string;
}

/**
 * The embedded `memoryRunStore()` by default, or a `redisRunStore()` when a
 * Redis URL is given: Redis is asked once first, so that an unreachable one
 * is a clear error at startup rather than a page whose questions fail.
 * @throws {Error} when Redis does not answer, saying what to do.
 */
export async function createAnswerStore(options: AnswerStoreOptions = {}): Promise<AnswerStore> {
  if (!options.redisUrl) return { store: memoryRunStore(), description: "memory (this process only)" };
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const where = redactUrl(options.redisUrl);
  // Loaded only here, so that the in-memory default needs neither ioredis nor a Redis.
  const { redisRunStore } = await import("@rivulet/server/redis");
  // Quiet while probing (the error below says it once); then Redis errors the store recovers from are logged.
  let probing = true;
  const onError = (error: unknown): void => {
    if (!probing) console.warn(`[llm-chat] Redis at ${where}:`, error instanceof Error ? error.message : error);
  };
  const store = redisRunStore({ url: options.redisUrl, keyPrefix, onError });
  try {
    await store.lookup(PROBE_ID);
    probing = false;
  } catch (error) {
    await store.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Redis at ${where} did not answer (${reason}). Start one (redis-server), or leave REDIS_URL unset to keep answers in this process.`);
  }
  return { store, description: `redis ${where}, keys ${keyPrefix}*` };
}

/** The URL without its password, for printing. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href;
  } catch {
    return "(a URL that does not parse)";
  }
}
