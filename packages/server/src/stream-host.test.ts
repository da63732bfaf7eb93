import type { IncomingMessage } from "node:http";
import {
  END_EVENT,
  ERROR_EVENT,
  RivuletError,
  defineContract,
  stream,
} from "@rivulet/shared";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { implement } from "./implement.js";
import type { AdapterOptions, ErrorInfo, StreamHandler } from "./types.js";
import { closeAll, readStream, serve, waitFor } from "./test-utils/index.js";

afterEach(closeAll);

const contract = defineContract({
  numbers: stream({
    events: {
      // The types accept any number; only validation can refuse a negative one.
      n: z.object({ n: z.number().int().positive() }),
      labelled: z.object({ n: z.number(), label: z.string().default("none") }),
    },
  }),
});

type Handler = StreamHandler<(typeof contract)["numbers"], undefined>;

/** Serves one handler for `numbers` at `/numbers`, recording `onError` calls. */
async function start(handler: Handler, options: AdapterOptions<IncomingMessage, undefined> = {}) {
  const errors: Array<{ error: RivuletError; info: ErrorInfo }> = [];
  const router = implement(contract, { numbers: handler });
  const { origin } = await serve(router.node({ onError: (error, info) => errors.push({ error, info }), ...options }));
  return { url: `${origin}/numbers`, errors };
}

describe("invalid events", () => {
  it("ends the stream with rivulet:error INVALID_EVENT; the invalid data never reaches the wire", async () => {
    const state = { finallyRan: false, resumedAfterInvalid: false };
    const { url, errors } = await start(async function* () {
      try {
        yield { event: "n", data: { n: 1 } };
        yield { event: "n", data: { n: -424242 } };
        state.resumedAfterInvalid = true;
        yield { event: "n", data: { n: 2 } };
      } finally {
        state.finallyRan = true;
      }
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const { text, events, ended } = await readStream(response.body);
    expect(ended).toBe(true);
    expect(events.map((e) => e.event)).toEqual(["n", ERROR_EVENT]);
    expect(events[0]!.data).toBe('{"n":1}');
    const error = JSON.parse(events[1]!.data) as { code: string; message: string; issues: unknown[] };
    expect(error).toEqual({
      code: "INVALID_EVENT",
      message: expect.stringContaining('"n"'),
      issues: [expect.objectContaining({ path: ["n"], code: "too_small" })],
    });
    expect(text).not.toContain("424242");
    expect(text).not.toContain(END_EVENT);
    await waitFor(() => state.finallyRan, "the generator's finally");
    expect(state.resumedAfterInvalid).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error.code).toBe("INVALID_EVENT");
    expect(errors[0]!.info).toEqual({ path: "numbers", phase: "event" });
  });

  it("refuses an event name that is not in the contract", async () => {
    const { url, errors } = await start(async function* () {
      yield { event: "nope", data: { n: 1 } } as never;
    });
    const { text, events } = await readStream((await fetch(url)).body);
    expect(events).toHaveLength(1);
    expect(events[0]!.event).toBe(ERROR_EVENT);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ code: "INVALID_EVENT" });
    expect(text).not.toContain("event: nope");
    expect(errors[0]!.info.phase).toBe("event");
  });

  it("sends the schema's output (defaults applied) when validating", async () => {
    const { url } = await start(async function* () {
      yield { event: "labelled", data: { n: 1 } };
    });
    const { events } = await readStream((await fetch(url)).body);
    expect(JSON.parse(events[0]!.data)).toEqual({ n: 1, label: "none" });
  });

  it("with validate: false lets data through unvalidated", async () => {
    const { url, errors } = await start(
      async function* () {
        yield { event: "n", data: { n: -1 } };
        yield { event: "labelled", data: { n: 1 } };
      },
      { validate: false },
    );
    const { events } = await readStream((await fetch(url)).body);
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ["n", '{"n":-1}'],
      ["labelled", '{"n":1}'],
      [END_EVENT, ""],
    ]);
    expect(errors).toEqual([]);
  });

  it("writes id: and retry: when an event has them", async () => {
    const { url } = await start(async function* () {
      yield { event: "n", id: "a-1", retry: 2500, data: { n: 1 } };
      yield { event: "n", data: { n: 2 } };
    });
    const { text, events } = await readStream((await fetch(url)).body);
    expect(text.startsWith('event: n\nid: a-1\nretry: 2500\ndata: {"n":1}\n\nevent: n\ndata: {"n":2}\n\n')).toBe(true);
    expect(events[1]!.id).toBe("a-1");
  });
});

