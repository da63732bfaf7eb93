import { END_EVENT, ERROR_EVENT, RivuletError, jsonCodec } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { implement } from "./implement.js";
import type { ErrorInfo } from "./types.js";
import { AT, contract, query } from "./test-utils/contract.js";
import { readStream, waitFor } from "./test-utils/index.js";

afterEach(() => {
  vi.useRealTimers();
});

/** A POST's input must be JSON, and say so; `fetch` sends a string as text/plain. */
const JSON_TYPE = { "content-type": "application/json" };

/** What the handlers saw, for the tests that end streams from outside. */
const seen: { signal?: AbortSignal; finallyRan: boolean; parked: boolean } = { finallyRan: false, parked: false };

const router = implement(contract, {
  ticker: async function* ({ input }) {
    for (let i = 0; i < input.count; i++) {
      yield { event: "price", data: { symbol: input.symbol, price: i, at: AT } };
    }
    yield { event: "halt", id: "42", data: { reason: "close" } };
  },
  chat: {
    room: async function* ({ input, signal }) {
      seen.signal = signal;
      seen.finallyRan = false;
      try {
        yield { event: "message", data: { room: input.room, text: "hello" } };
        if (input.room === "fail") throw new Error("secret detail");
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      } finally {
        seen.finallyRan = true;
      }
    },
  },
  clock: async function* ({ signal, lastEventId }) {
    seen.signal = signal;
    seen.finallyRan = false;
    try {
      yield { event: "tick", id: lastEventId ?? "", data: { n: 0 } };
      // Never awaits: parks at this yield whenever the body is not read.
      for (let n = 1; ; n++) yield { event: "tick", data: { n } };
    } finally {
      seen.finallyRan = true;
    }
  },
});

const TICKER_BODY =
  `event: price\nmeta: {"values":{"at":["Date"]},"v":1}\n` +
  `data: {"symbol":"ACME","price":0,"at":"${AT.toISOString()}"}\n\n` +
  `event: halt\nid: 42\ndata: {"reason":"close"}\n\n` +
  `event: ${END_EVENT}\nid: rivulet:end\ndata: \n\n`;

async function refusal(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const body = (await response.json()) as { error: { code: string; message: string; issues?: unknown[] } };
  return { status: response.status, headers: response.headers, ...body };
}

describe("fetch adapter: streams", () => {
  it("router.fetch returns a 200 event stream holding the events and the end event", async () => {
    const response = await router.fetch(new Request(`http://x/ticker${query({ symbol: "ACME", count: 1 })}`));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const { text, events, ended } = await readStream(response.body);
    expect(ended).toBe(true);
    expect(text).toBe(TICKER_BODY);
    expect(events.map((e) => e.event)).toEqual(["price", "halt", END_EVENT]);
  });

  it("serves a POST with a JSON body like the GET", async () => {
    const input = { symbol: "ACME", count: 1 };
    const response = await router.fetch(
      new Request("http://x/ticker", { method: "POST", headers: JSON_TYPE, body: JSON.stringify(input) }),
    );
    expect(response.status).toBe(200);
    expect((await readStream(response.body)).text).toBe(TICKER_BODY);
  });

  it("fetchHandler({ prefix }) serves the streams under the prefix, nested ones too", async () => {
    const handler = router.fetchHandler({ prefix: "/sse/", onError: () => {} });
    const ticker = await handler(new Request(`http://x/sse/ticker${query({ symbol: "ACME", count: 1 })}`));
    expect(ticker.status).toBe(200);
    expect((await readStream(ticker.body)).text).toBe(TICKER_BODY);
    expect((await handler(new Request(`http://x/ticker${query({ symbol: "ACME" })}`))).status).toBe(404);

    const room = await handler(new Request(`http://x/sse/chat/room${query({ room: "fail" })}`));
    expect(room.status).toBe(200);
    const { events } = await readStream(room.body);
    expect(events[0]).toMatchObject({ event: "message", data: '{"room":"fail","text":"hello"}' });
  });

  it("honours the codec option", async () => {
    const handler = router.fetchHandler({ codec: jsonCodec });
    const response = await handler(new Request(`http://x/ticker${query({ symbol: "ACME", count: 1 })}`));
    expect((await readStream(response.body)).text).toBe(TICKER_BODY.replace(/meta: .*\n/, ""));
  });

  it("passes Last-Event-ID to the handler", async () => {
    const response = await router.fetch(new Request("http://x/clock", { headers: { "last-event-id": "9" } }));
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("id: 9\n");
    await reader.cancel();
  });

  it("sends a redacted rivulet:error when the handler throws", async () => {
    const errors: Array<{ error: RivuletError; info: ErrorInfo }> = [];
    const handler = router.fetchHandler({ onError: (error, info) => errors.push({ error, info }) });
    const { text, events } = await readStream((await handler(new Request(`http://x/chat/room${query({ room: "fail" })}`))).body);
    expect(events.map((e) => e.event)).toEqual(["message", ERROR_EVENT]);
    expect(events[1]!.data).toBe('{"code":"INTERNAL_SERVER_ERROR","message":"Internal server error"}');
    expect(text).not.toContain("secret");
    expect(errors.map(({ error, info }) => [error.code, info])).toEqual([
      ["INTERNAL_SERVER_ERROR", { path: "chat/room", phase: "stream" }],
    ]);
  });
});

