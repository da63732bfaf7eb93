import type { IncomingMessage } from "node:http";
import { END_EVENT, RivuletError, jsonCodec, superjsonCodec, type DataCodec } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { implement } from "./implement.js";
import type { AdapterOptions, ErrorInfo } from "./types.js";
import { AT, contract, query } from "./test-utils/contract.js";
import { closeAll, connect, rawExchange, readStream, serve } from "./test-utils/index.js";

afterEach(closeAll);

const router = implement(contract, {
  ticker: async function* ({ input }) {
    for (let i = 0; i < input.count; i++) {
      yield { event: "price", data: { symbol: input.symbol, price: i, at: AT } };
    }
    yield { event: "halt", id: "42", data: { reason: "close" } };
  },
  chat: {
    room: async function* ({ input }) {
      yield { event: "message", data: { room: input.room, text: "line one\nline two" } };
    },
  },
  clock: async function* ({ lastEventId }) {
    yield { event: "tick", id: lastEventId ?? "first", data: { n: 1 } };
  },
});

type Options = AdapterOptions<IncomingMessage, undefined>;

/** Serves the router under `/sse`, recording what `onError` is told. */
async function start(options: Options = {}) {
  const errors: Array<{ error: RivuletError; info: ErrorInfo }> = [];
  const { origin, server, port } = await serve(
    router.node({ prefix: "/sse", onError: (error, info) => errors.push({ error, info }), ...options }),
  );
  return { base: `${origin}/sse`, server, port, errors };
}

/** A POST's input must be JSON, and say so; `fetch` sends a string as text/plain. */
const JSON_TYPE = { "content-type": "application/json" };

const PRICE_META = '{"values":{"at":["Date"]},"v":1}';
const PRICE_DATA = `{"symbol":"ACME","price":0,"at":"${AT.toISOString()}"}`;
const TICKER_BODY =
  `event: price\nmeta: ${PRICE_META}\ndata: ${PRICE_DATA}\n\n` +
  `event: halt\nid: 42\ndata: {"reason":"close"}\n\n` +
  `event: ${END_EVENT}\nid: rivulet:end\ndata: \n\n`;

