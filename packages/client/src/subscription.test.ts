import { afterEach, describe, expect, it } from "vitest";
import { createClient, type ConnectionState } from "./index.js";
import { contract } from "./test-utils/contract.js";
import { collect, createServerPool, deferred, openStream, sendEnd, sendEvent } from "./test-utils/sse-server.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const at = new Date("2024-01-02T03:04:05.000Z");

/** A ticker that sends a price and a halt, then stays open until the client leaves. */
async function openTicker() {
  const server = await pool.start((_req, res) => {
    openStream(res);
    sendEvent(res, "price", { symbol: "ACME", price: 1, at });
    sendEvent(res, "halt", { reason: "lunch" });
  });
  const client = createClient(contract, { baseUrl: `${server.origin}/sse` });
  return { server, client };
}

describe(".events.<name>", () => {
  it("yields only that event's data", async () => {
    const server = await pool.start((_req, res) => {
      openStream(res);
      sendEvent(res, "price", { symbol: "ACME", price: 1, at });
      sendEvent(res, "halt", { reason: "lunch" });
      sendEvent(res, "price", { symbol: "ACME", price: 2, at });
      sendEnd(res);
    });
    const client = createClient(contract, { baseUrl: `${server.origin}/sse` });
    const sub = client.ticker({ symbol: "ACME" });
    expect(await collect(sub.events.price)).toStrictEqual([
      { symbol: "ACME", price: 1, at },
      { symbol: "ACME", price: 2, at },
    ]);
    expect(await collect(sub.events.halt)).toStrictEqual([{ reason: "lunch" }]);
    expect(Object.keys(sub.events).sort()).toStrictEqual(["halt", "price"]);
  });

  it("closes the connection on break", async () => {
    const { server, client } = await openTicker();
    for await (const price of client.ticker({ symbol: "ACME" }).events.price) {
      expect(price.price).toBe(1);
      break;
    }
    await server.requests[0]?.closed;
  });
});

