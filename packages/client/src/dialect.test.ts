import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient, type ClientOptions } from "./index.js";
import { collect, createServerPool, openStream, rejection, sendEnd, type TestHandler } from "./test-utils/sse-server.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

/** Streams in the dialects of servers that are not Rivulet. */
const foreign = defineContract({
  article: stream({ events: { message: z.string() }, codec: "text", end: "close" }),
  done: stream({
    input: z.object({ prompt: z.string(), at: z.date() }),
    events: { message: z.object({ n: z.number() }) },
    codec: "json",
    method: "POST",
    end: { data: "[DONE]" },
  }),
  stop: stream({
    events: { delta: z.object({ text: z.string() }), stop: z.object({ tokens: z.number() }) },
    codec: "json",
    end: { event: "stop" },
  }),
  stopUnlisted: stream({ events: { delta: z.object({ text: z.string() }) }, codec: "json", end: { event: "stop" } }),
  tolerant: stream({ events: { delta: z.string() }, codec: "text", end: "close", unknownEvents: "ignore" }),
  strict: stream({ events: { delta: z.string() }, codec: "text", end: "close" }),
  failing: stream({ events: { delta: z.string() }, codec: "text", end: "close", errorEvent: "error" }),
  search: stream({ input: z.object({ q: z.string(), at: z.date() }), events: { hit: z.string() }, codec: "text", end: "close" }),
});

async function clientFor(handler: TestHandler, options: Partial<ClientOptions> = {}) {
  const server = await pool.start(handler);
  return { server, client: createClient(foreign, { baseUrl: `${server.origin}/v1`, ...options }) };
}

async function expectRivuletError(promise: Promise<unknown>): Promise<RivuletError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(RivuletError);
  return error as RivuletError;
}

const SENTENCES = ["Hello, this is the first sentence.", "Second: {not JSON}", "the third"];

describe('end: "close"', () => {
  it("reads bare data: lines as the text they are, and ends the loop when the server closes, after one request", async () => {
    const { server, client } = await clientFor((_req, res) => {
      openStream(res);
      for (const sentence of SENTENCES) res.write(`data: ${sentence}\n\n`);
      res.end();
    });
    const events = await collect(client.article());
    expect(events).toStrictEqual(SENTENCES.map((data) => ({ event: "message", data, id: "" })));
    expect(server.requests).toHaveLength(1);
  });

  it("ends the same way with reconnect: false: the close is no error", async () => {
    const { client } = await clientFor(
      (_req, res) => {
        openStream(res);
        res.end("data: only\n\n");
      },
      { reconnect: false },
    );
    expect((await collect(client.article())).map((e) => e.data)).toStrictEqual(["only"]);
  });

  it("drops an event the close cut in half, as the standard says, and still ends normally", async () => {
    const { client } = await clientFor((_req, res) => {
      openStream(res);
      res.end("data: whole\n\ndata: half");
    });
    expect((await collect(client.article())).map((e) => e.data)).toStrictEqual(["whole"]);
  });

  it("still fails on a broken connection (a chunked body cut short): NETWORK_ERROR, and not requested again after events", async () => {
    const { server, client } = await clientFor((_req, res) => {
      openStream(res);
      res.write("data: one\n\n", () => res.destroy());
    });
    const received: string[] = [];
    const error = await expectRivuletError(
      (async () => {
        for await (const event of client.article()) received.push(event.data);
      })(),
    );
    expect(error.code).toBe("NETWORK_ERROR");
    expect(received).toStrictEqual(["one"]);
    expect(server.requests).toHaveLength(1);
  });

  it("joins several data: lines with LF", async () => {
    const { client } = await clientFor((_req, res) => {
      openStream(res);
      res.end("data: one\ndata: two\n\n");
    });
    expect((await collect(client.article())).map((e) => e.data)).toStrictEqual(["one\ntwo"]);
  });

  it("still ends on rivulet:end, which a Rivulet server serving this dialect may send", async () => {
    const { client } = await clientFor((_req, res) => {
      openStream(res);
      res.write("data: one\n\n");
      sendEnd(res);
    });
    expect((await collect(client.article())).map((e) => e.data)).toStrictEqual(["one"]);
  });
});

