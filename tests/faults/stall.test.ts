import type http from "node:http";
import { performance } from "node:perf_hooks";
import { createClient, type ConnectionState } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "../helpers/contract.js";
import { createServerPool, deferred } from "../helpers/servers.js";

const IDLE_TIMEOUT_MS = 300;

const pool = createServerPool();
afterEach(() => pool.closeAll());

/** What the server saw of one request's connection. */
interface Seen {
  lastEventId: string | undefined;
  /** When the server last wrote to it (performance.now()). */
  lastWriteAt: number;
  /** When its socket closed, and whether the server had ended the response by then. */
  closed: Promise<{ at: number; endedByServer: boolean }>;
}

/** Wraps a listener to record, per request, its Last-Event-ID, its last write and its socket's close. */
function watch(listener: http.RequestListener): { listener: http.RequestListener; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    listener: (req, res) => {
      const closed = deferred<{ at: number; endedByServer: boolean }>();
      const entry: Seen = {
        lastEventId: req.headers["last-event-id"] as string | undefined,
        lastWriteAt: performance.now(),
        closed: closed.promise,
      };
      seen.push(entry);
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        entry.lastWriteAt = performance.now();
        return write(chunk, ...rest);
      }) as typeof res.write;
      req.socket.once("close", () => closed.resolve({ at: performance.now(), endedByServer: res.writableEnded }));
      listener(req, res);
    },
  };
}

function stateLog(): { states: ConnectionState[]; reconnectingAt: number[]; onStateChange: (state: ConnectionState) => void } {
  const states: ConnectionState[] = [];
  const reconnectingAt: number[] = [];
  return {
    states,
    reconnectingAt,
    onStateChange: (state) => {
      states.push(state);
      if (state === "reconnecting") reconnectingAt.push(performance.now());
    },
  };
}

