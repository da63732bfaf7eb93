import { RivuletError, jsonCodec, superjsonCodec } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type ClientOptions } from "./index.js";
import { contract } from "./test-utils/contract.js";
import { collect, createServerPool, openStream, rejection, sendEnd, sendEvent, type TestServer } from "./test-utils/sse-server.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

/** A server whose every stream ends at once: the tests look at the requests only. */
async function emptyStreams(): Promise<TestServer> {
  return pool.start((_req, res) => {
    openStream(res);
    sendEnd(res);
  });
}

async function setup(options: Omit<ClientOptions, "baseUrl"> = {}, path = "/sse") {
  const server = await emptyStreams();
  const client = createClient(contract, { baseUrl: `${server.origin}${path}`, ...options });
  return { server, client };
}

describe("request shape", () => {
  it("GETs the stream's path with the input as JSON in ?input=, no meta for plain input", async () => {
    const { server, client } = await setup();
    await collect(client.ticker({ symbol: "AC ME&?" }));
    const [request] = server.requests;
    expect(request?.method).toBe("GET");
    expect(request?.url.pathname).toBe("/sse/ticker");
    expect(JSON.parse(request?.url.searchParams.get("input") ?? "")).toStrictEqual({ symbol: "AC ME&?" });
    expect(request?.url.searchParams.has("meta")).toBe(false);
    expect(request?.body).toBe("");
  });

  it("adds meta= when the input holds a Date, so the server can restore it", async () => {
    const { server, client } = await setup();
    const since = new Date("2024-01-02T03:04:05.000Z");
    await collect(client.ticker({ symbol: "ACME", since }));
    const query = server.requests[0]?.url.searchParams;
    expect(JSON.parse(query?.get("input") ?? "")).toStrictEqual({ symbol: "ACME", since: since.toISOString() });
    expect(query?.get("meta")).not.toBeNull();
    expect(superjsonCodec.decode(query?.get("input") ?? "", query?.get("meta") ?? undefined)).toStrictEqual({
      symbol: "ACME",
      since,
    });
  });

  it("sends no query at all for a stream without input", async () => {
    const { server, client } = await setup();
    await collect(client.noInput());
    expect(server.requests[0]?.url.pathname).toBe("/sse/noInput");
    expect(server.requests[0]?.url.search).toBe("");
  });

  it('with method: "POST", sends the input as a JSON body with content-type application/json', async () => {
    const { server, client } = await setup({ method: "POST" });
    const since = new Date("2024-01-02T03:04:05.000Z");
    await collect(client.ticker({ symbol: "ACME", since }));
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url.pathname).toBe("/sse/ticker");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toStrictEqual({ symbol: "ACME", since: since.toISOString() });
    expect(request?.url.searchParams.has("input")).toBe(false);
    expect(superjsonCodec.decode(request?.body ?? "", request?.url.searchParams.get("meta") ?? undefined)).toStrictEqual({
      symbol: "ACME",
      since,
    });
  });

  it("asks for text/event-stream", async () => {
    const { server, client } = await setup();
    await collect(client.noInput());
    expect(server.requests[0]?.headers.accept).toBe("text/event-stream");
  });

  it("sends the headers option when it is an object", async () => {
    const { server, client } = await setup({ headers: { authorization: "Bearer a", "x-tenant": "t1" } });
    await collect(client.noInput());
    expect(server.requests[0]?.headers.authorization).toBe("Bearer a");
    expect(server.requests[0]?.headers["x-tenant"]).toBe("t1");
  });

  it("calls an async headers function before each connection", async () => {
    let calls = 0;
    const { server, client } = await setup({
      headers: async () => {
        calls += 1;
        return { authorization: `Bearer ${calls}` };
      },
    });
    const sub = client.noInput();
    await collect(sub);
    await collect(sub);
    expect(server.requests.map((request) => request.headers.authorization)).toStrictEqual(["Bearer 1", "Bearer 2"]);
  });

  it("sends Last-Event-ID from the lastEventId call option, and none without it", async () => {
    const { server, client } = await setup();
    await collect(client.ticker({ symbol: "ACME" }, { lastEventId: "42" }));
    await collect(client.ticker({ symbol: "ACME" }));
    expect(server.requests[0]?.headers["last-event-id"]).toBe("42");
    expect(server.requests[1]?.headers).not.toHaveProperty("last-event-id");
  });

  it("puts a nested contract path in the URL: chat.room → /chat/room", async () => {
    const { server, client } = await setup();
    await collect(client.chat.room({ room: "lobby" }));
    expect(server.requests[0]?.url.pathname).toBe("/sse/chat/room");
  });

  it("accepts a baseUrl with a trailing slash", async () => {
    const { server, client } = await setup({}, "/sse/");
    await collect(client.chat.room({ room: "lobby" }));
    expect(server.requests[0]?.url.pathname).toBe("/sse/chat/room");
  });

  it("uses the fetch option instead of the global fetch", async () => {
    const server = await emptyStreams();
    const seen: string[] = [];
    const client = createClient(contract, {
      baseUrl: new URL("/sse", server.origin),
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    await collect(client.noInput());
    expect(seen).toStrictEqual([`${server.origin}/sse/noInput`]);
    expect(server.requests).toHaveLength(1);
  });

  it("opens no connection until the subscription is iterated", async () => {
    const { server, client } = await setup();
    client.ticker({ symbol: "ACME" });
    await collect(client.noInput());
    expect(server.requests.map((request) => request.url.pathname)).toStrictEqual(["/sse/noInput"]);
  });

  it("is a plain frozen object tree, never mistaken for a promise", async () => {
    const client = createClient(contract, { baseUrl: "http://127.0.0.1:1" });
    expect(Object.keys(client).sort()).toStrictEqual(["chat", "noInput", "rich", "ticker"]);
    expect(Object.isFrozen(client)).toBe(true);
    expect("then" in client).toBe(false);
    await expect(Promise.resolve(client)).resolves.toBe(client);
  });
});

describe("option checks", () => {
  const base = { baseUrl: "http://127.0.0.1:1/sse" };
  const TIMER = "a number of ms > 0 and ≤ 2147483647, or false to turn it off";
  const CODEC = "a codec: an object with encode and decode functions, like superjsonCodec or jsonCodec";
  const URL_ = "an absolute URL, as a string or a URL (http://localhost:8080/sse)";
  const HEADERS = "headers (an object, an array of pairs or a Headers) or a function returning them";
  const EVENT_BYTES = "a whole number of bytes > 0 and ≤ 268435456";

  it.each<[name: string, options: Record<string, unknown>, expected: string]>([
    ["baseUrl", { baseUrl: undefined }, URL_],
    ["baseUrl", { baseUrl: "/sse" }, URL_],
    ["baseUrl", { baseUrl: 8080 }, URL_],
    ["headers", { headers: "authorization: x" }, HEADERS],
    ["headers", { headers: null }, HEADERS],
    ["fetch", { fetch: "fetch" }, "a function"],
    ["validate", { validate: "no" }, "true or false"],
    ["codec", { codec: {} }, CODEC],
    ["codec", { codec: { encode: JSON.stringify, decode: "JSON.parse" } }, CODEC],
    ["method", { method: "PUT" }, '"GET" or "POST"'],
    ["method", { method: "get" }, '"GET" or "POST"'],
    ["reconnect", { reconnect: true }, "false, or an object of reconnect options"],
    ["reconnect.initialDelayMs", { reconnect: { initialDelayMs: -1 } }, "a number ≥ 0 (Infinity allowed)"],
    ["reconnect.initialDelayMs", { reconnect: { initialDelayMs: Number.NaN } }, "a number ≥ 0 (Infinity allowed)"],
    ["reconnect.initialDelayMs", { reconnect: { initialDelayMs: "1000" } }, "a number ≥ 0 (Infinity allowed)"],
    ["reconnect.maxDelayMs", { reconnect: { maxDelayMs: -5 } }, "a number ≥ 0 (Infinity allowed)"],
    ["reconnect.maxDelayMs", { reconnect: { maxDelayMs: Number.NaN } }, "a number ≥ 0 (Infinity allowed)"],
    ["reconnect.maxAttempts", { reconnect: { maxAttempts: -1 } }, "a whole number ≥ 0, or Infinity"],
    ["reconnect.maxAttempts", { reconnect: { maxAttempts: Number.NaN } }, "a whole number ≥ 0, or Infinity"],
    ["reconnect.maxAttempts", { reconnect: { maxAttempts: 2.5 } }, "a whole number ≥ 0, or Infinity"],
    ["idleTimeoutMs", { idleTimeoutMs: -1 }, TIMER],
    ["idleTimeoutMs", { idleTimeoutMs: Number.NaN }, TIMER],
    // 0 would drop every connection at once; above 2^31 − 1 ms a timer fires after 1 ms.
    ["idleTimeoutMs", { idleTimeoutMs: 0 }, TIMER],
    ["idleTimeoutMs", { idleTimeoutMs: Infinity }, TIMER],
    ["idleTimeoutMs", { idleTimeoutMs: 2 ** 31 }, TIMER],
    ["idleTimeoutMs", { idleTimeoutMs: "37500" }, TIMER],
    ["maxEventBytes", { maxEventBytes: 0 }, EVENT_BYTES],
    ["maxEventBytes", { maxEventBytes: 1.5 }, EVENT_BYTES],
    ["maxEventBytes", { maxEventBytes: "16777216" }, EVENT_BYTES],
    // No off switch: past 2^29 − 24 characters V8 throws a RangeError instead of the client's error.
    ["maxEventBytes", { maxEventBytes: Infinity }, EVENT_BYTES],
    ["maxEventBytes", { maxEventBytes: 2 ** 28 + 1 }, EVENT_BYTES],
    ["onStateChange", { onStateChange: {} }, "a function"],
  ])("refuses a bad %s with INVALID_OPTION, saying what was expected (%j)", (name, options, expected) => {
    expect(() => createClient(contract, { ...base, ...options } as ClientOptions)).toThrow(
      expect.objectContaining({
        name: "RivuletError",
        code: "INVALID_OPTION",
        message: expect.stringContaining(`createClient(): ${name} must be ${expected}; got `),
      }),
    );
  });

  it("refuses options that are not an object", () => {
    expect(() => createClient(contract, undefined as never)).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: "createClient(): options must be an object; got undefined." }),
    );
  });

  it("accepts Infinity attempts and delays, a URL object, reconnect: false, idleTimeoutMs: false, maxEventBytes 1 to 256 MiB", () => {
    expect(() => createClient(contract, { ...base, reconnect: { initialDelayMs: 0, maxDelayMs: Infinity } })).not.toThrow();
    expect(() => createClient(contract, { ...base, reconnect: { maxAttempts: Infinity } })).not.toThrow();
    expect(() => createClient(contract, { ...base, reconnect: false, idleTimeoutMs: false })).not.toThrow();
    expect(() => createClient(contract, { baseUrl: new URL(base.baseUrl), headers: new Headers(), method: "POST" })).not.toThrow();
    expect(() => createClient(contract, { ...base, headers: [["x-a", "1"]], codec: jsonCodec, validate: false })).not.toThrow();
    expect(() => createClient(contract, { ...base, maxEventBytes: 1 })).not.toThrow();
    expect(() => createClient(contract, { ...base, maxEventBytes: 2 ** 28 })).not.toThrow();
  });
});

