/**
 * Two server processes sharing one Redis, behind a "load balancer" (a TCP
 * proxy whose upstream the test switches): the typed client subscribes on
 * process A, events are published on process B, the client's connection is
 * cut and its reconnection lands on B with `Last-Event-ID`. It must get
 * every event exactly once, in order: the ones published while it was away
 * from B's history (Redis), the later ones live.
 */
import { createClient, type ConnectionState } from "@rivulet/client";
import { afterAll, describe, expect, it } from "vitest";
import { startScaleChild, type ScaleChild } from "../helpers/scale-child.js";
import { contract } from "../helpers/scale-contract.js";
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../helpers/scale-redis.js";
import { until } from "../helpers/sse-socket.js";
import { startSwitchProxy, type SwitchProxy } from "../helpers/switch-proxy.js";

const reachable = await checkRedis("the two-process resume test");

const children: ScaleChild[] = [];
const proxies: SwitchProxy[] = [];
const closers: Array<() => void> = [];
const prefix = uniquePrefix("two-processes");
afterAll(async () => {
  for (const close of closers) close();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await Promise.all(children.map((child) => child.kill()));
  if (reachable) await deleteKeys(prefix);
});

interface Received {
  n: number;
  id: string;
  at: Date;
}

describe.skipIf(!reachable)("two server processes sharing Redis", () => {
  it("a client on A, events published on B, the connection cut: it resumes on B with Last-Event-ID, nothing lost, nothing twice", async () => {
    const env = { BROKER: "redis", REDIS_URL, KEY_PREFIX: prefix };
    const [a, b] = await Promise.all([startScaleChild(env), startScaleChild(env)]);
    children.push(a, b);
    const topic = "lobby";
    // A's reader of the topic runs before the client subscribes there (see warmTopic).
    await a.control("/control/warm", { topic });
    const proxy = await startSwitchProxy(a.port);
    proxies.push(proxy);

    const states: ConnectionState[] = [];
    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      idleTimeoutMs: 10_000,
    });
    const subscription = client.chat.room({ room: topic }, { onStateChange: (state) => states.push(state) });
    closers.push(() => subscription.close());
    const received: Received[] = [];
    let failure: unknown;
    const reading = (async () => {
      for await (const event of subscription) received.push({ n: event.data.n, id: event.id, at: event.data.at });
    })().catch((error: unknown) => (failure = error));

    const publishOnB = async (from: number, count: number): Promise<string[]> =>
      (await b.control<{ ids: string[] }>("/control/publish", { topic, from, count })).ids;
    const waitFor = (n: number, what: string): Promise<void> =>
      until(() => received.length >= n || failure !== undefined, what);

    await until(() => states.includes("open"), "the client's connection to A");
    const ids = await publishOnB(1, 5);
    await waitFor(5, "events 1–5, published on B, through A");

    // The "load balancer" now sends new connections to B; the connection to A breaks.
    proxy.hold();
    proxy.target = b.port;
    proxy.cut();
    await until(() => proxy.waiting === 1, "the client's reconnection");
    // Published while the client is away: only B's history (Redis) can give them to it.
    ids.push(...(await publishOnB(6, 5)));
    proxy.release();
    await waitFor(10, "events 6–10 from the history, on B");
    ids.push(...(await publishOnB(11, 5)));
    // One more behind the rest: a duplicate of any of them would arrive before it, on the one connection.
    ids.push(...(await publishOnB(16, 1)));
    await waitFor(16, "events 11–16, live on B");
    subscription.close();
    await reading;

    expect(failure).toBeUndefined();
    expect(received.map((event) => event.n)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(received.map((event) => event.id)).toEqual(ids);
    expect(received.every((event) => event.at instanceof Date)).toBe(true);
    // The first connection went to A, the second to B, resuming after event 5.
    expect(proxy.connections.map((connection) => connection.target)).toEqual([a.port, b.port]);
    expect(proxy.connections[0]?.request).not.toMatch(/last-event-id/i);
    expect(proxy.connections[1]?.request).toMatch(new RegExp(`^last-event-id: ${ids[4]}\\r$`, "im"));
    expect(states).toEqual(["connecting", "open", "reconnecting", "open", "closed"]);
  });
});
