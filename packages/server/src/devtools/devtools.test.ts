import { getRequestListener } from "@hono/node-server";
import { RivuletError, createEventStreamParser, defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { implement } from "../implement.js";
import { streamSchemas } from "../openapi/json-schema.js";
import { closeAll, serve } from "../test-utils/index.js";
import type { ErrorInfo } from "../types.js";

afterEach(async () => {
  vi.unstubAllEnvs();
  await closeAll();
});

const contract = defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string(), since: z.date().optional() }),
    events: { price: z.object({ price: z.number(), at: z.date() }) },
  }),
  chat: {
    room: stream({ input: z.object({ room: z.string() }), events: { message: z.string() }, codec: "text", end: "close", method: "POST" }),
  },
  clock: stream({ events: { tick: z.object({ n: z.number() }) } }),
});

/** Waits for the client to leave. */
const park = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

const router = implement(contract, {
  ticker: async function* ({ signal }) {
    yield { event: "price", id: "1", data: { price: 1, at: new Date(0) } };
    await park(signal);
  },
  chat: {
    room: async function* ({ signal }) {
      yield { event: "message", data: "hello" };
      await park(signal);
    },
  },
  clock: async function* ({ signal }) {
    // One event first: a transport may hold the response head until the first bytes.
    yield { event: "tick", data: { n: 0 } };
    await park(signal);
  },
});

type Start = (options: { devtools?: boolean | "force"; onError?: (error: RivuletError, info: ErrorInfo) => void }) => Promise<string>;

/** Each adapter on a real socket under `/sse`; the fetch handler through @hono/node-server's request listener. */
const adapters: Array<[string, Start]> = [
  ["router.node()", async (options) => `${(await serve(router.node({ prefix: "/sse", keepAliveMs: false, ...options }))).origin}/sse`],
  [
    "router.fetchHandler()",
    async (options) => {
      const handler = router.fetchHandler({ prefix: "/sse", keepAliveMs: false, ...options });
      return `${(await serve(getRequestListener(handler))).origin}/sse`;
    },
  ],
];