describe("the default codec: superjson's wire without superjson", () => {
  /** A server that writes each of `events` with `write`, then the end event. */
  async function serving(write: (res: Parameters<typeof openStream>[0]) => void, options: Omit<ClientOptions, "baseUrl"> = {}) {
    const server = await pool.start((_req, res) => {
      openStream(res);
      write(res);
      sendEnd(res);
    });
    return createClient(contract, { baseUrl: `${server.origin}/sse`, ...options });
  }
  const snapshot = {
    at: new Date("2024-02-29T12:00:00.000Z"),
    counts: new Map([["a.b", 1n], ["c\\d", 2n]]),
    tags: new Set(["x", "y"]),
    total: 3n,
    note: undefined,
    samples: [1, undefined, -0, 2.5],
  };

  it("reads what a Rivulet server writes with superjson: Dates, Maps, Sets, BigInts, undefined, -0, keys with dots", async () => {
    const client = await serving((res) => sendEvent(res, "snapshot", snapshot));
    const [event] = await collect(client.rich());
    expect(event?.data).toStrictEqual(snapshot);
  });

  it("writes the input as superjson does, for the server to restore", async () => {
    const server = await emptyStreams();
    const client = createClient(contract, { baseUrl: `${server.origin}/sse` });
    const since = new Date("2024-01-02T03:04:05.000Z");
    await collect(client.ticker({ symbol: "ACME", since }));
    const query = server.requests[0]?.url.searchParams;
    expect(query?.get("meta")).toBe(superjsonCodec.encode({ symbol: "ACME", since }).meta);
  });

  it("refuses a meta only superjson's registries read with INVALID_EVENT, saying to pass superjsonCodec, which reads it", async () => {
    const meta = '{"values":{"at":[["class","Instant"]]},"v":1}';
    const write = (res: Parameters<typeof openStream>[0]): void =>
      void res.write(`event: price\nmeta: ${meta}\ndata: {"symbol":"A","price":1,"at":{}}\n\n`);
    const client = await serving(write, { reconnect: false });
    const error = await rejection(collect(client.ticker({ symbol: "A" })));
    expect(error).toBeInstanceOf(RivuletError);
    expect(error).toMatchObject({ code: "INVALID_EVENT", message: expect.stringContaining("codec: superjsonCodec") });
    // superjsonCodec passes the meta to superjson, which reports the unknown class itself.
    const full = await serving(write, { reconnect: false, codec: superjsonCodec });
    expect(await rejection(collect(full.ticker({ symbol: "A" })))).toMatchObject({ cause: expect.objectContaining({ message: expect.stringContaining("Instant") }) });
  });
});