describe("fetch adapter: invalid events", () => {
  it("ends the body with rivulet:error, aborts the signal and runs the generator's finally", async () => {
    const state = { finallyRan: false, signal: undefined as AbortSignal | undefined };
    const errors: string[] = [];
    const strict = implement(contract, {
      ticker: async function* () {},
      chat: { room: async function* () {} },
      clock: async function* ({ signal }) {
        state.signal = signal;
        try {
          yield { event: "tick", data: { n: 1 } };
          yield { event: "tick", data: { n: "not a number" } } as never;
          yield { event: "tick", data: { n: 3 } };
        } finally {
          state.finallyRan = true;
        }
      },
    }).fetchHandler({ onError: (error, info) => errors.push(`${error.code}/${info.phase}`) });
    const { text, events, ended } = await readStream((await strict(new Request("http://x/clock"))).body);
    expect(ended).toBe(true);
    expect(events.map((e) => e.event)).toEqual(["tick", ERROR_EVENT]);
    expect(JSON.parse(events[1]!.data)).toMatchObject({ code: "INVALID_EVENT" });
    expect(text).not.toContain("not a number");
    expect(errors).toEqual(["INVALID_EVENT/event"]);
    await waitFor(() => state.finallyRan, "the generator's finally");
    expect(state.signal!.aborted).toBe(true);
  });
});

describe("fetch adapter: ending a stream from the client side", () => {
  it("canceling the body aborts the signal and runs the finally of a generator awaiting the abort", async () => {
    const response = await router.fetch(new Request(`http://x/chat/room${query({ room: "lobby" })}`));
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: message");
    expect(seen.signal!.aborted).toBe(false);
    await reader.cancel();
    await waitFor(() => seen.finallyRan, "the generator's finally");
    expect(seen.signal!.aborted).toBe(true);
  });

  it("canceling the body ends a generator parked at a yield", async () => {
    const response = await router.fetch(new Request("http://x/clock"));
    await waitFor(() => seen.signal !== undefined && !seen.finallyRan, "the stream to start");
    await response.body!.cancel();
    await waitFor(() => seen.finallyRan, "the generator's finally");
    expect(seen.signal!.aborted).toBe(true);
  });

  it("does not start a stream for a request whose client left while context ran", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const client = new AbortController();
    const handlerCalls: AbortSignal[] = [];
    const guarded = implement<typeof contract, { user: string }>(contract, {
      ticker: async function* () {},
      chat: { room: async function* () {} },
      clock: async function* ({ signal }) {
        handlerCalls.push(signal);
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
    }).fetchHandler({
      context: async () => {
        client.abort();
        return { user: "a" };
      },
    });
    const response = await guarded(new Request("http://x/clock", { signal: client.signal }));
    const { events, ended } = await readStream(response.body);
    expect(ended).toBe(true);
    expect(events).toEqual([]);
    expect(handlerCalls.every((signal) => signal.aborted)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborting the request's signal aborts the handler's signal and ends the body", async () => {
    const client = new AbortController();
    const response = await router.fetch(
      new Request(`http://x/chat/room${query({ room: "lobby" })}`, { signal: client.signal }),
    );
    const read = readStream(response.body);
    await waitFor(() => seen.signal !== undefined && !seen.finallyRan, "the stream to start");
    client.abort();
    const { events, ended } = await read;
    expect(ended).toBe(true);
    expect(events.map((e) => e.event)).toEqual(["message"]);
    await waitFor(() => seen.finallyRan, "the generator's finally");
    expect(seen.signal!.aborted).toBe(true);
  });
});

describe("fetch adapter: keep-alive (fake timers)", () => {
  it("pings an idle stream once per interval, and leaves no timer after cancel", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "setTimeout", "clearTimeout"] });
    const handler = router.fetchHandler({ keepAliveMs: 1_000 });
    const response = await handler(new Request(`http://x/chat/room${query({ room: "lobby" })}`));
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toContain("event: message");
    expect(vi.getTimerCount()).toBe(1);

    // The first tick follows the event: the stream was not idle for a whole interval.
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(decoder.decode((await reader.read()).value)).toBe(": ping\n\n");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(decoder.decode((await reader.read()).value)).toBe(": ping\n\n");

    await reader.cancel();
    await waitForFake(() => seen.finallyRan);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sets no timer with keepAliveMs: false", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "setTimeout", "clearTimeout"] });
    const handler = router.fetchHandler({ keepAliveMs: false });
    const response = await handler(new Request(`http://x/chat/room${query({ room: "lobby" })}`));
    const reader = response.body!.getReader();
    await reader.read();
    expect(vi.getTimerCount()).toBe(0);
    await reader.cancel();
  });
});