describe("leaving a subscription closes its connection", () => {
  it("break out of for await: the server sees the socket close", async () => {
    const { server, client } = await openTicker();
    const received: string[] = [];
    for await (const event of client.ticker({ symbol: "ACME" })) {
      received.push(event.event);
      break;
    }
    expect(received).toStrictEqual(["price"]);
    expect(server.requests).toHaveLength(1);
    await server.requests[0]?.closed;
  });

  it("break closes the connection even with a fetch option that ignores signal", async () => {
    const server = await pool.start((_req, res) => {
      openStream(res);
      sendEvent(res, "halt", { reason: "lunch" });
    });
    const client = createClient(contract, {
      baseUrl: `${server.origin}/sse`,
      fetch: (url, init) => fetch(url, { ...init, signal: null }),
    });
    for await (const event of client.ticker({ symbol: "ACME" })) {
      expect(event.event).toBe("halt");
      break;
    }
    await server.requests[0]?.closed;
  });

  it("throw out of for await: the error is the consumer's and the socket closes", async () => {
    const { server, client } = await openTicker();
    const thrown = new Error("consumer failed");
    await expect(
      (async () => {
        for await (const _event of client.ticker({ symbol: "ACME" })) throw thrown;
      })(),
    ).rejects.toBe(thrown);
    await server.requests[0]?.closed;
  });

  it("sub.close() from another task ends the loop quietly and closes the socket", async () => {
    const { server, client } = await openTicker();
    const sub = client.ticker({ symbol: "ACME" });
    const secondEvent = deferred();
    const received: string[] = [];
    const loop = (async () => {
      for await (const event of sub) {
        received.push(event.event);
        if (received.length === 2) secondEvent.resolve();
      }
    })();
    // The server sends nothing more, so the loop is waiting on the socket when close() comes.
    await secondEvent.promise;
    sub.close();
    await expect(loop).resolves.toBeUndefined();
    expect(received).toStrictEqual(["price", "halt"]);
    await server.requests[0]?.closed;
  });

  it("an AbortSignal passed as signal ends the loop quietly and closes the socket", async () => {
    const { server, client } = await openTicker();
    const controller = new AbortController();
    const firstEvent = deferred();
    const received: string[] = [];
    const loop = (async () => {
      for await (const event of client.ticker({ symbol: "ACME" }, { signal: controller.signal })) {
        received.push(event.event);
        firstEvent.resolve();
      }
    })();
    await firstEvent.promise;
    controller.abort();
    await expect(loop).resolves.toBeUndefined();
    await server.requests[0]?.closed;
  });

  it("delivers no event after close(), not even ones that arrived in the same chunk", async () => {
    const server = await pool.start((_req, res) => {
      openStream(res);
      res.write("event: tick\ndata: 1\n\nevent: tick\ndata: 2\n\nevent: tick\ndata: 3\n\n");
    });
    const client = createClient(contract, { baseUrl: `${server.origin}/sse` });
    const sub = client.noInput();
    const received: number[] = [];
    for await (const event of sub) {
      received.push(event.data);
      sub.close();
    }
    expect(received).toStrictEqual([1]);
    await server.requests[0]?.closed;
  });

  it("delivers no event after the signal aborts, not even ones that arrived in the same chunk", async () => {
    const server = await pool.start((_req, res) => {
      openStream(res);
      res.write("event: tick\ndata: 1\n\nevent: tick\ndata: 2\n\nevent: tick\ndata: 3\n\n");
    });
    const client = createClient(contract, { baseUrl: `${server.origin}/sse` });
    const controller = new AbortController();
    const received: number[] = [];
    for await (const tick of client.noInput(undefined, { signal: controller.signal }).events.tick) {
      received.push(tick);
      controller.abort();
    }
    expect(received).toStrictEqual([1]);
    await server.requests[0]?.closed;
  });

  it("close() before the response arrives ends the loop quietly", async () => {
    const requested = deferred();
    const server = await pool.start(() => requested.resolve());
    const client = createClient(contract, { baseUrl: `${server.origin}/sse` });
    const sub = client.noInput();
    const loop = collect(sub);
    await requested.promise;
    sub.close();
    await expect(loop).resolves.toStrictEqual([]);
    await server.requests[0]?.closed;
  });

  it("an already aborted signal opens no connection", async () => {
    const { server, client } = await openTicker();
    const sub = client.ticker({ symbol: "ACME" }, { signal: AbortSignal.abort() });
    expect(await collect(sub)).toStrictEqual([]);
    const closed = client.noInput();
    closed.close();
    expect(await collect(closed.events.tick)).toStrictEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe("a long-lived caller signal", () => {
  it("holds no listener once each subscription's iteration is over", async () => {
    // Removing the per-iteration listener is what keeps finished subscriptions collectable.
    const { EventEmitter } = await import("node:events");
    const server = await pool.start((_req, res) => {
      openStream(res);
      sendEvent(res, "halt", { reason: "done" });
      sendEnd(res);
    });
    const client = createClient(contract, { baseUrl: `${server.origin}/sse` });
    const app = new AbortController();
    for (let i = 0; i < 20; i++) {
      const sub = client.ticker({ symbol: "ACME" }, { signal: app.signal });
      expect(await collect(sub)).toHaveLength(1);
      for await (const _ of sub.events.halt) break;
    }
    // A listener left per subscription would keep every one of them alive as long as the app's signal.
    expect(EventEmitter.getEventListeners(app.signal, "abort")).toHaveLength(0);
  });
});

/**
 * A `fetch` whose response body is `text` in one chunk and then stays open
 * until the client cancels it: every event of the text reaches the client in
 * one batch.
 */
function oneChunkFetch(text: string): { fetch: typeof fetch; cancelled: Promise<void>; requests: () => number } {
  const cancelled = deferred();
  let requests = 0;
  const fake: typeof fetch = async () => {
    requests++;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode(text)),
      cancel: () => cancelled.resolve(),
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  };
  return { fetch: fake, cancelled: cancelled.promise, requests: () => requests };
}

describe("an iteration that hands out a chunk's events one by one", () => {
  const chunk = "event: tick\ndata: 1\n\nevent: tick\ndata: 2\n\nevent: gossip\ndata: x\n\n";

  it("leaving after the first event of a chunk closes the connection and reads none of the rest", async () => {
    // The third event breaks the contract: reading it would throw INVALID_EVENT instead of ending quietly.
    const fake = oneChunkFetch(chunk);
    const states: ConnectionState[] = [];
    const client = createClient(contract, { baseUrl: "http://test.invalid/sse", fetch: fake.fetch, onStateChange: (s) => states.push(s) });
    const received: number[] = [];
    for await (const event of client.noInput()) {
      received.push(event.data);
      break;
    }
    expect(received).toStrictEqual([1]);
    await fake.cancelled;
    expect(states).toStrictEqual(["connecting", "open", "closed"]);
    expect(fake.requests()).toBe(1);
  });

  it("return() while a next() waits for the server ends both, closes the connection and reports closed once", async () => {
    const fake = oneChunkFetch("event: tick\ndata: 1\n\n");
    const states: ConnectionState[] = [];
    const client = createClient(contract, { baseUrl: "http://test.invalid/sse", fetch: fake.fetch, onStateChange: (s) => states.push(s) });
    const iterator = client.noInput()[Symbol.asyncIterator]();
    expect(await iterator.next()).toStrictEqual({ done: false, value: { event: "tick", data: 1, id: "" } });
    // Nothing more comes: this one waits on the socket.
    const waiting = iterator.next();
    expect(await iterator.return?.()).toStrictEqual({ done: true, value: undefined });
    expect(await waiting).toStrictEqual({ done: true, value: undefined });
    await fake.cancelled;
    expect(states).toStrictEqual(["connecting", "open", "closed"]);
    expect(await iterator.next()).toStrictEqual({ done: true, value: undefined });
  });

  it("throw(error), as a yield* that delegates to it passes on, closes the connection and rejects with that error", async () => {
    const fake = oneChunkFetch(chunk);
    const states: ConnectionState[] = [];
    const client = createClient(contract, { baseUrl: "http://test.invalid/sse", fetch: fake.fetch, onStateChange: (s) => states.push(s) });
    const iterator = client.noInput()[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toStrictEqual({ event: "tick", data: 1, id: "" });
    const thrown = new Error("the caller's");
    await expect(iterator.throw?.(thrown)).rejects.toBe(thrown);
    await fake.cancelled;
    expect(states).toStrictEqual(["connecting", "open", "closed"]);
    expect(await iterator.next()).toStrictEqual({ done: true, value: undefined });
  });

  it("answers next() calls made at once in order, each with its own event, then the error after them", async () => {
    const fake = oneChunkFetch(chunk);
    const client = createClient(contract, { baseUrl: "http://test.invalid/sse", fetch: fake.fetch });
    const iterator = client.noInput()[Symbol.asyncIterator]();
    const [first, second, third] = [iterator.next(), iterator.next(), iterator.next()];
    expect(await first).toStrictEqual({ done: false, value: { event: "tick", data: 1, id: "" } });
    expect(await second).toStrictEqual({ done: false, value: { event: "tick", data: 2, id: "" } });
    await expect(third).rejects.toMatchObject({ code: "INVALID_EVENT" });
    await fake.cancelled;
    expect(await iterator.next()).toStrictEqual({ done: true, value: undefined });
  });
});
