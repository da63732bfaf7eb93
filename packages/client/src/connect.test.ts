import { RivuletError } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type ClientOptions } from "./index.js";
import { contract } from "./test-utils/contract.js";
import { collect, createServerPool, openStream, rejection, sendEnd, sendEvent, type TestHandler } from "./test-utils/sse-server.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

async function clientFor(handler: TestHandler, options: Partial<ClientOptions> = {}) {
  const server = await pool.start(handler);
  return createClient(contract, { baseUrl: `${server.origin}/sse`, ...options });
}

async function expectRivuletError(promise: Promise<unknown>): Promise<RivuletError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(RivuletError);
  return error as RivuletError;
}

describe("decoding events", () => {
  it("yields the union { event, data, id } in the order the server sent it", async () => {
    const client = await clientFor((_req, res) => {
      openStream(res);
      res.write('event: price\nid: 1\ndata: {"symbol":"ACME","price":1,"at":"2024-01-02T03:04:05.000Z"}\n');
      res.write('meta: {"values":{"at":["Date"]}}\n\n');
      res.write('event: halt\nid: 2\ndata: {"reason":"close"}\n\n');
      sendEvent(res, "price", { symbol: "ACME", price: 2, at: new Date(0) }, "3");
      sendEnd(res);
    });
    expect(await collect(client.ticker({ symbol: "ACME" }))).toStrictEqual([
      { event: "price", data: { symbol: "ACME", price: 1, at: new Date("2024-01-02T03:04:05.000Z") }, id: "1" },
      { event: "halt", data: { reason: "close" }, id: "2" },
      { event: "price", data: { symbol: "ACME", price: 2, at: new Date(0) }, id: "3" },
    ]);
  });

  it("restores Date, Map, Set, BigInt and undefined from superjson's meta", async () => {
    const snapshot = {
      at: new Date("2024-05-06T07:08:09.010Z"),
      counts: new Map([
        ["a", 1n],
        ["b", 2n ** 70n],
      ]),
      tags: new Set(["x", "y"]),
      total: -(2n ** 64n),
      note: undefined,
      samples: [1, undefined, 3],
    };
    const client = await clientFor((_req, res) => {
      openStream(res);
      sendEvent(res, "snapshot", snapshot);
      sendEnd(res);
    });
    const [event] = await collect(client.rich());
    expect(event?.data).toStrictEqual(snapshot);
    expect(event?.data).toHaveProperty("note", undefined);
    expect(event?.data.at).toBeInstanceOf(Date);
    expect(event?.data.counts).toBeInstanceOf(Map);
    expect(event?.data.tags).toBeInstanceOf(Set);
    expect(typeof event?.data.total).toBe("bigint");
  });

  it("keeps the id sticky: an event without id carries the last one", async () => {
    const client = await clientFor((_req, res) => {
      openStream(res);
      res.write('event: halt\ndata: {"reason":"a"}\n\n');
      res.write('event: halt\nid: 7\ndata: {"reason":"b"}\n\n');
      res.write('event: halt\ndata: {"reason":"c"}\n\n');
      sendEnd(res);
    });
    const events = await collect(client.ticker({ symbol: "ACME" }));
    expect(events.map((event) => event.id)).toStrictEqual(["", "7", "7"]);
  });

  it("starts the sticky id from the lastEventId call option", async () => {
    const client = await clientFor((_req, res) => {
      openStream(res);
      res.write('event: halt\ndata: {"reason":"resumed"}\n\n');
      sendEnd(res);
    });
    const events = await collect(client.ticker({ symbol: "ACME" }, { lastEventId: "41" }));
    expect(events).toStrictEqual([{ event: "halt", data: { reason: "resumed" }, id: "41" }]);
  });

  it("ignores comments (keep-alives) and ends the loop normally on rivulet:end", async () => {
    const client = await clientFor((_req, res) => {
      openStream(res);
      res.write(": ping\n\n");
      res.write("event: tick\ndata: 1\n\n: ping\n\n");
      // The end event ends the loop even though the response stays open.
      res.write("event: rivulet:end\ndata: \n\n");
    });
    expect(await collect(client.noInput())).toStrictEqual([{ event: "tick", data: 1, id: "" }]);
  });

  it("throws the server's rivulet:error as a RivuletError with its code", async () => {
    const client = await clientFor((_req, res) => {
      openStream(res);
      res.write("event: tick\ndata: 1\n\n");
      res.end('event: rivulet:error\ndata: {"code":"FORBIDDEN","message":"not yours"}\n\n');
    });
    const received: unknown[] = [];
    const error = await expectRivuletError(
      (async () => {
        for await (const event of client.noInput()) received.push(event.data);
      })(),
    );
    expect(received).toStrictEqual([1]);
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toBe("not yours");
  });

  it("throws NETWORK_ERROR, with reconnect: false, when the body ends without the end event", async () => {
    const client = await clientFor(
      (_req, res) => {
        openStream(res);
        res.write("event: tick\ndata: 1\n\n");
        // An unterminated event is discarded, not delivered.
        res.end("event: tick\ndata: 2\n");
      },
      { reconnect: false },
    );
    const received: unknown[] = [];
    const error = await expectRivuletError(
      (async () => {
        for await (const event of client.noInput()) received.push(event.data);
      })(),
    );
    expect(received).toStrictEqual([1]);
    expect(error.code).toBe("NETWORK_ERROR");
  });

  it("throws NETWORK_ERROR, with reconnect: false, when the connection is refused", async () => {
    const port = await pool.closedPort();
    const client = createClient(contract, { baseUrl: `http://127.0.0.1:${port}/sse`, reconnect: false });
    const error = await expectRivuletError(collect(client.noInput()));
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.cause).toBeDefined();
  });
});

