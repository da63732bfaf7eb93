/**
 * Issue 14: the documents describe what a Rivulet server really writes. The
 * fixture contract is served on a real socket; every event of every stream
 * (control events and refusals included) is read off the wire and validated
 * against the OpenAPI document's `itemSchema` (one `oneOf` entry must match),
 * then its data against that entry's `contentSchema`, and against the
 * AsyncAPI message's payload.
 */
import { implement } from "@rivulet/server";
import { RivuletError, superjsonCodec } from "@rivulet/shared";
import { toAsyncAPI, toOpenAPI } from "@rivulet/server/openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServerPool } from "../helpers/servers.js";
import { contract } from "./fixtures/contract.js";
import { ajv07, ajv2020, pointer, sseItems, type SseItem } from "./schemas.js";

const openapi = toOpenAPI(contract, { info: { title: "Fixture", version: "1" }, prefix: "/sse" });
const asyncapi = toAsyncAPI(contract, { info: { title: "Fixture", version: "1" }, prefix: "/sse" });
const OPENAPI = "https://rivulet.test/openapi.json";
const ASYNCAPI = "https://rivulet.test/asyncapi.json";

const AT = new Date("2026-12-03T09:00:00.000Z");
const router = implement(contract, {
  ticker: async function* ({ input }) {
    yield { event: "price", id: "1", data: { symbol: input.symbol, price: 101.5, at: AT } };
    yield { event: "price", id: "2", retry: 2000, data: { symbol: input.symbol, price: 102, at: new Date(AT.getTime() + 1000) } };
    yield { event: "halt", data: { reason: input.since === undefined ? "closed" : `closed since ${input.since.toISOString()}` } };
  },
  chat: {
    room: async function* ({ input }) {
      yield { event: "members", data: { count: 2 } };
      yield { event: "message", id: "m1", data: { from: "ada", text: `hello ${input.room}`, sentAt: AT } };
    },
    rooms: {
      list: async function* () {
        yield { event: "rooms", data: ["lobby", "dev"] };
      },
    },
  },
  article: async function* () {
    yield { event: "message", data: "Hello, this is the first sentence." };
    yield { event: "message", data: "Two lines:\nthe second one." };
  },
  completion: async function* ({ input }) {
    yield { event: "message", data: { delta: "Hel" } };
    if (input.prompt === "fail") throw new RivuletError("FORBIDDEN", "not this prompt");
    yield { event: "message", data: { delta: "lo", index: 1 } };
  },
  clock: async function* () {
    // A z.codec's handler yields its input form; the client gets the Date.
    yield { event: "tick", id: "t1", data: { at: AT.toISOString() } };
  },
  answer: async function* ({ input, signal }) {
    yield { event: "token", data: "Hel" };
    if (input.prompt === "fail") throw new RivuletError("FORBIDDEN", "not this prompt");
    // Held until stopped: the stop test's run.
    if (input.prompt === "hold") await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    // A yielded id or retry is not the run's: the wire carries the run's ids only.
    yield { event: "token", id: "mine", retry: 5, data: "lo" };
    yield { event: "done", data: { tokens: 2, at: AT } };
  },
  report: async function* () {
    yield { event: "line", data: { n: 1 } };
  },
});

const pool = createServerPool();
let origin = "";
beforeAll(async () => {
  origin = await pool.start(router.node({ prefix: "/sse", keepAliveMs: false }));
});
afterAll(() => pool.closeAll());

const ajv = ajv2020();
ajv.addSchema(openapi, OPENAPI);
const ajvAsync = ajv07();
ajvAsync.addSchema(asyncapi, ASYNCAPI);

/** The itemSchema's pointer for one operation. */
const itemPointer = (path: string, method: "get" | "post"): string[] => ["paths", path, method, "responses", "200", "content", "text/event-stream", "itemSchema"];