describe(`a server that stops writing but keeps the socket open (idleTimeoutMs ${IDLE_TIMEOUT_MS})`, () => {
  it("Rivulet handler stuck on a promise: the client drops the socket, reconnects and the second connection finishes", async () => {
    const signals: AbortSignal[] = [];
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* ({ lastEventId, signal }) {
        signals.push(signal);
        const from = lastEventId === undefined ? 0 : Number(lastEventId) + 1;
        for (let n = from; n < 10; n++) {
          yield { event: "tick", id: String(n), data: n };
          // The first connection stalls after five events: no events, no keep-alive, socket open.
          if (lastEventId === undefined && n === 4) await new Promise<never>(() => {});
        }
      },
    });
    const { listener, seen } = watch(router.node({ prefix: "/sse", keepAliveMs: false }));
    const origin = await pool.start(listener);
    const log = stateLog();
    const client = createClient(contract, {
      baseUrl: `${origin}/sse`,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: log.onStateChange,
    });

    const received: number[] = [];
    for await (const event of client.feed()) received.push(event.data);

    expect(received).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(log.states).toStrictEqual(["connecting", "open", "reconnecting", "open", "closed"]);
    expect(seen.map((s) => s.lastEventId)).toStrictEqual([undefined, "4"]);
    const stalled = seen[0] as Seen;
    const { at: closedAt, endedByServer } = await stalled.closed;
    const silence = closedAt - stalled.lastWriteAt;
    console.log(
      `[faults/stall] Rivulet server: last write → client gave up ${((log.reconnectingAt[0] ?? 0) - stalled.lastWriteAt).toFixed(0)} ms, ` +
        `→ server saw close ${silence.toFixed(0)} ms`,
    );
    // The client closed it (the server never ended that response), and only after the idle timeout.
    expect(endedByServer).toBe(false);
    expect(silence).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 10);
    expect(silence).toBeLessThan(IDLE_TIMEOUT_MS + 1_500);
    expect(signals[0]?.aborted).toBe(true);
  });

  it("hand-written server stalling in the middle of an event: the partial event is dropped, then sent again whole", async () => {
    const { listener, seen } = watch((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      if (req.headers["last-event-id"] === undefined) {
        res.write("id: 0\nevent: tick\ndata: 0\n\nid: 1\nevent: tick\ndata: 1\n\nid: 2\nevent: tick\nda");
        return; // and never another byte
      }
      const from = Number(req.headers["last-event-id"]) + 1;
      for (let n = from; n < 5; n++) res.write(`id: ${n}\nevent: tick\ndata: ${n}\n\n`);
      res.end("event: rivulet:end\ndata:\n\n");
    });
    const origin = await pool.start(listener);
    const log = stateLog();
    const client = createClient(contract, {
      baseUrl: `${origin}/sse`,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: log.onStateChange,
    });

    const received: number[] = [];
    for await (const tick of client.feed().events.tick) received.push(tick);

    expect(received).toStrictEqual([0, 1, 2, 3, 4]);
    expect(seen.map((s) => s.lastEventId)).toStrictEqual([undefined, "1"]);
    const { at: closedAt, endedByServer } = await (seen[0] as Seen).closed;
    expect(endedByServer).toBe(false);
    expect(closedAt - (seen[0] as Seen).lastWriteAt).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 10);
    expect(log.states).toStrictEqual(["connecting", "open", "reconnecting", "open", "closed"]);
  });

  it("a server that accepts the request but never answers: the client gives up on it and asks again", async () => {
    const { listener, seen } = watch((req, res) => {
      if (req.headers["x-attempt"] === "1") return; // no status line, no headers, ever
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end("id: 0\nevent: tick\ndata: 7\n\nevent: rivulet:end\ndata:\n\n");
    });
    const origin = await pool.start(listener);
    let attempt = 0;
    const log = stateLog();
    const client = createClient(contract, {
      baseUrl: `${origin}/sse`,
      headers: () => ({ "x-attempt": String(++attempt) }),
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: log.onStateChange,
    });

    const received: number[] = [];
    for await (const event of client.feed()) received.push(event.data);

    expect(received).toStrictEqual([7]);
    expect(seen).toHaveLength(2);
    const { at: closedAt, endedByServer } = await (seen[0] as Seen).closed;
    expect(endedByServer).toBe(false);
    expect(closedAt - (seen[0] as Seen).lastWriteAt).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 10);
    // Never opened, so it went from connecting straight to reconnecting.
    expect(log.states).toStrictEqual(["connecting", "reconnecting", "open", "closed"]);
  });

  it("a consumer slower than the idle timeout is not taken for a dead connection (nor sent events twice)", async () => {
    // No ids: a needless reconnect would start the stream over and deliver events twice.
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* () {
        for (let n = 0; n < 4; n++) {
          yield { event: "tick", data: n };
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
    });
    const { listener, seen } = watch(router.node({ prefix: "/sse", keepAliveMs: false }));
    const origin = await pool.start(listener);
    const log = stateLog();
    const client = createClient(contract, {
      baseUrl: `${origin}/sse`,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: log.onStateChange,
    });

    const received: number[] = [];
    for await (const event of client.feed()) {
      received.push(event.data);
      if (received.length > 8) break; // started over and over: fail now, not at the test timeout
      // Holds each event longer than the idle timeout; the server's bytes wait in the socket meanwhile.
      if (event.data < 2) await new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS + 100));
    }

    expect(received).toStrictEqual([0, 1, 2, 3]);
    expect(seen).toHaveLength(1);
    expect(log.states).toStrictEqual(["connecting", "open", "closed"]);
  });

  it("keep-alive comments are data: a quiet stream with pings is not taken for a dead one", async () => {
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* () {
        yield { event: "tick", id: "0", data: 0 };
        // Three idle timeouts without an event; only the pings every 100 ms keep it alive.
        await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_TIMEOUT_MS));
        yield { event: "tick", id: "1", data: 1 };
      },
    });
    const { listener, seen } = watch(router.node({ prefix: "/sse", keepAliveMs: 100 }));
    const origin = await pool.start(listener);
    const log = stateLog();
    const client = createClient(contract, {
      baseUrl: `${origin}/sse`,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: log.onStateChange,
    });

    const received: number[] = [];
    for await (const event of client.feed()) received.push(event.data);

    expect(received).toStrictEqual([0, 1]);
    expect(seen).toHaveLength(1);
    expect(log.states).toStrictEqual(["connecting", "open", "closed"]);
  });
});