describe("handlers that throw", () => {
  it("redacts a plain Error: INTERNAL_SERVER_ERROR, 'Internal server error', no stack, no message", async () => {
    const thrown = new Error("secret connection string postgres://u:p@db");
    const { url, errors } = await start(async function* () {
      yield { event: "n", data: { n: 1 } };
      throw thrown;
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const { text, events, ended } = await readStream(response.body);
    expect(ended).toBe(true);
    expect(events.map((e) => e.event)).toEqual(["n", ERROR_EVENT]);
    expect(events[1]!.data).toBe('{"code":"INTERNAL_SERVER_ERROR","message":"Internal server error"}');
    expect(text).not.toContain("secret");
    expect(text).not.toContain("postgres");
    expect(text).not.toMatch(/\bat .*:\d+/);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.info).toEqual({ path: "numbers", phase: "stream" });
    expect(errors[0]!.error.cause).toBe(thrown);
  });

  it("sends a RivuletError's code and message as they are", async () => {
    const { url, errors } = await start(async function* () {
      throw new RivuletError("FORBIDDEN", "custom msg");
    });
    const { events } = await readStream((await fetch(url)).body);
    expect(events).toHaveLength(1);
    expect(events[0]!.event).toBe(ERROR_EVENT);
    expect(JSON.parse(events[0]!.data)).toEqual({ code: "FORBIDDEN", message: "custom msg" });
    expect(errors[0]!.error.code).toBe("FORBIDDEN");
    expect(errors[0]!.info.phase).toBe("stream");
  });

  it("redacts a non-Error throw too", async () => {
    const { url } = await start(async function* () {
      throw "a string with a secret";
    });
    const { text, events } = await readStream((await fetch(url)).body);
    expect(JSON.parse(events[0]!.data)).toEqual({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error" });
    expect(text).not.toContain("secret");
  });
});

/** A handler that yields nothing and waits for the client to leave. */
const idle: Handler = async function* ({ signal }) {
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
};

/**
 * Lets a test hand a handler its steps: each `release()` lets one `next()` in
 * the handler return, whichever of the two comes first.
 */
function steps() {
  let allowed = 0;
  let wake = (): void => {};
  return {
    async next(): Promise<void> {
      while (allowed === 0) await new Promise<void>((resolve) => (wake = resolve));
      allowed--;
    },
    release(): void {
      allowed++;
      wake();
    },
  };
}

/** Reads a body as it comes, for a test to wait on what has arrived so far. */
function follow(body: ReadableStream<Uint8Array> | null) {
  if (!body) throw new Error("response has no body");
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const seen = { text: "" };
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      seen.text += decoder.decode(value, { stream: true });
    }
  })();
  return seen;
}

const PING = ": ping\n\n";
const pings = (text: string): number => text.split(PING).length - 1;

// The keep-alive's interval is faked and moved by the test, half an interval (one tick) at a
// time, so that "silent for an interval" means the same on a busy machine; sockets stay real.
describe("keep-alive", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] }));
  afterEach(() => vi.useRealTimers());

  it("writes ': ping' comment lines on an idle stream, one per keepAliveMs", async () => {
    const { url } = await start(idle, { keepAliveMs: 50 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const seen = follow(response.body);
    for (let n = 1; n <= 3; n++) {
      vi.advanceTimersByTime(50);
      await waitFor(() => pings(seen.text) === n, `ping ${n}`);
    }
    expect(seen.text).toBe(PING.repeat(3));
  });

  it("runs no timer and writes nothing with keepAliveMs: false", async () => {
    const step = steps();
    const { url } = await start(
      async function* () {
        await step.next();
        yield { event: "n", data: { n: 1 } };
      },
      { keepAliveMs: false },
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    step.release();
    const { events, comments } = await readStream(response.body);
    expect(comments).toEqual([]);
    expect(events.map((e) => e.event)).toEqual(["n", END_EVENT]);
  });

  it("pings only after a whole silent interval: a stream that writes every half interval gets none", async () => {
    const step = steps();
    const { url } = await start(
      async function* () {
        for (let n = 1; n <= 6; n++) {
          await step.next();
          yield { event: "n", data: { n } };
        }
      },
      { keepAliveMs: 200 },
    );
    const response = await fetch(url);
    const seen = follow(response.body);
    for (let n = 1; n <= 6; n++) {
      vi.advanceTimersByTime(100);
      step.release();
      await waitFor(() => seen.text.includes(`{"n":${n}}`), `event ${n}`);
    }
    await waitFor(() => seen.text.includes(END_EVENT), "the end");
    expect(pings(seen.text)).toBe(0);
  });

  it("starts pinging once a stream falls silent", async () => {
    const { url } = await start(
      async function* ({ signal }) {
        yield { event: "n", data: { n: 1 } };
        yield { event: "n", data: { n: 2 } };
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
      { keepAliveMs: 50 },
    );
    const seen = follow((await fetch(url)).body);
    await waitFor(() => seen.text.includes('{"n":2}'), "both events");
    vi.advanceTimersByTime(25);
    vi.advanceTimersByTime(25);
    await waitFor(() => pings(seen.text) === 1, "a ping");
    expect(seen.text).toBe(`event: n\ndata: {"n":1}\n\nevent: n\ndata: {"n":2}\n\n${PING}`);
  });
});
