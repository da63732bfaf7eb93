/**
 * Issue 11: a `codec: "text"` stream relayed through a channel. A broker keeps
 * every stream's data as superjson (what another process reads back), and
 * each adapter writes it in the stream's own codec: the sentences arrive as
 * bare `data:` lines, from the memory broker and from Redis alike.
 */
import { createChannel, implement, memoryBroker, type Broker } from "@rivulet/server";
import { redisBroker } from "@rivulet/server/redis";
import { defineContract, stream } from "@rivulet/shared";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../helpers/scale-redis.js";
import { createServerPool, fetchToNode } from "../helpers/servers.js";

const reachable = await checkRedis("the redisBroker case of the text-codec channel test");

const pool = createServerPool();
const cleanups: Array<() => Promise<void>> = [];
const prefixes: string[] = [];
afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(prefix);
});

const contract = defineContract({
  article: stream({ events: { message: z.string() }, codec: "text", end: "close" }),
});

const SENTENCES = ["Hello, this is the first sentence.", "And a second:\non two lines."];

function brokerOf(kind: "memory" | "redis"): Broker {
  if (kind === "memory") return memoryBroker();
  const keyPrefix = uniquePrefix("dialect-channel");
  prefixes.push(keyPrefix);
  return redisBroker({ url: REDIS_URL, keyPrefix, onError: () => {} });
}

const cases = [
  ["memory", "router.node"],
  ["memory", "router.fetchHandler"],
  ["redis", "router.node"],
  ["redis", "router.fetchHandler"],
] as const;

describe.each(cases)('a codec "text" stream through a channel (%s broker, %s)', (kind, adapter) => {
  it.skipIf(kind === "redis" && !reachable)("publishes strings and writes them as bare data: lines", async () => {
    const broker = brokerOf(kind);
    cleanups.push(() => broker.close());
    const sentences = createChannel(broker, contract.article);
    // Published before anyone listens, and replayed from the history: no race with the subscription.
    const before = await sentences.publish("t", { event: "message", data: "not this one" });
    const ids: string[] = [];
    for (const data of SENTENCES) ids.push(await sentences.publish("t", { event: "message", data }));
    await expect(sentences.publish("t", { event: "message", data: 7 as unknown as string })).rejects.toMatchObject({
      code: "INVALID_EVENT",
    });

    const router = implement(contract, {
      article: async function* ({ signal }) {
        let n = 0;
        for await (const message of sentences.subscribe("t", { lastEventId: before, signal })) {
          yield message;
          if (++n === SENTENCES.length) return;
        }
      },
    });
    const listener = adapter === "router.node" ? router.node({ prefix: "/sse" }) : fetchToNode(router.fetchHandler({ prefix: "/sse" }));
    const base = await pool.start(listener);
    expect(await (await fetch(`${base}/sse/article`)).text()).toBe(
      `id: ${ids[0]}\ndata: Hello, this is the first sentence.\n\n` + `id: ${ids[1]}\ndata: And a second:\ndata: on two lines.\n\n`,
    );
  });
});