describe("node adapter: the wire protocol", () => {
  it("serves a GET with ?input= as SSE, with the stream headers", async () => {
    const { base } = await start();
    const response = await fetch(`${base}/ticker${query({ symbol: "ACME", count: 1 })}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const { text, ended } = await readStream(response.body);
    expect(ended).toBe(true);
    expect(text).toBe(TICKER_BODY);
  });

  it("serves a POST with a JSON body exactly like the GET", async () => {
    const { base } = await start();
    const input = { symbol: "ACME", count: 3 };
    const get = await readStream((await fetch(`${base}/ticker${query(input)}`)).body);
    const post = await fetch(`${base}/ticker`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const posted = await readStream(post.body);
    expect(posted.events).toEqual(get.events);
    expect(posted.text).toBe(get.text);
    expect(posted.events.map((e) => e.event)).toEqual(["price", "price", "price", "halt", END_EVENT]);
  });

  it("ends a finished stream with the reserved end event, then ends the response", async () => {
    const { base } = await start();
    const { events, ended } = await readStream((await fetch(`${base}/ticker${query({ symbol: "X" })}`)).body);
    expect(ended).toBe(true);
    expect(events.at(-1)).toEqual({ event: END_EVENT, data: "", id: "rivulet:end" });
    expect(events.filter((e) => e.event === END_EVENT)).toHaveLength(1);
  });

  it("writes plain JSON in data: and superjson's side channel in meta:, so Dates round-trip", async () => {
    const { base } = await start();
    const { events } = await readStream((await fetch(`${base}/ticker${query({ symbol: "ACME", count: 1 })}`)).body);
    const price = events[0]!;
    // A plain SSE consumer reads ordinary JSON: the Date is its ISO string.
    expect(JSON.parse(price.data)).toEqual({ symbol: "ACME", price: 0, at: AT.toISOString() });
    expect(price.meta).toBe(PRICE_META);
    const decoded = superjsonCodec.decode(price.data, price.meta) as { at: Date };
    expect(decoded.at).toBeInstanceOf(Date);
    expect(decoded.at.getTime()).toBe(AT.getTime());
    // Events whose data needs no side channel carry no meta line.
    expect(events[1]!.meta).toBeUndefined();
  });

  it("writes no meta: line with codec: jsonCodec", async () => {
    const { base } = await start({ codec: jsonCodec });
    const { text, events } = await readStream((await fetch(`${base}/ticker${query({ symbol: "ACME", count: 1 })}`)).body);
    expect(text).not.toMatch(/^meta:/m);
    expect(text).toBe(TICKER_BODY.replace(`meta: ${PRICE_META}\n`, ""));
    expect(JSON.parse(events[0]!.data)).toEqual({ symbol: "ACME", price: 0, at: AT.toISOString() });
  });

  it("splits data holding line breaks into several data: lines (custom codec)", async () => {
    const pretty: DataCodec = {
      name: "pretty",
      encode: (value) => ({ data: JSON.stringify(value, null, 2) }),
      decode: (data) => JSON.parse(data),
    };
    const { base } = await start({ codec: pretty });
    const { text, events } = await readStream((await fetch(`${base}/clock`)).body);
    expect(text.startsWith('event: tick\nid: first\ndata: {\ndata:   "n": 1\ndata: }\n\n')).toBe(true);
    expect(JSON.parse(events[0]!.data)).toEqual({ n: 1 });
  });

  it("carries non-ASCII text intact", async () => {
    const { base } = await start();
    const room = "café ☕ 🚀 日本";
    const { events } = await readStream((await fetch(`${base}/chat/room${query({ room })}`)).body);
    expect(JSON.parse(events[0]!.data)).toEqual({ room, text: "line one\nline two" });
  });

  it("serves nested contract namespaces at prefix/chat/room", async () => {
    const { base } = await start();
    const response = await fetch(`${base}/chat/room${query({ room: "lobby" })}`);
    expect(response.status).toBe(200);
    const { text, events } = await readStream(response.body);
    // The line break inside the data is escaped by JSON, so the data stays one line.
    expect(text).toBe(
      `event: message\ndata: {"room":"lobby","text":"line one\\nline two"}\n\nevent: ${END_EVENT}\nid: rivulet:end\ndata: \n\n`,
    );
    expect(JSON.parse(events[0]!.data)).toEqual({ room: "lobby", text: "line one\nline two" });
  });

  it("serves a stream without an input schema with no query, and with an empty POST", async () => {
    const { base } = await start();
    const get = await fetch(`${base}/clock`);
    expect(get.status).toBe(200);
    expect((await readStream(get.body)).events.map((e) => [e.event, e.data])).toEqual([
      ["tick", '{"n":1}'],
      [END_EVENT, ""],
    ]);
    const post = await fetch(`${base}/clock`, { method: "POST", headers: JSON_TYPE });
    expect(post.status).toBe(200);
    expect((await readStream(post.body)).events[0]!.event).toBe("tick");
  });

  it("hands the Last-Event-ID header to the handler as lastEventId", async () => {
    const { base } = await start();
    const resumed = await readStream((await fetch(`${base}/clock`, { headers: { "last-event-id": "7" } })).body);
    expect(resumed.events[0]!.id).toBe("7");
    const fresh = await readStream((await fetch(`${base}/clock`)).body);
    expect(fresh.events[0]!.id).toBe("first");
  });

  it("serves streams without a prefix at the root", async () => {
    const { origin } = await serve(router.node());
    const response = await fetch(`${origin}/clock`);
    expect(response.status).toBe(200);
    expect((await readStream(response.body)).events[0]!.event).toBe("tick");
  });

  it("gives handlers the ctx that the context function built from the request", async () => {
    const ctxRouter = implement<typeof contract, { user: string }>(contract, {
      ticker: async function* () {},
      chat: { room: async function* () {} },
      clock: async function* ({ ctx }) {
        yield { event: "tick", data: { n: ctx.user.length } };
      },
    });
    const { origin } = await serve(
      ctxRouter.node({ context: async (req) => ({ user: String(req.headers["x-user"]) }) }),
    );
    const { events } = await readStream((await fetch(`${origin}/clock`, { headers: { "x-user": "alice" } })).body);
    expect(events[0]!.data).toBe('{"n":5}');
  });
});

/** Reads a refused request's status, headers and JSON body. */
async function refusal(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const body = (await response.json()) as { error: { code: string; message: string; issues?: unknown[] } };
  return { status: response.status, headers: response.headers, ...body };
}

describe("node adapter: refused requests", () => {
  it("refuses ?input= that is not JSON with 400 PARSE_ERROR", async () => {
    const { base, errors } = await start();
    const { status, error } = await refusal(await fetch(`${base}/ticker?input=${encodeURIComponent("{nope")}`));
    expect(status).toBe(400);
    expect(error).toEqual({ code: "PARSE_ERROR", message: expect.any(String) });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error.code).toBe("PARSE_ERROR");
    expect(errors[0]!.info).toEqual({ path: "ticker", phase: "request" });
  });

  it("refuses a POST body that is not JSON with 400 PARSE_ERROR", async () => {
    const { base } = await start();
    const { status, error } = await refusal(await fetch(`${base}/ticker`, { method: "POST", headers: JSON_TYPE, body: "symbol=ACME" }));
    expect(status).toBe(400);
    expect(error.code).toBe("PARSE_ERROR");
  });

  it("refuses input that fails the schema with 400 INVALID_INPUT and zod's issues", async () => {
    const { base, errors } = await start();
    const { status, error } = await refusal(await fetch(`${base}/ticker${query({ symbol: 1, count: -1 })}`));
    expect(status).toBe(400);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("ticker");
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: ["symbol"], message: expect.any(String), code: "invalid_type" }),
        expect.objectContaining({ path: ["count"], code: "too_small" }),
      ]),
    );
    expect(errors[0]!.info.phase).toBe("request");
    expect(errors[0]!.error.issues).toHaveLength(2);
  });

  it("refuses a missing input on a stream that has an input schema", async () => {
    const { base } = await start();
    const { status, error } = await refusal(await fetch(`${base}/ticker`));
    expect(status).toBe(400);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues).toEqual([expect.objectContaining({ path: [] })]);
  });

  it("refuses a POST body that fails the schema like a GET", async () => {
    const { base } = await start();
    const body = JSON.stringify({ room: 5 });
    const response = await fetch(`${base}/chat/room`, { method: "POST", headers: JSON_TYPE, body });
    const { status, error } = await refusal(response);
    expect(status).toBe(400);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues).toEqual([expect.objectContaining({ path: ["room"] })]);
  });

  it.each([
    ["an unknown stream", "/sse/nope"],
    ["a namespace, not a stream", "/sse/chat"],
    ["a path outside the prefix", "/elsewhere/ticker"],
    ["the bare prefix", "/sse"],
    ["a malformed percent-encoding", "/sse/%E0%A4%A"],
  ])("answers 404 NOT_FOUND for %s", async (_, path) => {
    const { base } = await start();
    const { status, error } = await refusal(await fetch(new URL(path, base)));
    expect(status).toBe(404);
    expect(error.code).toBe("NOT_FOUND");
  });

  it("calls next (Express-style) for a path outside the prefix instead of answering", async () => {
    const handler = router.node({ prefix: "/sse", onError: () => {} });
    const nextCalls: string[] = [];
    const { origin } = await serve((req, res) =>
      handler(req, res, (error?: unknown) => {
        expect(error).toBeUndefined();
        nextCalls.push(req.url ?? "");
        res.writeHead(418).end("next");
      }),
    );
    const outside = await fetch(`${origin}/elsewhere/ticker`);
    expect(outside.status).toBe(418);
    expect(await outside.text()).toBe("next");
    expect(nextCalls).toEqual(["/elsewhere/ticker"]);
    // Inside the prefix the handler answers itself, also for unknown streams.
    const inside = await fetch(`${origin}/sse/nope`);
    expect(inside.status).toBe(404);
    expect(nextCalls).toHaveLength(1);
  });

  it.each(["PUT", "DELETE", "PATCH"])("refuses %s with 405 METHOD_NOT_SUPPORTED and Allow: GET, POST", async (method) => {
    const { base } = await start();
    const { status, headers, error } = await refusal(await fetch(`${base}/clock`, { method }));
    expect(status).toBe(405);
    expect(headers.get("allow")).toBe("GET, POST");
    expect(error.code).toBe("METHOD_NOT_SUPPORTED");
  });

  it("refuses a POST body over maxBodyBytes with 413 and closes the connection", async () => {
    const { base, errors } = await start({ maxBodyBytes: 100 });
    const input = JSON.stringify({ symbol: "x".repeat(1_000) });
    const response = await fetch(`${base}/ticker`, { method: "POST", headers: JSON_TYPE, body: input });
    const { status, headers, error } = await refusal(response);
    expect(status).toBe(413);
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(headers.get("connection")).toBe("close");
    expect(errors[0]!.info.phase).toBe("request");
    // A body at the limit is accepted.
    const fits = await fetch(`${base}/ticker`, {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify({ symbol: "x".repeat(80) }),
    });
    expect(fits.status).toBe(200);
    await readStream(fits.body);
  });

  it("refuses an oversized POST sent over a raw socket with 413 and then closes it", async () => {
    const { port } = await start({ maxBodyBytes: 1_000 });
    const socket = await connect(port);
    const body = JSON.stringify({ symbol: "x".repeat(200_000) });
    const reply = await rawExchange(
      socket,
      `POST /sse/ticker HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toContain('"code":"PAYLOAD_TOO_LARGE"');
    expect(socket.destroyed || socket.readableEnded).toBe(true);
  });

  it("answers 401 when context throws RivuletError UNAUTHORIZED, and reports phase context", async () => {
    const { base, errors } = await start({
      context: () => {
        throw new RivuletError("UNAUTHORIZED", "Sign in first.");
      },
    });
    const { status, error } = await refusal(await fetch(`${base}/clock`));
    expect(status).toBe(401);
    expect(error).toEqual({ code: "UNAUTHORIZED", message: "Sign in first." });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error.code).toBe("UNAUTHORIZED");
    expect(errors[0]!.info).toEqual({ path: "clock", phase: "context" });
  });

  it("answers 403 when an async context rejects with FORBIDDEN", async () => {
    const { base } = await start({
      context: async () => {
        throw new RivuletError("FORBIDDEN", "Not your room.");
      },
    });
    const { status, error } = await refusal(await fetch(`${base}/chat/room${query({ room: "x" })}`));
    expect(status).toBe(403);
    expect(error).toEqual({ code: "FORBIDDEN", message: "Not your room." });
  });

  it("answers 500 'Internal server error' when context throws a plain Error, and leaks nothing", async () => {
    const secret = new Error("db password is hunter2");
    const { base, errors } = await start({
      context: () => {
        throw secret;
      },
    });
    const response = await fetch(`${base}/clock`);
    const raw = await response.clone().text();
    const { status, error } = await refusal(response);
    expect(status).toBe(500);
    expect(error).toEqual({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error" });
    expect(raw).not.toContain("hunter2");
    expect(raw).not.toContain("at ");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.info).toEqual({ path: "clock", phase: "context" });
    expect(errors[0]!.error.cause).toBe(secret);
  });

  it("logs 5xx errors with console.error when no onError is given, and not 4xx", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const boom = new Error("boom");
      const { origin } = await serve(
        router.node({
          context: (req) => {
            if (req.headers["x-fail"]) throw boom;
            return undefined;
          },
        }),
      );
      expect((await fetch(`${origin}/nope`)).status).toBe(404);
      expect(log).not.toHaveBeenCalled();
      expect((await fetch(`${origin}/clock`, { headers: { "x-fail": "1" } })).status).toBe(500);
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0]).toContain(boom);
    } finally {
      log.mockRestore();
    }
  });

  it("does not call the handler for refused requests", async () => {
    const handler = vi.fn(async function* () {
      yield { event: "tick" as const, data: { n: 1 } };
    });
    const spied = implement(contract, {
      ticker: async function* () {},
      chat: { room: async function* () {} },
      clock: handler,
    });
    const { origin } = await serve(
      spied.node({
        onError: () => {},
        context: () => {
          throw new RivuletError("UNAUTHORIZED", "no");
        },
      }),
    );
    expect((await fetch(`${origin}/clock`)).status).toBe(401);
    expect(handler).not.toHaveBeenCalled();
  });
});