describe("end: { data } (a sentinel)", () => {
  it("ends on the sentinel without decoding or delivering it, even if the response stays open", async () => {
    const { server, client } = await clientFor((_req, res) => {
      openStream(res);
      res.write('data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\ndata: {"n":3}\n\n');
    });
    const events = await collect(client.done({ prompt: "hi", at: new Date(0) }));
    expect(events).toStrictEqual([
      { event: "message", data: { n: 1 }, id: "" },
      { event: "message", data: { n: 2 }, id: "" },
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it("POSTs the input as plain JSON (no superjson meta, Dates as ISO strings) with the caller's headers", async () => {
    const { server, client } = await clientFor(
      (_req, res) => {
        openStream(res);
        res.end("data: [DONE]\n\n");
      },
      { headers: { authorization: "Bearer sk-test" } },
    );
    await collect(client.done({ prompt: "hi", at: new Date(0) }));
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url.pathname).toBe("/v1/done");
    expect(request?.url.search).toBe("");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers["authorization"]).toBe("Bearer sk-test");
    expect(request?.headers["accept"]).toBe("text/event-stream");
    expect(JSON.parse(request?.body ?? "")).toStrictEqual({ prompt: "hi", at: "1970-01-01T00:00:00.000Z" });
  });

  it("is the stream's method whatever the client's method option says", async () => {
    const { server, client } = await clientFor(
      (_req, res) => {
        openStream(res);
        res.end("data: [DONE]\n\n");
      },
      { method: "GET" },
    );
    await collect(client.done({ prompt: "hi", at: new Date(0) }));
    expect(server.requests[0]?.method).toBe("POST");
  });

  it("throws NETWORK_ERROR when the server closes before the sentinel, with reconnect: false", async () => {
    const { client } = await clientFor(
      (_req, res) => {
        openStream(res);
        res.end('data: {"n":1}\n\n');
      },
      { reconnect: false },
    );
    const error = await expectRivuletError(collect(client.done({ prompt: "hi", at: new Date(0) })));
    expect(error.code).toBe("NETWORK_ERROR");
  });
});

describe("a GET stream with plain JSON input", () => {
  it("sends ?input= as plain JSON and no meta=, even with a Date", async () => {
    const { server, client } = await clientFor((_req, res) => {
      openStream(res);
      res.end();
    });
    await collect(client.search({ q: "sse", at: new Date(0) }));
    const query = server.requests[0]?.url.searchParams;
    expect(server.requests[0]?.method).toBe("GET");
    expect(JSON.parse(query?.get("input") ?? "")).toStrictEqual({ q: "sse", at: "1970-01-01T00:00:00.000Z" });
    expect(query?.has("meta")).toBe(false);
  });
});

describe("end: { event }", () => {
  it("delivers the end event when the contract lists it, then ends", async () => {
    const { server, client } = await clientFor((_req, res) => {
      openStream(res);
      res.write('event: delta\ndata: {"text":"a"}\n\nevent: stop\ndata: {"tokens":3}\n\nevent: delta\ndata: {"text":"late"}\n\n');
    });
    expect(await collect(client.stop())).toStrictEqual([
      { event: "delta", data: { text: "a" }, id: "" },
      { event: "stop", data: { tokens: 3 }, id: "" },
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it("ends without delivering it when the contract does not list it", async () => {
    const { client } = await clientFor((_req, res) => {
      openStream(res);
      res.write('event: delta\ndata: {"text":"a"}\n\nevent: stop\ndata: anything\n\n');
    });
    expect(await collect(client.stopUnlisted())).toStrictEqual([{ event: "delta", data: { text: "a" }, id: "" }]);
  });
});

describe("unknownEvents", () => {
  const mixed: TestHandler = (_req, res) => {
    openStream(res);
    res.end("event: delta\ndata: a\n\nevent: ping\ndata: {}\n\nevent: new_kind\ndata: x\n\nevent: delta\ndata: b\n\n");
  };

  it('"ignore" skips event names the contract does not list', async () => {
    const { client } = await clientFor(mixed);
    expect((await collect(client.tolerant())).map((e) => e.data)).toStrictEqual(["a", "b"]);
  });

  it('"fail" (the default) throws INVALID_EVENT on the first one, after the events before it', async () => {
    const { client } = await clientFor(mixed);
    const received: string[] = [];
    const error = await expectRivuletError(
      (async () => {
        for await (const event of client.strict()) received.push(event.data);
      })(),
    );
    expect(error.code).toBe("INVALID_EVENT");
    expect(error.message).toContain('"ping"');
    expect(received).toStrictEqual(["a"]);
  });
});

describe("errorEvent", () => {
  it("throws UPSTREAM_ERROR with the parsed data and its message, after the events before it, with no retry", async () => {
    const body = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    const { server, client } = await clientFor((_req, res) => {
      openStream(res);
      res.write(`event: delta\ndata: before\n\nevent: error\ndata: ${JSON.stringify(body)}\n\nevent: delta\ndata: after\n\n`);
    });
    const received: string[] = [];
    const error = await expectRivuletError(
      (async () => {
        for await (const event of client.failing()) received.push(event.data);
      })(),
    );
    expect(received).toStrictEqual(["before"]);
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.status).toBe(502);
    expect(error.message).toBe("overloaded_error: Overloaded");
    expect(error.data).toStrictEqual(body);
    expect(server.requests).toHaveLength(1);
  });

  it("keeps data that is not JSON as its text, which is also the message", async () => {
    const { client } = await clientFor((_req, res) => {
      openStream(res);
      res.end("event: delta\ndata: a\n\nevent: error\ndata: it broke\n\n");
    });
    const error = await expectRivuletError(collect(client.failing()));
    expect(error.message).toBe("it broke");
    expect(error.data).toBe("it broke");
  });

  it("does not read data over 64 KiB: no data, a message that says so", async () => {
    const { client } = await clientFor((_req, res) => {
      openStream(res);
      res.end(`event: error\ndata: "${"x".repeat(70_000)}"\n\n`);
    });
    const error = await expectRivuletError(collect(client.failing()));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.data).toBeUndefined();
    expect(error.message).toBe('The server sent an "error" event of 70002 characters, over 65536: not read.');
  });

  it("cuts a long message to 1024 characters", async () => {
    const { client } = await clientFor((_req, res) => {
      openStream(res);
      res.end(`event: error\ndata: ${JSON.stringify({ message: "m".repeat(5_000) })}\n\n`);
    });
    const error = await expectRivuletError(collect(client.failing()));
    expect(error.message).toBe(`${"m".repeat(1024)}…`);
  });
});
