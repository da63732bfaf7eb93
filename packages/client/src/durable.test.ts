import { defineContract, RivuletError, stream } from "@rivulet/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient, type ClientOptions } from "./index.js";

const RUN = "RunRunRunRunRunRunRun1";
const OTHER = "OtherOtherOtherOther22";

const contract = defineContract({
  answer: stream({ durable: true, input: z.object({ q: z.string() }), events: { token: z.number() } }),
  posted: stream({ durable: true, method: "POST", input: z.object({ q: z.string() }), events: { token: z.number() } }),
});

/** A request as the fake fetch saw it. */
interface Seen {
  url: URL;
  method: string;
  headers: Headers;
  body: string | undefined;
}

type Reply = (request: Seen) => Response | Promise<Response>;

/**
 * A `fetch` that answers from a script, one reply per request, and records
 * each request. A request past the script fails the test.
 */
function scriptedFetch(replies: Reply[]): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fake: typeof fetch = async (input, init) => {
    const request: Seen = {
      url: new URL(String(input)),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : undefined,
    };
    seen.push(request);
    const reply = replies.shift();
    // A final refusal (418 is not retried), so that a test that asks too much fails at once.
    if (reply === undefined) return new Response(`unscripted request: ${request.method} ${request.url.href}`, { status: 418 });
    return reply(request);
  };
  return { fetch: fake, seen };
}

