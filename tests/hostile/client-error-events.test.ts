/**
 * A server that crafts its errors: the `rivulet:error` event's data and the
 * 4xx JSON body are the server's to write, and they reach the consumer as a
 * RivuletError. What that error holds is checked: a known code (else
 * INTERNAL_SERVER_ERROR for an event; for a body, the code its status maps
 * to, as from a server that is not Rivulet), a string message of at most
 * 1024 characters, and of the first 100 issues those of the documented
 * shape, copied key by key.
 */
import type http from "node:http";
import { createClient } from "@rivulet/client";
import { RivuletError } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "../helpers/contract.js";
import { createServerPool, rejection } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const MAX_TEXT = 1024;
const MAX_ISSUES = 100;

/** Sends `data` as one event with an event stream's framing: each line of it its own `data:` line. */
function errorEvent(res: http.ServerResponse, data: string): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write('event: tick\ndata: 1\n\n');
  res.end(`event: rivulet:error\n${data.split("\n").map((line) => `data: ${line}\n`).join("")}\n`);
}

/** Answers with `status` and `body` as JSON. */
function errorBody(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
}

/** The RivuletError the subscription ends with, and the data delivered before it. */
async function failure(
  respond: (res: http.ServerResponse) => void,
  maxEventBytes?: number,
): Promise<{ error: RivuletError; received: number[] }> {
  const origin = await pool.start((_req, res) => respond(res));
  const client = createClient(contract, {
    baseUrl: `${origin}/sse`,
    reconnect: false,
    ...(maxEventBytes !== undefined && { maxEventBytes }),
  });
  const received: number[] = [];
  const error = await rejection(
    (async () => {
      for await (const event of client.feed()) received.push(event.data);
    })(),
  );
  expect(error).toBeInstanceOf(RivuletError);
  return { error: error as RivuletError, received };
}

const crafted = [
  { path: ["a", 0], message: "kept", code: "invalid_type" },
  "an issue that is a string",
  { path: ["b"], message: { toString: "function () { return 'pwned' }" } },
  { path: "b.c", message: "a path that is a string" },
  { path: [{ valueOf: "function () {}" }], message: "an object in the path" },
  { path: [], message: "a code that is an object", code: { name: "x" } },
  { path: ["x".repeat(2_000)], message: "a path key of 2,000 characters" },
  { path: Array.from({ length: 10_000 }, () => "deep"), message: "a path of 10,000 keys" },
  { path: [], message: "m".repeat(1_000_000), code: "custom" },
];
const kept = [
  { path: ["a", 0], message: "kept", code: "invalid_type" },
  { path: [], message: `${"m".repeat(MAX_TEXT)}…`, code: "custom" },
];

describe.each([
  ["a rivulet:error event", (res: http.ServerResponse, json: string) => errorEvent(res, json)],
  ["a 400 JSON error body", (res: http.ServerResponse, json: string) => errorBody(res, 400, `{"error":${json}}`)],
])("%s, crafted by the server", (what, send) => {
  // The error body is read up to 64 KiB: the 4xx cases send no field that could not fit.
  const small = what.startsWith("a 400");

  it("issues that are a string reach the consumer as no issues; the code and message as they are", async () => {
    const { error } = await failure((res) =>
      send(res, JSON.stringify({ code: "INVALID_INPUT", message: "bad input", issues: "everything" })),
    );
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toBe("bad input");
    expect(error.issues).toBeUndefined();
  });

  it("only issues of the documented shape, fresh objects with no other key, messages cut to 1024 characters", async () => {
    const issues = small ? crafted.filter((issue) => JSON.stringify(issue).length < 1_000) : crafted;
    const { error } = await failure((res) => send(res, JSON.stringify({ code: "INVALID_INPUT", message: "bad", issues })));
    expect(error.issues).toStrictEqual(small ? kept.slice(0, 1) : kept);
  });

  it("a message of 1 MB is cut; a message that is not a string is Unknown error; an unknown code is INTERNAL_SERVER_ERROR (event) or the status's (body)", async () => {
    const long = small ? "x".repeat(60_000) : "x".repeat(1_000_000);
    const { error: cutShort } = await failure((res) => send(res, JSON.stringify({ code: "FORBIDDEN", message: long })));
    expect(cutShort.code).toBe("FORBIDDEN");
    expect(cutShort.message).toBe(`${"x".repeat(MAX_TEXT)}…`);

    const teapot = JSON.stringify({ code: "TEAPOT", message: ["a", "b"] });
    const { error: notText } = await failure((res) => send(res, teapot));
    if (small) {
      // A code Rivulet does not know: not Rivulet's error body, so the status decides, and the body is data.
      expect(notText.code).toBe("BAD_REQUEST");
      expect(notText.message).toBe(`HTTP 400: {"error":${teapot}}`);
      expect(notText.data).toStrictEqual({ error: { code: "TEAPOT", message: ["a", "b"] } });
    } else {
      expect(notText.code).toBe("INTERNAL_SERVER_ERROR");
      expect(notText.message).toBe("Unknown error");
    }
  });

  it("__proto__ keys are plain data: nothing reaches a prototype, and an inherited name is no code", async () => {
    const json =
      '{"code":"__proto__","message":"m","__proto__":{"code":"FORBIDDEN"},' +
      '"issues":[{"__proto__":{"polluted":"yes"},"path":["__proto__","constructor"],"message":"p"}]}';
    const { error } = await failure((res) => send(res, json));
    if (small) {
      // Not a Rivulet error body (no known code): its JSON is data, where `__proto__` is an own key like any other.
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.issues).toBeUndefined();
      const data = error.data as { error: object };
      expect(Object.hasOwn(data.error, "__proto__")).toBe(true);
      expect(Object.getPrototypeOf(data.error)).toBe(Object.prototype);
    } else {
      expect(error.code).toBe("INTERNAL_SERVER_ERROR");
      expect(error.issues).toStrictEqual([{ path: ["__proto__", "constructor"], message: "p" }]);
      expect(Object.getPrototypeOf(error.issues?.[0])).toBe(Object.prototype);
    }
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});

describe("a rivulet:error event with a million issues", () => {
  it("keeps the first 100, and delivers the events before it", async () => {
    const issues = `[${Array.from({ length: 1_000_000 }, (_, i) => `{"path":[${i}],"message":"m"}`).join(",")}]`;
    // 26 MB of JSON: over the default maxEventBytes, which would end it with EVENT_TOO_LARGE first.
    const { error, received } = await failure(
      (res) => errorEvent(res, `{"code":"INVALID_INPUT","message":"bad","issues":${issues}}`),
      64 * 1024 * 1024,
    );
    expect(received).toStrictEqual([1]);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.issues).toHaveLength(MAX_ISSUES);
    expect(error.issues?.[MAX_ISSUES - 1]).toStrictEqual({ path: [MAX_ISSUES - 1], message: "m" });
  });
});