describe("responses that are not a stream", () => {
  it("turns a 400 JSON error body into its RivuletError: code, message, status, issues", async () => {
    const issues = [{ path: ["symbol"], message: "Expected string", code: "invalid_type" }];
    const client = await clientFor((_req, res) => {
      res.writeHead(400, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ error: { code: "INVALID_INPUT", message: 'Invalid input for "ticker".', issues } }));
    });
    const error = await expectRivuletError(collect(client.ticker({ symbol: "ACME" })));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toBe('Invalid input for "ticker".');
    expect(error.status).toBe(400);
    expect(error.issues).toStrictEqual(issues);
  });

  it("throws NOT_FOUND with the status and the text as data for a 404 that is not JSON", async () => {
    const client = await clientFor((_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not Found");
    });
    const error = await expectRivuletError(collect(client.noInput()));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.status).toBe(404);
    expect(error.message).toBe("HTTP 404: Not Found");
    expect(error.data).toBe("Not Found");
  });

  it("throws BAD_RESPONSE for a 200 that is text/html", async () => {
    const client = await clientFor((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><p>event: tick</p>");
    });
    const error = await expectRivuletError(collect(client.noInput()));
    expect(error.code).toBe("BAD_RESPONSE");
    expect(error.message).toContain("text/html");
  });

  it("ends with no events on 204", async () => {
    const client = await clientFor((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    expect(await collect(client.noInput())).toStrictEqual([]);
  });
});

describe("events that break the contract", () => {
  const badPrice: TestHandler = (_req, res) => {
    openStream(res);
    res.write('event: price\ndata: {"symbol":"ACME","price":"free","at":"2024-01-02T03:04:05.000Z"}\n');
    res.write('meta: {"values":{"at":["Date"]}}\n\n');
    sendEnd(res);
  };

  it("throws INVALID_EVENT, with the schema's issues, for data that fails its schema", async () => {
    const client = await clientFor(badPrice);
    const error = await expectRivuletError(collect(client.ticker({ symbol: "ACME" })));
    expect(error.code).toBe("INVALID_EVENT");
    expect(error.issues?.map((issue) => issue.path)).toStrictEqual([["price"]]);
  });

  it("passes the same data through with validate: false", async () => {
    const client = await clientFor(badPrice, { validate: false });
    const events = await collect(client.ticker({ symbol: "ACME" }));
    expect(events).toStrictEqual([
      { event: "price", data: { symbol: "ACME", price: "free", at: new Date("2024-01-02T03:04:05.000Z") }, id: "" },
    ]);
  });

  it("throws INVALID_EVENT for an event name the contract does not have", async () => {
    const client = await clientFor((_req, res) => {
      openStream(res);
      res.write('event: gossip\ndata: {"text":"psst"}\n\n');
      sendEnd(res);
    });
    const error = await expectRivuletError(collect(client.ticker({ symbol: "ACME" })));
    expect(error.code).toBe("INVALID_EVENT");
    expect(error.message).toContain("gossip");
  });

  it("throws INVALID_EVENT for data that is not JSON", async () => {
    const client = await clientFor((_req, res) => {
      openStream(res);
      res.write("event: tick\ndata: {oops\n\n");
      sendEnd(res);
    });
    const error = await expectRivuletError(collect(client.noInput()));
    expect(error.code).toBe("INVALID_EVENT");
  });
});