/** An event stream of `text`; it closes without `rivulet:end` unless the text holds one. */
function sse(text: string): Response {
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

const runEvent = (runId = RUN) => `event: rivulet:run\nid: ${runId}:0\ndata: {"runId":"${runId}"}\n\n`;
const token = (seq: number, value = seq, runId = RUN) => `event: token\nid: ${runId}:${seq}\ndata: ${value}\n\n`;
const END = "event: rivulet:end\nid: rivulet:end\ndata: \n\n";

function clientWith(replies: Reply[], options: Partial<ClientOptions> = {}) {
  const { fetch, seen } = scriptedFetch(replies);
  const client = createClient(contract, {
    baseUrl: "http://rivulet.test/sse",
    fetch,
    reconnect: { initialDelayMs: 0, maxDelayMs: 0 },
    ...options,
  });
  return { client, seen };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("a durable run's requests", () => {
  it("starts with the input, then reconnects to ?run=<id> with Last-Event-ID, without the input", async () => {
    const { client, seen } = clientWith([
      () => sse(runEvent() + token(1)),
      () => sse(token(2) + END),
    ]);
    const answer = client.answer({ q: "why" });
    const events = await collect(answer);
    expect(events).toStrictEqual([
      { event: "token", data: 1, id: `${RUN}:1`, runId: RUN },
      { event: "token", data: 2, id: `${RUN}:2`, runId: RUN },
    ]);
    expect(await answer.runId).toBe(RUN);
    const [start, resume] = seen;
    expect(start?.url.pathname).toBe("/sse/answer");
    expect(JSON.parse(start?.url.searchParams.get("input") ?? "")).toStrictEqual({ q: "why" });
    expect(start?.url.searchParams.has("run")).toBe(false);
    expect(start?.headers.has("last-event-id")).toBe(false);
    expect(resume?.url.search).toBe(`?run=${RUN}`);
    expect(resume?.method).toBe("GET");
    expect(resume?.headers.get("last-event-id")).toBe(`${RUN}:1`);
  });

  it("a POST stream starts with its body and joins with ?run= and no body", async () => {
    const { client, seen } = clientWith([() => sse(runEvent()), () => sse(token(1) + END)]);
    await collect(client.posted({ q: "why" }));
    expect(seen.map((request) => [request.method, request.url.search, request.body])).toStrictEqual([
      ["POST", "", '{"q":"why"}'],
      ["POST", `?run=${RUN}`, undefined],
    ]);
    expect(seen[1]?.headers.get("content-type")).toBe("application/json");
    expect(seen[1]?.headers.get("last-event-id")).toBe(`${RUN}:0`);
  });

  it("starts over when the first response broke before the run event (the orphan is the server's to stop)", async () => {
    const { client, seen } = clientWith([() => sse(": ping\n\n"), () => sse(runEvent(OTHER) + token(1, 1, OTHER) + END)]);
    const answer = client.answer({ q: "why" });
    expect(await collect(answer)).toStrictEqual([{ event: "token", data: 1, id: `${OTHER}:1`, runId: OTHER }]);
    expect(await answer.runId).toBe(OTHER);
    expect(seen.map((request) => request.url.searchParams.get("input"))).toStrictEqual(['{"q":"why"}', '{"q":"why"}']);
    expect(seen[1]?.headers.has("last-event-id")).toBe(false);
  });

  it("sends the client's headers on every request, a function's called anew each time", async () => {
    let calls = 0;
    const { client, seen } = clientWith([() => sse(runEvent()), () => sse(END), () => new Response(null, { status: 204 })], {
      headers: () => ({ authorization: `Bearer ${++calls}` }),
    });
    const answer = client.answer({ q: "why" });
    await collect(answer);
    await answer.stop();
    expect(seen.map((request) => request.headers.get("authorization"))).toStrictEqual(["Bearer 1", "Bearer 2", "Bearer 3"]);
  });
});

describe("exactly once", () => {
  it("drops an event the server repeats, within a response and across a resume", async () => {
    const { client } = clientWith([
      // An event without an id field carries the last one (sticky): a repeat of 2.
      () => sse(runEvent() + token(1) + token(2) + token(2) + token(1) + "event: token\ndata: 99\n\n" + token(3)),
      // A resume that replays from the start, run event included.
      () => sse(runEvent() + token(1) + token(2) + token(3) + token(4) + token(4) + END),
    ]);
    const events = await collect(client.answer({ q: "why" }));
    expect(events.map((ev) => ev.id)).toStrictEqual([1, 2, 3, 4].map((n) => `${RUN}:${n}`));
  });

  it("a join after lastEventId drops what the server sends up to it", async () => {
    const { client, seen } = clientWith([() => sse(token(2) + token(3) + token(4) + END)]);
    const events = await collect(client.answer.join(RUN, { lastEventId: `${RUN}:3` }));
    expect(events.map((ev) => ev.data)).toStrictEqual([4]);
    expect(seen[0]?.url.search).toBe(`?run=${RUN}`);
    expect(seen[0]?.headers.get("last-event-id")).toBe(`${RUN}:3`);
  });

  it("a call given a run's lastEventId joins that run instead of starting one (useStream after a remount)", async () => {
    const { client, seen } = clientWith([() => sse(token(3) + token(4) + END)]);
    const answer = client.answer({ q: "why" }, { lastEventId: `${RUN}:2` });
    const events = await collect(answer);
    expect(events.map((ev) => ev.data)).toStrictEqual([3, 4]);
    expect(await answer.runId).toBe(RUN);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url.search).toBe(`?run=${RUN}`);
    expect(seen[0]?.headers.get("last-event-id")).toBe(`${RUN}:2`);
    const error = (() => {
      try {
        client.answer({ q: "why" }, { lastEventId: "7" });
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).code).toBe("INVALID_INPUT");
  });

  it("refuses an event with no id (reset), or another run's, as BAD_RESPONSE (not retried)", async () => {
    for (const bad of ["event: token\nid:\ndata: 1\n\n", token(1, 1, OTHER), "event: token\nid: 7\ndata: 1\n\n"]) {
      const { client, seen } = clientWith([() => sse(runEvent() + bad)]);
      const error = await rejection(collect(client.answer({ q: "why" })));
      expect(error).toBeInstanceOf(RivuletError);
      expect(error).toMatchObject({ code: "BAD_RESPONSE" });
      expect(seen).toHaveLength(1);
    }
  });

  it("refuses a run event that names another run than the one joined, or is malformed", async () => {
    for (const bad of [runEvent(OTHER), `event: rivulet:run\nid: ${RUN}:0\ndata: {"runId":"short"}\n\n`, `event: rivulet:run\nid: ${RUN}:1\ndata: {"runId":"${RUN}"}\n\n`]) {
      const { client } = clientWith([() => sse(bad)]);
      expect(await rejection(collect(client.answer.join(RUN)))).toMatchObject({ code: "BAD_RESPONSE" });
    }
  });
});

describe("errors and ends", () => {
  it("throws rivulet:error RUN_LOST as a RivuletError, without a retry", async () => {
    const lost = `event: rivulet:error\ndata: {"code":"RUN_LOST","message":"The run's process died."}\n\n`;
    const { client, seen } = clientWith([() => sse(runEvent() + token(1) + lost)]);
    const got: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const ev of client.answer({ q: "why" })) got.push(ev.data);
      })(),
    );
    expect(error).toMatchObject({ name: "RivuletError", code: "RUN_LOST" });
    expect(got).toStrictEqual([1]);
    expect(seen).toHaveLength(1);
  });

  it.each([
    [404, "RUN_NOT_FOUND"],
    [410, "RUN_EXPIRED"],
    [410, "RUN_LOST"],
  ] as const)("throws a %i refusal of a join by its body's code, %s, without a retry", async (status, code) => {
    const body = JSON.stringify({ error: { code, message: "no" } });
    const { client, seen } = clientWith([() => new Response(body, { status, headers: { "content-type": "application/json" } })]);
    expect(await rejection(collect(client.answer.join(RUN)))).toMatchObject({ code, status });
    expect(seen).toHaveLength(1);
  });

  it("ends quietly on a 204 (a resume of an ended run with nothing left)", async () => {
    const { client } = clientWith([() => new Response(null, { status: 204 })]);
    expect(await collect(client.answer.join(RUN, { lastEventId: `${RUN}:9` }))).toStrictEqual([]);
  });

  it("rejects runId with the start's refusal; a later iteration and stop() get it too, and start nothing", async () => {
    const body = JSON.stringify({ error: { code: "UNAUTHORIZED", message: "who are you" } });
    const { client, seen } = clientWith([() => new Response(body, { status: 401 })]);
    const answer = client.answer({ q: "why" });
    expect(await rejection(collect(answer))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await rejection(answer.runId)).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await rejection(collect(answer))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await rejection(answer.stop())).toMatchObject({ code: "UNAUTHORIZED" });
    expect(seen).toHaveLength(1);
  });

  it("rejects runId when closed before the run event; an unread rejection is not unhandled", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { client } = clientWith([
      async () => {
        await held;
        return sse(runEvent());
      },
    ]);
    const unread = client.answer({ q: "never read" });
    const reading = collect(unread);
    unread.close();
    release();
    expect(await reading).toStrictEqual([]);
    // Not awaited here before the close: the no-op catch kept it from being an unhandled rejection.
    expect(await rejection(unread.runId)).toMatchObject({ code: "NETWORK_ERROR" });
  });

  it("rejects runId with BAD_RESPONSE when the stream ended before the run event", async () => {
    const { client } = clientWith([() => sse(END)]);
    const answer = client.answer({ q: "why" });
    expect(await collect(answer)).toStrictEqual([]);
    expect(await rejection(answer.runId)).toMatchObject({ code: "BAD_RESPONSE" });
  });
});