/** Checks one item against the document, and returns the title of the one `oneOf` entry it matches. */
function checkItem(path: string, method: "get" | "post", item: SseItem): string {
  const at = itemPointer(path, method);
  const whole = ajv.compile({ $ref: `${OPENAPI}#${pointer(...at)}` });
  expect(whole(item), `${path} ${JSON.stringify(item)}: ${ajv.errorsText(whole.errors)}`).toBe(true);
  const entries = (openapi.paths[path] as Record<string, any>)[method]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]["oneOf"] as Array<Record<string, any>>;
  const matching = entries.flatMap((entry, index) => (ajv.compile({ $ref: `${OPENAPI}#${pointer(...at, "oneOf", index)}` })(item) ? [index] : []));
  expect(matching, JSON.stringify(item)).toHaveLength(1);
  const index = matching[0] ?? -1;
  const entry = entries[index] ?? {};
  // OpenAPI validators do not check contentSchema by themselves: parse the data and check it here.
  if (entry["properties"]["data"]["contentSchema"] !== undefined) {
    const content = ajv.compile({ $ref: `${OPENAPI}#${pointer(...at, "oneOf", index, "properties", "data", "contentSchema")}` });
    expect(content(JSON.parse(item.data)), `${path} ${item.data}: ${ajv.errorsText(content.errors)}`).toBe(true);
  }
  return entry["title"] as string;
}

/** Checks an event's data against its AsyncAPI message payload: the channel's own, or a control event's, shared in `components`. */
function checkPayload(channel: string, message: string, item: SseItem, json: boolean): void {
  const at = message.startsWith("rivulet-") ? ["components", "messages", message, "payload"] : ["channels", channel, "messages", message, "payload"];
  const payload = ajvAsync.compile({ $ref: `${ASYNCAPI}#${pointer(...at)}` });
  expect(payload(json ? JSON.parse(item.data) : item.data), `${channel} ${item.data}`).toBe(true);
}