/** `waitFor` without timers, for fake-timer tests: lets microtasks run. */
async function waitForFake(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !check(); i++) await Promise.resolve();
  expect(check()).toBe(true);
}

describe("fetch adapter: refused requests", () => {
  const errors: Array<{ code: string; info: ErrorInfo }> = [];
  const handler = router.fetchHandler({
    prefix: "/sse",
    maxBodyBytes: 100,
    onError: (error, info) => errors.push({ code: error.code, info }),
  });

  it("answers 400 PARSE_ERROR for ?input= that is not JSON and for a POST body that is not JSON", async () => {
    errors.length = 0;
    const get = await refusal(await handler(new Request("http://x/sse/ticker?input=%7Bnope")));
    expect([get.status, get.error.code]).toEqual([400, "PARSE_ERROR"]);
    const post = await refusal(
      await handler(new Request("http://x/sse/ticker", { method: "POST", headers: JSON_TYPE, body: "nope" })),
    );
    expect([post.status, post.error.code]).toEqual([400, "PARSE_ERROR"]);
    expect(errors).toEqual([
      { code: "PARSE_ERROR", info: { path: "ticker", phase: "request" } },
      { code: "PARSE_ERROR", info: { path: "ticker", phase: "request" } },
    ]);
  });

  it("answers 400 INVALID_INPUT with the zod issues", async () => {
    const { status, error } = await refusal(await handler(new Request(`http://x/sse/chat/room${query({ room: 1 })}`)));
    expect(status).toBe(400);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues).toEqual([expect.objectContaining({ path: ["room"], code: "invalid_type" })]);
  });

  it.each(["http://x/sse/nope", "http://x/other/ticker", "http://x/sse", "http://x/sse/%E0%A4%A"])(
    "answers 404 NOT_FOUND for %s",
    async (url) => {
      const { status, error } = await refusal(await handler(new Request(url)));
      expect(status).toBe(404);
      expect(error.code).toBe("NOT_FOUND");
    },
  );

  it.each(["PUT", "DELETE"])("answers 405 with Allow: GET, POST for %s", async (method) => {
    const { status, headers, error } = await refusal(await handler(new Request("http://x/sse/clock", { method })));
    expect(status).toBe(405);
    expect(headers.get("allow")).toBe("GET, POST");
    expect(error.code).toBe("METHOD_NOT_SUPPORTED");
  });

  it("answers 413 PAYLOAD_TOO_LARGE for a body over maxBodyBytes", async () => {
    const body = JSON.stringify({ room: "x".repeat(500) });
    const { status, error } = await refusal(
      await handler(new Request("http://x/sse/chat/room", { method: "POST", headers: JSON_TYPE, body })),
    );
    expect(status).toBe(413);
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers with the context's RivuletError status, and redacts a plain Error as 500", async () => {
    const ctxErrors: Array<[string, ErrorInfo, unknown]> = [];
    const secret = new Error("token table is corrupt");
    const guarded = router.fetchHandler({
      onError: (error, info) => ctxErrors.push([error.code, info, error.cause]),
      context: (request) => {
        if (request.headers.get("x-mode") === "crash") throw secret;
        throw new RivuletError("UNAUTHORIZED", "Sign in first.");
      },
    });
    const unauthorized = await refusal(await guarded(new Request("http://x/clock")));
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.error).toEqual({ code: "UNAUTHORIZED", message: "Sign in first." });

    const crashed = await guarded(new Request("http://x/clock", { headers: { "x-mode": "crash" } }));
    const raw = await crashed.clone().text();
    const internal = await refusal(crashed);
    expect(internal.status).toBe(500);
    expect(internal.error).toEqual({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error" });
    expect(raw).not.toContain("corrupt");
    expect(ctxErrors).toEqual([
      ["UNAUTHORIZED", { path: "clock", phase: "context" }, undefined],
      ["INTERNAL_SERVER_ERROR", { path: "clock", phase: "context" }, secret],
    ]);
  });

  it("gives handlers the ctx built by context", async () => {
    const ctxRouter = implement<typeof contract, { user: string }>(contract, {
      ticker: async function* () {},
      chat: { room: async function* () {} },
      clock: async function* ({ ctx }) {
        yield { event: "tick", data: { n: ctx.user.length } };
      },
    });
    const withCtx = ctxRouter.fetchHandler({ context: async (request) => ({ user: request.headers.get("x-user") ?? "" }) });
    const { events } = await readStream((await withCtx(new Request("http://x/clock", { headers: { "x-user": "bob" } }))).body);
    expect(events[0]!.data).toBe('{"n":3}');
  });
});
