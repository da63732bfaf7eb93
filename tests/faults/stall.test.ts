import type http from "node:http";
import { createClient, type ConnectionState } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { contract } from "../helpers/contract.js";
import { recordingFetch, until, useFakeClock, type FetchAttempt } from "../helpers/fake-clock.js";
import { createServerPool, deferred } from "../helpers/servers.js";

/**
 * The client's idle timeout, on a fake clock: what the tests check is when
 * the client gives up, to the millisecond, and that cannot depend on how busy
 * the machine is. Sockets stay real; the clock moves only when a test says so.
 */
const IDLE_TIMEOUT_MS = 300;
/** The client's longest wait before a reconnection: advancing by it always brings the next attempt. */
const MAX_DELAY_MS = 50;

const pool = createServerPool();
beforeEach(useFakeClock);
afterEach(async () => {
  vi.useRealTimers();
  await pool.closeAll();
});

/** What the server saw of one request's connection. */
interface Seen {
  lastEventId: string | undefined;
  /** Body bytes the server has written to it. */
  bytesWritten: number;
  /** Whether the server had ended the response when its socket closed. */
  closed: Promise<{ endedByServer: boolean }>;
}

/** Wraps a listener to record, per request, its Last-Event-ID, the bytes written to it and its socket's close. */
function watch(listener: http.RequestListener): { listener: http.RequestListener; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    listener: (req, res) => {
      const closed = deferred<{ endedByServer: boolean }>();
      const entry: Seen = {
        lastEventId: req.headers["last-event-id"] as string | undefined,
        bytesWritten: 0,
        closed: closed.promise,
      };
      seen.push(entry);
      const count = (chunk: unknown): void => {
        if (typeof chunk === "string") entry.bytesWritten += Buffer.byteLength(chunk);
        else if (chunk instanceof Uint8Array) entry.bytesWritten += chunk.byteLength;
      };
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        count(chunk);
        return write(chunk, ...rest);
      }) as typeof res.write;
      const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => http.ServerResponse;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk !== "function") count(chunk);
        return end(chunk, ...rest);
      }) as typeof res.end;
      req.socket.once("close", () => closed.resolve({ endedByServer: res.writableEnded }));
      listener(req, res);
    },
  };
}

/**
 * Waits until connection `n` is quiet: the server has it and the client has
 * read every byte the server wrote to it. All that happened at the fake
 * clock's current instant, so the client's idle timer for it runs from now,
 * and the test knows to the millisecond how long the connection is silent.
 */
function quiet(seen: Seen[], attempts: FetchAttempt[], n: number): Promise<void> {
  return until(
    () => seen[n] !== undefined && attempts[n] !== undefined && attempts[n].bytesRead === seen[n].bytesWritten,
    `connection ${n} to be quiet`,
  );
}

/**
 * Advances the clock to 1 ms short of the idle timeout, then to it: the
 * client must give up on connection `n` exactly then, not before.
 */
function expectGivenUpAfterIdleTimeout(attempts: FetchAttempt[], n: number): void {
  const signal = (attempts[n] as FetchAttempt).signal;
  vi.advanceTimersByTime(IDLE_TIMEOUT_MS - 1);
  expect(signal.aborted, `connection ${n} dropped before the idle timeout`).toBe(false);
  vi.advanceTimersByTime(1);
  expect(signal.aborted, `connection ${n} kept past the idle timeout`).toBe(true);
}

/** Lets the client's backoff run out, once it is waiting to reconnect. */
async function letReconnect(states: ConnectionState[]): Promise<void> {
  await until(() => states.includes("reconnecting"), "the client to wait for its reconnection");
  await vi.advanceTimersByTimeAsync(MAX_DELAY_MS);
}

/** A client of the server at `origin` that fetches through `fetch` and logs its states into `states`. */
function clientOf(
  origin: string,
  options: { fetch: typeof globalThis.fetch; states: ConnectionState[]; headers?: () => Record<string, string> },
) {
  const { fetch, states, headers } = options;
  return createClient(contract, {
    baseUrl: `${origin}/sse`,
    fetch,
    ...(headers && { headers }),
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    reconnect: { initialDelayMs: 5, maxDelayMs: MAX_DELAY_MS },
    onStateChange: (state) => states.push(state),
  });
}