async function read(
  path: string,
  init?: RequestInit & { input?: unknown; query?: string },
): Promise<{ status: number; type: string | null; items: SseItem[]; text: string }> {
  const query = init?.input === undefined ? (init?.query ?? "") : `?input=${encodeURIComponent(JSON.stringify(init.input))}`;
  const response = await fetch(`${origin}${path}${query}`, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type"), items: response.status === 200 ? sseItems(text) : [], text };
}

describe("the documents against the wire", () => {
  it("ticker (GET): Dates with meta, ids and a retry, then rivulet:end", async () => {
    const { status, items } = await read("/sse/ticker", { input: { symbol: "ACME" } });
    expect(status).toBe(200);
    expect(items.map((item) => checkItem("/sse/ticker", "get", item))).toEqual(["price", "price", "halt", "rivulet:end"]);
    expect(items[0]?.meta).toBeDefined();
    expect(items[1]?.retry).toBe(2000);
    for (const item of items.slice(0, 2)) checkPayload("ticker", "price", item, true);
  });

  it("ticker (POST) with a Date in the input, sent with superjson's meta", async () => {
    const { data, meta } = superjsonCodec.encode({ symbol: "ACME", since: AT });
    expect(JSON.parse(data)).toEqual({ symbol: "ACME", since: AT.toISOString() });
    const response = await fetch(`${origin}/sse/ticker?meta=${encodeURIComponent(meta ?? "")}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: data,
    });
    const items = sseItems(await response.text());
    expect(items.map((item) => checkItem("/sse/ticker", "post", item))).toEqual(["price", "price", "halt", "rivulet:end"]);
    expect(JSON.parse(items[2]?.data ?? "")).toEqual({ reason: `closed since ${AT.toISOString()}` });
  });

  it("chat/room (POST only) and chat/rooms/list (GET, no input)", async () => {
    const room = await read("/sse/chat/room", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room: "lobby" }) });
    expect(room.items.map((item) => checkItem("/sse/chat/room", "post", item))).toEqual(["members", "message", "rivulet:end"]);
    checkPayload("chat.room", "message", room.items[1] ?? { data: "" }, true);
    const list = await read("/sse/chat/rooms/list");
    expect(list.items.map((item) => checkItem("/sse/chat/rooms/list", "get", item))).toEqual(["rooms", "rivulet:end"]);
  });

  it("article: plain text, unnamed messages, ended by the close", async () => {
    const { items } = await read("/sse/article");
    expect(items.map((item) => item.event)).toEqual([undefined, undefined]);
    expect(items.map((item) => checkItem("/sse/article", "get", item))).toEqual(["message", "message"]);
    for (const item of items) checkPayload("article", "message", item, false);
  });

  it("completion: unnamed JSON messages, then [DONE]; a failure is rivulet:error with the error schema", async () => {
    const done = await read("/sse/completion", { input: { prompt: "hi" } });
    expect(done.items.map((item) => checkItem("/sse/completion", "get", item))).toEqual(["message", "message", "end"]);
    for (const item of done.items.slice(0, 2)) checkPayload("completion", "message", item, true);
    const failed = await read("/sse/completion", { input: { prompt: "fail" } });
    expect(failed.items.map((item) => checkItem("/sse/completion", "get", item))).toEqual(["message", "rivulet:error"]);
    expect(JSON.parse(failed.items[1]?.data ?? "")).toEqual({ code: "FORBIDDEN", message: "not this prompt" });
    checkPayload("completion", "rivulet-error", failed.items[1] ?? { data: "" }, true);
  });

  it("clock: a z.codec's input form (the ISO string) on the wire, and an input left out", async () => {
    const { items } = await read("/sse/clock");
    expect(items.map((item) => checkItem("/sse/clock", "get", item))).toEqual(["tick", "rivulet:end"]);
    expect(JSON.parse(items[0]?.data ?? "")).toEqual({ at: AT.toISOString() });
  });

  it("refusals carry the error body the document describes", async () => {
    const body = ajv.compile({ $ref: `${OPENAPI}#/components/schemas/RivuletErrorBody` });
    const invalid = await read("/sse/ticker", { input: { symbol: "" } });
    expect(invalid.status).toBe(400);
    expect(body(JSON.parse(invalid.text))).toBe(true);
    expect(JSON.parse(invalid.text).error.code).toBe("INVALID_INPUT");
    const unsupported = await read("/sse/chat/room", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    expect(unsupported.status).toBe(415);
    expect(body(JSON.parse(unsupported.text))).toBe(true);
    expect((openapi.paths["/sse/chat/room"] as Record<string, any>)["post"]["responses"]).toHaveProperty("415");
    expect(body({ error: { code: "INVALID_INPUT" } })).toBe(false);
  });
});

/** The run id a run event's data holds. */
const runIdOf = (item: SseItem | undefined): string => (JSON.parse(item?.data ?? "{}") as { runId: string }).runId;

describe("the documents against the wire: durable runs", () => {
  it("answer (GET): the run event, the run's events with its ids, then rivulet:end; a join from the start and a resume read the same", async () => {
    const started = await read("/sse/answer", { input: { prompt: "hi" } });
    expect(started.status).toBe(200);
    expect(started.items.map((item) => checkItem("/sse/answer", "get", item))).toEqual(["rivulet:run", "token", "token", "done", "rivulet:end"]);
    const runId = runIdOf(started.items[0]);
    expect(started.items.map((item) => item.id)).toEqual([`${runId}:0`, `${runId}:1`, `${runId}:2`, `${runId}:3`, "rivulet:end"]);
    expect(started.items[2]?.retry).toBeUndefined();
    checkPayload("answer", "rivulet-run", started.items[0] ?? { data: "" }, true);
    checkPayload("answer", "done", started.items[3] ?? { data: "" }, true);

    const joined = await read("/sse/answer", { query: `?run=${runId}` });
    expect(joined.items.map((item) => checkItem("/sse/answer", "get", item))).toEqual(["rivulet:run", "token", "token", "done", "rivulet:end"]);
    const resumed = await read("/sse/answer", { headers: { "last-event-id": `${runId}:1` } });
    expect(resumed.items.map((item) => checkItem("/sse/answer", "get", item))).toEqual(["token", "done", "rivulet:end"]);
    const viaPost = await read("/sse/answer", { method: "POST", query: `?run=${runId}&lastEventId=${runId}:2` });
    expect(viaPost.items.map((item) => checkItem("/sse/answer", "post", item))).toEqual(["done", "rivulet:end"]);
  });

  it("answer: a run that fails ends with rivulet:error, as the document says", async () => {
    const { items } = await read("/sse/answer", { input: { prompt: "fail" } });
    expect(items.map((item) => checkItem("/sse/answer", "get", item))).toEqual(["rivulet:run", "token", "rivulet:error"]);
    checkPayload("answer", "rivulet-error", items[2] ?? { data: "" }, true);
  });

  it("report (POST only): started with a POST, joined with the document's GET", async () => {
    const started = await read("/sse/report", { method: "POST", headers: { "content-type": "application/json" } });
    expect(started.items.map((item) => checkItem("/sse/report", "post", item))).toEqual(["rivulet:run", "line", "rivulet:end"]);
    const joined = await read("/sse/report", { query: `?run=${runIdOf(started.items[0])}` });
    expect(joined.status).toBe(200);
    expect(joined.items.map((item) => checkItem("/sse/report", "get", item))).toEqual(["rivulet:run", "line", "rivulet:end"]);
    expect((openapi.paths["/sse/report"] as Record<string, any>)["get"]["operationId"]).toBe("join:report");
  });

  it("DELETE ?run= stops a running run (204), whose stream then ends; its refusals carry the error body the document lists", async () => {
    const response = await fetch(`${origin}/sse/answer?input=${encodeURIComponent(JSON.stringify({ prompt: "hold" }))}`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    // Up to the first token: the run is then held in its handler.
    while (sseItems(text).length < 2 || !text.endsWith("\n\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended early: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    const runId = runIdOf(sseItems(text)[0]);
    const stop = await fetch(`${origin}/sse/answer?run=${runId}`, { method: "DELETE" });
    expect(stop.status).toBe(204);
    const stops = (openapi.paths["/sse/answer"] as Record<string, any>)["delete"]["responses"] as Record<string, unknown>;
    expect(stops).toHaveProperty("204");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const items = sseItems(text);
    expect(items.map((item) => checkItem("/sse/answer", "get", item)).at(-1)).toBe("rivulet:end");

    const body = ajv.compile({ $ref: `${OPENAPI}#/components/schemas/RivuletErrorBody` });
    const refusals: Array<[string, RequestInit, number, string]> = [
      [`?run=${"A".repeat(22)}`, { method: "DELETE" }, 404, "RUN_NOT_FOUND"],
      [`?run=${"A".repeat(22)}`, {}, 404, "RUN_NOT_FOUND"],
      ["?run=short", { method: "DELETE" }, 400, "INVALID_INPUT"],
      ["", { method: "DELETE" }, 400, "INVALID_INPUT"],
      ["", { headers: { "last-event-id": "7" } }, 400, "INVALID_INPUT"],
    ];
    for (const [query, init, status, code] of refusals) {
      const refused = await read("/sse/answer", { ...init, query });
      expect(refused.status, `${init.method ?? "GET"} ${query}`).toBe(status);
      expect(body(JSON.parse(refused.text))).toBe(true);
      expect(JSON.parse(refused.text).error.code).toBe(code);
      const operation = (openapi.paths["/sse/answer"] as Record<string, any>)[(init.method ?? "GET").toLowerCase()];
      expect(operation["responses"]).toHaveProperty(String(status));
    }
    // 404 and 410 are the run refusals, with the codes they carry.
    expect(openapi.components.responses["RunNotFound"]?.["description"]).toContain("RUN_NOT_FOUND");
    expect(openapi.components.responses["RunGone"]?.["description"]).toMatch(/RUN_EXPIRED.*RUN_LOST/);
  });
});
