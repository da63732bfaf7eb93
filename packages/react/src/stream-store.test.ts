import { RivuletError } from "@rivulet/client";
import { afterEach, describe, expect, it } from "vitest";
import { createStreamStore, type StreamStore } from "./stream-store.js";
import { createFeedServers, settle } from "./test-utils/serve.js";
import type { StreamSnapshot } from "./types.js";

const servers = createFeedServers();
afterEach(() => servers.closeAll());

/** Listens to a store: every snapshot it was told of, and a wait for one that matches. */
function watch<E>(store: StreamStore<E>) {
  const seen: StreamSnapshot<E>[] = [];
  const waiters = new Set<() => void>();
  const unsubscribe = store.subscribe(() => {
    seen.push(store.getSnapshot());
    for (const waiter of [...waiters]) waiter();
  });
  return {
    seen,
    unsubscribe,
    /** Resolves with the first snapshot (the current one, or one to come) that `predicate` accepts. */
    until(predicate: (snapshot: StreamSnapshot<E>) => boolean): Promise<StreamSnapshot<E>> {
      return new Promise((resolve) => {
        const check = (): void => {
          const snapshot = store.getSnapshot();
          if (!predicate(snapshot)) return;
          waiters.delete(check);
          resolve(snapshot);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** The states a store went through, each once in a row. */
const statesOf = (seen: StreamSnapshot<unknown>[]): string[] =>
  seen.map((snapshot) => snapshot.state).filter((state, i, all) => state !== all[i - 1]);

const ticksOf = (snapshot: StreamSnapshot<{ event: string; data: unknown }>): unknown[] =>
  snapshot.events.map((event) => (event.event === "tick" ? (event.data as { n: number }).n : event.data));

describe("createStreamStore", () => {
  it("opens nothing until a listener comes, then one connection a microtask later", async () => {
    const { client, feeds, fetches } = await servers.start();
    let opened = 0;
    const store = createStreamStore({
      open: (call) => {
        opened++;
        return client.feed({ room: "a" }, call);
      },
      bufferSize: 10,
      lastEventId: undefined,
    });
    await settle();
    expect(opened).toBe(0);
    expect(fetches).toStrictEqual([]);
    expect(store.getSnapshot().state).toBe("idle");

    const watcher = watch(store);
    // Not yet: the start waits for a microtask, so that StrictMode's unsubscribe can cancel it.
    expect(opened).toBe(0);
    await feeds.until(() => feeds.connections.length === 1);
    expect(opened).toBe(1);
    expect(fetches).toHaveLength(1);
    watcher.unsubscribe();
  });

  it("subscribe, unsubscribe, subscribe in one go (StrictMode): exactly one connection", async () => {
    const { client, feeds, fetches } = await servers.start();
    const states: string[] = [];
    let opened = 0;
    const store = createStreamStore({
      open: (call) => {
        opened++;
        return client.feed({ room: "strict" }, { ...call, onStateChange: (state) => (states.push(state), call.onStateChange?.(state)) });
      },
      bufferSize: 10,
      lastEventId: undefined,
    });
    store.subscribe(() => undefined)();
    const watcher = watch(store);
    await feeds.until(() => feeds.connections.length === 1);
    feeds.connections[0]?.tick();
    await watcher.until((snapshot) => snapshot.events.length === 1);
    await settle();
    // The first subscription was never made: not a request aborted in time, no call at all.
    expect(opened).toBe(1);
    expect(states).toStrictEqual(["connecting", "open"]);
    expect(fetches).toHaveLength(1);
    expect(feeds.connections).toHaveLength(1);
    watcher.unsubscribe();
  });

  it("gives the events in order with the latest as last, and the states up to closed", async () => {
    const { client, feeds } = await servers.start();
    const store = createStreamStore({ open: (call) => client.feed({ room: "a" }, call), bufferSize: 10, lastEventId: undefined });
    expect(store.getSnapshot()).toBe(store.getSnapshot());
    const watcher = watch(store);
    await feeds.until(() => feeds.connections.length === 1);
    const connection = feeds.connections[0];
    connection?.tick(2);
    connection?.note();
    connection?.tick();
    const got = await watcher.until((snapshot) => snapshot.events.length === 4);
    expect(ticksOf(got)).toStrictEqual([1, 2, "note after 2", 3]);
    expect(got.last).toBe(got.events[3]);
    expect(got.events[0]).toStrictEqual({ event: "tick", id: "1", data: { room: "a", n: 1, at: new Date(Date.UTC(2024, 0, 1, 0, 0, 1)) } });
    // An event without an ID keeps the last ID, as the client gives it.
    expect(got.events.map((event) => event.id)).toStrictEqual(["1", "2", "2", "3"]);
    // Unchanged, the snapshot is the same object: what useSyncExternalStore needs.
    expect(store.getSnapshot()).toBe(got);

    connection?.end();
    const closed = await watcher.until((snapshot) => snapshot.state === "closed");
    expect(closed.error).toBeUndefined();
    expect(closed.events).toBe(got.events);
    expect(statesOf(watcher.seen)).toStrictEqual(["connecting", "open", "closed"]);
    // Each notification carried a new snapshot.
    expect(new Set(watcher.seen).size).toBe(watcher.seen.length);
    watcher.unsubscribe();
  });

  it("keeps at most bufferSize events, the latest", async () => {
    const { client, feeds } = await servers.start();
    const store = createStreamStore({ open: (call) => client.feed({ room: "a" }, call), bufferSize: 5, lastEventId: undefined });
    const watcher = watch(store);
    await feeds.until(() => feeds.connections.length === 1);
    feeds.connections[0]?.tick(20);
    const got = await watcher.until((snapshot) => snapshot.last?.id === "20");
    expect(ticksOf(got)).toStrictEqual([16, 17, 18, 19, 20]);
    expect(Math.max(...watcher.seen.map((snapshot) => snapshot.events.length))).toBe(5);
    expect(watcher.seen.filter((snapshot) => snapshot.last !== undefined)).toHaveLength(20);
    watcher.unsubscribe();
  });

  it("keeps one event with bufferSize 1", async () => {
    const { client, feeds } = await servers.start();
    const store = createStreamStore({ open: (call) => client.feed({ room: "a" }, call), bufferSize: 1, lastEventId: undefined });
    const watcher = watch(store);
    await feeds.until(() => feeds.connections.length === 1);
    feeds.connections[0]?.tick(3);
    const got = await watcher.until((snapshot) => snapshot.last?.id === "3");
    expect(ticksOf(got)).toStrictEqual([3]);
    watcher.unsubscribe();
  });

  it("stops when the last listener leaves: the server's generator runs its finally", async () => {
    const { client, feeds } = await servers.start();
    const store = createStreamStore({ open: (call) => client.feed({ room: "a" }, call), bufferSize: 10, lastEventId: undefined });
    const first = watch(store);
    const second = watch(store);
    await feeds.until(() => feeds.connections.length === 1);
    feeds.connections[0]?.tick();
    await first.until((snapshot) => snapshot.events.length === 1);
    first.unsubscribe();
    // One listener is left: still running.
    feeds.connections[0]?.tick();
    await second.until((snapshot) => snapshot.events.length === 2);
    expect(feeds.connections[0]?.finished).toBe(false);

    const told = second.seen.length;
    second.unsubscribe();
    await feeds.until(() => feeds.connections[0]?.finished === true);
    expect(store.getSnapshot().state).toBe("idle");
    expect(second.seen).toHaveLength(told);
    expect(feeds.connections).toHaveLength(1);
  });

  it("starts again when a listener comes back, after the last event's ID, keeping the events", async () => {
    const { client, feeds, fetches } = await servers.start();
    const store = createStreamStore({ open: (call) => client.feed({ room: "a" }, call), bufferSize: 10, lastEventId: undefined });
    const first = watch(store);
    await feeds.until(() => feeds.connections.length === 1);
    feeds.connections[0]?.tick(3);
    await first.until((snapshot) => snapshot.events.length === 3);
    first.unsubscribe();
    await feeds.until(() => feeds.connections[0]?.finished === true);

    const again = watch(store);
    await feeds.until(() => feeds.connections.length === 2);
    expect(feeds.connections[1]?.lastEventId).toBe("3");
    feeds.connections[1]?.tick();
    const got = await again.until((snapshot) => snapshot.events.length === 4);
    expect(ticksOf(got)).toStrictEqual([1, 2, 3, 4]);
    expect(statesOf(again.seen)).toStrictEqual(["connecting", "open"]);
    expect(fetches).toHaveLength(2);
    again.unsubscribe();
  });

  it("resumes after lastEventId on its first start", async () => {
    const { client, feeds } = await servers.start();
    const store = createStreamStore({ open: (call) => client.feed({ room: "a" }, call), bufferSize: 10, lastEventId: "7" });
    const watcher = watch(store);
    await feeds.until(() => feeds.connections.length === 1);
    expect(feeds.connections[0]?.lastEventId).toBe("7");
    feeds.connections[0]?.tick();
    const got = await watcher.until((snapshot) => snapshot.events.length === 1);
    expect(ticksOf(got)).toStrictEqual([8]);
    watcher.unsubscribe();
  });

  it("does not start a stream that ended again", async () => {
    const { client, fetches } = await servers.start();
    const store = createStreamStore({ open: (call) => client.clock(undefined, call), bufferSize: 10, lastEventId: undefined });
    const first = watch(store);
    const ended = await first.until((snapshot) => snapshot.state === "closed");
    expect(ended.events.map((event) => event.data)).toStrictEqual([1, 2, 3]);
    first.unsubscribe();
    const again = watch(store);
    await settle();
    expect(fetches).toHaveLength(1);
    expect(store.getSnapshot()).toBe(ended);
    again.unsubscribe();
  });

  it("a refusal: closed, with the server's RivuletError, and not started again", async () => {
    const { client, fetches } = await servers.start();
    const store = createStreamStore({ open: (call) => client.feed({ room: "" }, call), bufferSize: 10, lastEventId: undefined });
    const watcher = watch(store);
    const failed = await watcher.until((snapshot) => snapshot.state === "closed");
    expect(failed.error).toBeInstanceOf(RivuletError);
    expect(failed.error?.code).toBe("INVALID_INPUT");
    expect(failed.error?.status).toBe(400);
    expect(failed.events).toStrictEqual([]);
    // "closed" comes once, with the error: no snapshot has one without the other.
    expect(watcher.seen.filter((snapshot) => snapshot.state === "closed")).toStrictEqual([failed]);
    watcher.unsubscribe();
    watch(store).unsubscribe();
    await settle();
    expect(fetches).toHaveLength(1);
  });

  it("an error from the caller's own code keeps its message, as a RivuletError with it as cause", async () => {
    const expired = new Error("token expired");
    const { client, fetches } = await servers.start({
      headers: () => {
        throw expired;
      },
    });
    const store = createStreamStore({ open: (call) => client.feed({ room: "a" }, call), bufferSize: 10, lastEventId: undefined });
    const watcher = watch(store);
    const failed = await watcher.until((snapshot) => snapshot.state === "closed");
    expect(failed.error).toBeInstanceOf(RivuletError);
    expect(failed.error?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(failed.error?.message).toBe("token expired");
    expect(failed.error?.cause).toBe(expired);
    expect(fetches).toStrictEqual([]);
    watcher.unsubscribe();
  });

  it("a value thrown that is not an Error: its text as the message", async () => {
    const store = createStreamStore<{ id: string }>({
      open: () => {
        throw "no stream today";
      },
      bufferSize: 10,
      lastEventId: undefined,
    });
    const watcher = watch(store);
    const failed = await watcher.until((snapshot) => snapshot.state === "closed");
    expect(failed.error).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "no stream today", cause: "no stream today" });
    watcher.unsubscribe();
  });
});
