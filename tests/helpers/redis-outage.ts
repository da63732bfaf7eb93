/**
 * Helpers for the Redis outage tests: the persistence settings of a private
 * redis-server (started with `startPrivateRedis` from scale-redis.ts), its
 * data directory, a look at one stream's length, and a `fetch` that records
 * what the server answered to each of the client's requests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** Append-only file, fsynced once a second: Redis's recommended durable setting. */
export function aofArgs(dir: string): string[] {
  return ["--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec"];
}

/** A fresh directory for a redis-server's data; `remove` deletes it with its files. */
export async function dataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "rivulet-redis-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `XLEN key` on the Redis at `url`, on a connection of its own that is closed at once. */
export async function streamLength(url: string, key: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    return await client.xlen(key);
  } finally {
    client.disconnect();
  }
}

/** One response the client got: its status, and the `code` of a JSON error body. */
export interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

/**
 * A `fetch` for the client that records every response it hands over. An
 * error body is read from a clone, so the client still reads it whole.
 */
export function answerRecordingFetch(): { fetch: typeof fetch; answers: Answer[] } {
  const answers: Answer[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const answer: Answer = { status: response.status, code: undefined, retryAfter: response.headers.get("retry-after") };
    if (response.headers.get("content-type")?.startsWith("application/json")) {
      const body = (await response.clone().json()) as { error?: { code?: string } };
      answer.code = body.error?.code;
    }
    answers.push(answer);
    return response;
  };
  return { fetch: recording, answers };
}
