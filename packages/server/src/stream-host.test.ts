import type { IncomingMessage } from "node:http";
import {
  END_EVENT,
  ERROR_EVENT,
  RivuletError,
  defineContract,
  stream,
} from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { implement } from "./implement.js";
import type { AdapterOptions, ErrorInfo, StreamHandler } from "./types.js";
import { closeAll, readFor, readStream, serve, sleep, waitFor } from "./test-utils/index.js";

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

describe("keep-alive", () => {
  it("writes ': ping' comment lines on an idle stream every keepAliveMs", async () => {
    const { url } = await start(idle, { keepAliveMs: 50 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const { text, comments, events } = await readFor(response.body, 500);
    expect(events).toEqual([]);
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(new Set(comments)).toEqual(new Set(["ping"]));
    expect(text).toMatch(/^(: ping\n\n)+$/);
  });

  it("writes nothing with keepAliveMs: false over the same period", async () => {
    const { url } = await start(idle, { keepAliveMs: false });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const { text, ended } = await readFor(response.body, 500);
    expect(ended).toBe(false);
    expect(text).toBe("");
  });

  it("pings only after a whole idle interval: a stream busier than the interval gets none", async () => {
    const { url } = await start(
      async function* ({ signal }) {
        // Each yield's timer is due before the keep-alive's next tick, so the
        // stream is never idle for a whole interval, even on a slow machine.
        for (let n = 1; !signal.aborted; n++) {
          yield { event: "n", data: { n } };
          await sleep(10, undefined, { signal }).catch(() => {});
        }
      },
      { keepAliveMs: 200 },
    );
    const { comments, events } = await readFor((await fetch(url)).body, 700);
    expect(events.length).toBeGreaterThan(3);
    expect(comments).toEqual([]);
  });

  it("starts pinging once a stream falls idle", async () => {
    const { url } = await start(
      async function* ({ signal }) {
        yield { event: "n", data: { n: 1 } };
        yield { event: "n", data: { n: 2 } };
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
      { keepAliveMs: 50 },
    );
    const { text, comments } = await readFor((await fetch(url)).body, 500);
    expect(comments.length).toBeGreaterThanOrEqual(1);
    expect(text.startsWith('event: n\ndata: {"n":1}\n\nevent: n\ndata: {"n":2}\n\n: ping\n\n')).toBe(true);
  });
});