describe("join and stop by id", () => {
  it("refuses a malformed run id or a lastEventId not of that run, at once, with INVALID_INPUT", () => {
    const { client, seen } = clientWith([]);
    for (const runId of ["short", "has space in it, long enough", "", 42 as unknown as string]) {
      expect(() => client.answer.join(runId)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    }
    for (const lastEventId of ["5", `${OTHER}:3`, `${RUN}:x`, `${RUN}`, ""]) {
      expect(() => client.answer.join(RUN, { lastEventId })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    }
    expect(seen).toHaveLength(0);
  });

  it("resolves runId of a join at once", async () => {
    const { client } = clientWith([]);
    expect(await client.answer.join(RUN).runId).toBe(RUN);
  });

  it("stop(runId) sends DELETE ?run=<id> and resolves on 204", async () => {
    const { client, seen } = clientWith([() => new Response(null, { status: 204 })], { headers: { "x-user": "ann" } });
    await expect(client.answer.stop(RUN)).resolves.toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe("DELETE");
    expect(seen[0]?.url.href).toBe(`http://rivulet.test/sse/answer?run=${RUN}`);
    expect(seen[0]?.headers.get("x-user")).toBe("ann");
    expect(seen[0]?.body).toBeUndefined();
  });

  it.each([
    [404, "RUN_NOT_FOUND"],
    [410, "RUN_EXPIRED"],
    [410, "RUN_LOST"],
    [401, "UNAUTHORIZED"],
  ] as const)("stop throws a %i refusal by its body's code, %s", async (status, code) => {
    const body = JSON.stringify({ error: { code, message: "refused" } });
    const { client } = clientWith([() => new Response(body, { status })]);
    const error = await rejection(client.answer.stop(RUN));
    expect(error).toBeInstanceOf(RivuletError);
    expect(error).toMatchObject({ code, status, message: "refused" });
  });

  it("stop: a 5xx is thrown, not retried; a 200 is BAD_RESPONSE; a network failure NETWORK_ERROR", async () => {
    const broken = JSON.stringify({ error: { code: "INTERNAL_SERVER_ERROR", message: "oops" } });
    const { client, seen } = clientWith([
      () => new Response(broken, { status: 500 }),
      () => new Response("ok", { status: 200 }),
      () => Promise.reject(new TypeError("fetch failed")),
    ]);
    expect(await rejection(client.answer.stop(RUN))).toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
    expect(await rejection(client.answer.stop(RUN))).toMatchObject({ code: "BAD_RESPONSE", status: 200 });
    expect(await rejection(client.answer.stop(RUN))).toMatchObject({ code: "NETWORK_ERROR" });
    expect(seen).toHaveLength(3);
  });

  it("stop refuses a malformed id with INVALID_INPUT and sends nothing; an aborted signal rejects with its reason", async () => {
    const { client, seen } = clientWith([]);
    expect(await rejection(client.answer.stop("nope"))).toMatchObject({ code: "INVALID_INPUT" });
    const reason = new Error("changed my mind");
    expect(await rejection(client.answer.stop(RUN, { signal: AbortSignal.abort(reason) }))).toBe(reason);
    expect(seen).toHaveLength(0);
  });

  it("a subscription's stop() waits for the run's id, then sends DELETE for it", async () => {
    const { client, seen } = clientWith([
      () => sse(runEvent() + token(1)),
      () => new Response(null, { status: 204 }),
      () => sse(END),
    ]);
    const answer = client.answer({ q: "why" });
    const stopping = answer.stop();
    const iterator = answer[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ data: 1 });
    await stopping;
    expect(seen[1]?.method).toBe("DELETE");
    expect(seen[1]?.url.search).toBe(`?run=${RUN}`);
    expect(await iterator.next()).toStrictEqual({ done: true, value: undefined });
  });

  it("a subscription's stop() with a signal that aborts before the id is known rejects with its reason", async () => {
    const { client, seen } = clientWith([]);
    const controller = new AbortController();
    const stopping = client.answer({ q: "never started" }).stop({ signal: controller.signal });
    controller.abort(new Error("gave up"));
    expect(await rejection(stopping)).toMatchObject({ message: "gave up" });
    expect(seen).toHaveLength(0);
  });
});

describe("iterations", () => {
  it("a later iteration waits for the run's id and joins from the start; close() does not stop the run", async () => {
    const { client, seen } = clientWith([() => sse(runEvent() + token(1) + token(2) + END), () => sse(runEvent() + token(1) + token(2) + END)]);
    const answer = client.answer({ q: "why" });
    const [one, two] = await Promise.all([collect(answer), collect(answer)]);
    expect(two).toStrictEqual(one);
    expect(seen.map((request) => request.url.search)).toStrictEqual([`?input=${encodeURIComponent('{"q":"why"}')}`, `?run=${RUN}`]);
    expect(seen[1]?.headers.has("last-event-id")).toBe(false);
    answer.close();
    expect(seen.every((request) => request.method !== "DELETE")).toBe(true);
  });
});

describe("leaving an iteration that waits", () => {
  it("return() on a later iteration still waiting for the run's id ends it at once, and sends nothing", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { client, seen } = clientWith([
      async () => {
        await held;
        return sse(runEvent() + token(1) + END);
      },
    ]);
    const answer = client.answer({ q: "why" });
    const first = answer[Symbol.asyncIterator]();
    const starting = first.next();
    const later = answer[Symbol.asyncIterator]();
    const waiting = later.next();
    expect(await later.return?.()).toStrictEqual({ done: true, value: undefined });
    expect(await waiting).toStrictEqual({ done: true, value: undefined });
    release();
    expect((await starting).value).toMatchObject({ event: "token", data: 1, runId: RUN });
    expect(await first.next()).toStrictEqual({ done: true, value: undefined });
    expect(seen).toHaveLength(1);
  });
});

describe("options", () => {
  it("refuses options of the wrong type with INVALID_OPTION, naming the call", async () => {
    const { client, seen } = clientWith([]);
    expect(() => client.answer({ q: "why" }, { signal: "soon" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("answer(): signal must be an AbortSignal") }),
    );
    expect(() => client.answer.join(RUN, { onStateChange: true as never })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("answer.join(): onStateChange") }),
    );
    expect(() => client.answer.join(RUN, { lastEventId: 3 as never })).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
    expect(await rejection(client.answer.stop(RUN, { signal: {} as never }))).toMatchObject({ code: "INVALID_OPTION" });
    expect(await rejection(client.answer.join(RUN).stop(null as never))).toMatchObject({ code: "INVALID_OPTION" });
    expect(seen).toHaveLength(0);
  });
});