describe(`a server that stops writing but keeps the socket open (idleTimeoutMs ${IDLE_TIMEOUT_MS})`, () => {
  it("Rivulet handler stuck on a promise: the client drops the socket after idleTimeoutMs, reconnects and the second connection finishes", async () => {
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
    const net = recordingFetch();
    const states: ConnectionState[] = [];
    const client = clientOf(origin, { fetch: net.fetch, states });

    const received: number[] = [];
    const reading = (async () => {
      for await (const event of client.feed()) received.push(event.data);
    })();
    await until(() => received.length === 5, "the five events before the stall");
    await quiet(seen, net.attempts, 0);
    expectGivenUpAfterIdleTimeout(net.attempts, 0);
    await letReconnect(states);
    await reading;

    expect(received).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(states).toStrictEqual(["connecting", "open", "reconnecting", "open", "closed"]);
    expect(seen.map((s) => s.lastEventId)).toStrictEqual([undefined, "4"]);
    // The client closed it: the server never ended that response.
    expect(await (seen[0] as Seen).closed).toStrictEqual({ endedByServer: false });
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
    const net = recordingFetch();
    const states: ConnectionState[] = [];
    const client = clientOf(origin, { fetch: net.fetch, states });

    const received: number[] = [];
    const reading = (async () => {
      for await (const tick of client.feed().events.tick) received.push(tick);
    })();
    await until(() => received.length === 2, "the two whole events before the stall");
    await quiet(seen, net.attempts, 0);
    expectGivenUpAfterIdleTimeout(net.attempts, 0);
    await letReconnect(states);
    await reading;

    expect(received).toStrictEqual([0, 1, 2, 3, 4]);
    expect(seen.map((s) => s.lastEventId)).toStrictEqual([undefined, "1"]);
    expect(await (seen[0] as Seen).closed).toStrictEqual({ endedByServer: false });
    expect(states).toStrictEqual(["connecting", "open", "reconnecting", "open", "closed"]);
  });

  it("a server that accepts the request but never answers: the client gives up on it after idleTimeoutMs and asks again", async () => {
    const { listener, seen } = watch((req, res) => {
      if (req.headers["x-attempt"] === "1") return; // no status line, no headers, ever
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end("id: 0\nevent: tick\ndata: 7\n\nevent: rivulet:end\ndata:\n\n");
    });
    const origin = await pool.start(listener);
    const net = recordingFetch();
    const states: ConnectionState[] = [];
    let attempt = 0;
    const client = clientOf(origin, { fetch: net.fetch, states, headers: () => ({ "x-attempt": String(++attempt) }) });

    const received: number[] = [];
    const reading = (async () => {
      for await (const event of client.feed()) received.push(event.data);
    })();
    await quiet(seen, net.attempts, 0);
    expectGivenUpAfterIdleTimeout(net.attempts, 0);
    await letReconnect(states);
    await reading;

    expect(received).toStrictEqual([7]);
    expect(seen).toHaveLength(2);
    expect(await (seen[0] as Seen).closed).toStrictEqual({ endedByServer: false });
    // Never opened, so it went from connecting straight to reconnecting.
    expect(states).toStrictEqual(["connecting", "reconnecting", "open", "closed"]);
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
    const net = recordingFetch();
    const states: ConnectionState[] = [];
    const client = clientOf(origin, { fetch: net.fetch, states });

    const received: number[] = [];
    for await (const event of client.feed()) {
      received.push(event.data);
      // Holds each event longer than the idle timeout; the server writes the next ones meanwhile.
      await vi.advanceTimersByTimeAsync(IDLE_TIMEOUT_MS + 100);
      // Gave up on a live connection: fail now, not at the test timeout.
      if (net.attempts[0]?.signal.aborted) break;
    }

    expect(received).toStrictEqual([0, 1, 2, 3]);
    expect(seen).toHaveLength(1);
    expect(states).toStrictEqual(["connecting", "open", "closed"]);
  });

  it("keep-alive comments are data: a quiet stream with pings is not taken for a dead one", async () => {
    const KEEP_ALIVE_MS = 100;
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* () {
        yield { event: "tick", id: "0", data: 0 };
        // Three idle timeouts without an event; only the pings keep it alive.
        await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_TIMEOUT_MS));
        yield { event: "tick", id: "1", data: 1 };
      },
    });
    const { listener, seen } = watch(router.node({ prefix: "/sse", keepAliveMs: KEEP_ALIVE_MS }));
    const origin = await pool.start(listener);
    const net = recordingFetch();
    const states: ConnectionState[] = [];
    const client = clientOf(origin, { fetch: net.fetch, states });

    const received: number[] = [];
    const reading = (async () => {
      for await (const event of client.feed()) received.push(event.data);
    })();
    await until(() => received.length === 1, "the first event");
    // The clock moves one keep-alive interval at a time, and the client reads what came before the next.
    for (let elapsed = KEEP_ALIVE_MS; elapsed < 3 * IDLE_TIMEOUT_MS; elapsed += KEEP_ALIVE_MS) {
      await quiet(seen, net.attempts, 0);
      await vi.advanceTimersByTimeAsync(KEEP_ALIVE_MS);
      expect(net.attempts[0]?.signal.aborted, `dropped after ${elapsed} ms of pings`).toBe(false);
    }
    await quiet(seen, net.attempts, 0);
    // The handler's wait is over: its last event, and the end.
    await vi.advanceTimersByTimeAsync(KEEP_ALIVE_MS);
    await reading;

    expect(received).toStrictEqual([0, 1]);
    expect(seen).toHaveLength(1);
    expect(states).toStrictEqual(["connecting", "open", "closed"]);
  });
});