/** Reads `_devtools/connections` as it comes: the latest snapshot, and waits for one that passes a test. */
async function watchConnections(base: string) {
  const controller = new AbortController();
  const response = await fetch(`${base}/_devtools/connections`, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const snapshots: Array<Record<string, number>> = [];
  const waiting = new Set<() => void>();
  const parser = createEventStreamParser({
    onEvent: (event) => {
      expect(event.event).toBe("connections");
      snapshots.push(JSON.parse(event.data) as Record<string, number>);
      for (const check of waiting) check();
    },
  });
  const reader = response.body!.getReader();
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done || !value) return;
      parser.feed(value);
    }
  })();
  return {
    snapshots,
    /** Resolves with the first snapshot (from now on, or the latest) equal to `expected`. */
    until(expected: Record<string, number>): Promise<void> {
      return new Promise((resolve) => {
        const check = (): void => {
          const latest = snapshots.at(-1);
          if (latest === undefined || JSON.stringify(latest) !== JSON.stringify(expected)) return;
          waiting.delete(check);
          resolve();
        };
        waiting.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}

/** Opens a stream and returns its abort, once the response head is in (the stream has started). */
async function open(url: string, init: RequestInit = {}): Promise<() => void> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  expect(response.status).toBe(200);
  return () => controller.abort();
}

const ZERO = { ticker: 0, "chat/room": 0, clock: 0 };

describe.each(adapters)("devtools, %s", (_name, start) => {
  it("are off by default: _devtools is a 404 like any path without a stream, reported as one", async () => {
    const reported: string[] = [];
    const base = await start({ onError: (error, info) => reported.push(`${error.code} ${info.path}`) });
    for (const path of ["_devtools", "_devtools/streams", "_devtools/connections"]) {
      const response = await fetch(`${base}/${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    expect(reported).toEqual(["NOT_FOUND _devtools", "NOT_FOUND _devtools/streams", "NOT_FOUND _devtools/connections"]);
  });

  it("describe every stream: methods, codecs, end, and the JSON Schemas streamSchemas makes", async () => {
    const base = await start({ devtools: true });
    const response = await fetch(`${base}/_devtools/streams`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const doc = (await response.json()) as { keepAliveMs: unknown; streams: Array<Record<string, unknown>> };
    expect(doc.keepAliveMs).toBe(false);
    expect(doc.streams).toEqual([
      {
        path: "ticker",
        methods: ["GET", "POST"],
        codec: "superjson",
        inputCodec: "superjson",
        end: "event",
        input: streamSchemas(contract.ticker).input,
        events: streamSchemas(contract.ticker).events,
      },
      {
        path: "chat/room",
        methods: ["POST"],
        codec: "text",
        inputCodec: "json",
        end: "close",
        input: streamSchemas(contract.chat.room).input,
        events: streamSchemas(contract.chat.room).events,
      },
      { path: "clock", methods: ["GET", "POST"], codec: "superjson", inputCodec: "superjson", end: "event", input: null, events: streamSchemas(contract.clock).events },
    ]);
    // A Date travels as an ISO string: its schema says so.
    expect(doc.streams[0]?.["events"]).toMatchObject({ price: { properties: { at: { type: "string", format: "date-time" } } } });
  });

  it("count open connections per stream: up as clients come, down as they go", async () => {
    const base = await start({ devtools: true });
    const watch = await watchConnections(base);
    await watch.until(ZERO);

    const clocks = [await open(`${base}/clock`), await open(`${base}/clock`), await open(`${base}/clock`)];
    const room = await open(`${base}/chat/room`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"room":"a"}' });
    const ticker = await open(`${base}/ticker?input=${encodeURIComponent('{"symbol":"ACME"}')}`);
    await watch.until({ ticker: 1, "chat/room": 1, clock: 3 });

    clocks[0]?.();
    clocks[1]?.();
    await watch.until({ ticker: 1, "chat/room": 1, clock: 1 });
    for (const leave of [clocks[2], room, ticker]) leave?.();
    await watch.until(ZERO);

    // A refused request never started a stream, and a second watcher is not counted.
    expect((await fetch(`${base}/ticker?input=%7B%7D`)).status).toBe(400);
    const second = await watchConnections(base);
    await second.until(ZERO);
    second.close();
    watch.close();
    // Every snapshot lists every stream, and no count ever went below zero.
    for (const snapshot of watch.snapshots) {
      expect(Object.keys(snapshot)).toEqual(["ticker", "chat/room", "clock"]);
      expect(Object.values(snapshot).every((count) => count >= 0)).toBe(true);
    }
  });

  it("are read with GET only (405, Allow: GET); another path under _devtools is a 404; _devtools/ redirects", async () => {
    const base = await start({ devtools: true, onError: () => {} });
    const post = await fetch(`${base}/_devtools/streams`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
    expect((await fetch(`${base}/_devtools/nothing`)).status).toBe(404);
    const slash = await fetch(`${base}/_devtools/`, { redirect: "manual" });
    expect(slash.status).toBe(308);
    expect(new URL(slash.headers.get("location") ?? "", slash.url).pathname).toBe("/sse/_devtools");
    // The streams are served as before.
    expect((await fetch(`${base}/ticker?input=%7B%7D`)).status).toBe(400);
  });
});

describe("the devtools option", () => {
  it("is refused with INVALID_OPTION when NODE_ENV is production, unless forced", async () => {
    vi.stubEnv("NODE_ENV", "production");
    for (const make of [() => router.node({ devtools: true }), () => router.fetchHandler({ devtools: true })]) {
      expect(make).toThrow(RivuletError);
      expect(make).toThrow(/devtools is refused when NODE_ENV is "production".*devtools: "force"/);
      try {
        make();
      } catch (error) {
        expect((error as RivuletError).code).toBe("INVALID_OPTION");
      }
    }
    expect(() => router.node({ devtools: false })).not.toThrow();
    const handler = router.fetchHandler({ devtools: "force" });
    const response = await handler(new Request("http://localhost/_devtools/streams"));
    expect(response.status).toBe(200);
  });

  it("must be true, false or \"force\"", () => {
    expect(() => router.node({ devtools: "yes" as never })).toThrow(/router.node\(\): devtools must be true or false or "force"; got "yes"/);
  });

  it("refuses a contract with a top-level _devtools key, whose paths the devtools would take; off, it is served", async () => {
    const clash = implement(defineContract({ _devtools: { streams: stream({ events: { tick: z.number() } }) } }), {
      _devtools: { streams: async function* () {} },
    });
    expect(() => clash.node({ devtools: true })).toThrow(/the contract has a stream at "_devtools\/streams"/);
    const response = await clash.fetchHandler()(new Request("http://localhost/_devtools/streams"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  });

  it("leaves the path %5Fdevtools to the streams: a 404, not the devtools", async () => {
    const handler = router.fetchHandler({ devtools: true, onError: () => {} });
    expect((await handler(new Request("http://localhost/%5Fdevtools/streams"))).status).toBe(404);
  });
});
