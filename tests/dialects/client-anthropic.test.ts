/**
 * The typed client against an Anthropic-style messages stream, a `node:http`
 * server written from the public format: `POST /v1/messages` with a JSON body,
 * `x-api-key` and `anthropic-version`; a 200 `text/event-stream` of named
 * events (`message_start`, `content_block_start`, `ping`,
 * `content_block_delta`…, `content_block_stop`, `message_delta`,
 * `message_stop`), each with JSON data whose `type` repeats the name; failures
 * mid-stream as `event: error` with `{ type: "error", error: { type, message } }`.
 * The format documents that new event types may appear: the contract ignores
 * the names it does not list.
 */
import type http from "node:http";
import { createClient, RivuletError, type InferEvent } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { collect, createServerPool, rejection } from "../helpers/servers.js";

const Usage = z.object({ input_tokens: z.number().optional(), output_tokens: z.number() });
const MessagesRequest = z.object({
  model: z.string(),
  max_tokens: z.number().int().positive(),
  stream: z.literal(true),
  messages: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string() })),
});
const events = {
  message_start: z.object({
    type: z.literal("message_start"),
    message: z.object({
      id: z.string(),
      type: z.literal("message"),
      role: z.literal("assistant"),
      model: z.string(),
      content: z.array(z.unknown()),
      stop_reason: z.string().nullable(),
      stop_sequence: z.string().nullable(),
      usage: Usage,
    }),
  }),
  content_block_start: z.object({
    type: z.literal("content_block_start"),
    index: z.number(),
    content_block: z.object({ type: z.literal("text"), text: z.string() }),
  }),
  content_block_delta: z.object({
    type: z.literal("content_block_delta"),
    index: z.number(),
    delta: z.object({ type: z.literal("text_delta"), text: z.string() }),
  }),
  content_block_stop: z.object({ type: z.literal("content_block_stop"), index: z.number() }),
  message_delta: z.object({
    type: z.literal("message_delta"),
    delta: z.object({ stop_reason: z.string().nullable(), stop_sequence: z.string().nullable() }),
    usage: Usage,
  }),
  message_stop: z.object({ type: z.literal("message_stop") }),
};

const anthropic = defineContract({
  messages: stream({
    method: "POST",
    input: MessagesRequest,
    events,
    codec: "json",
    end: { event: "message_stop" }, // delivered, then the loop ends
    unknownEvents: "ignore", // ping, and any event type added later
    errorEvent: "error",
  }),
});

const KEY = "sk-ant-test";
const REQUEST = {
  model: "claude-test",
  max_tokens: 64,
  stream: true as const,
  messages: [{ role: "user" as const, content: "Hello" }],
};

/** The wire of one answer: `[name, data]` in order. */
type Block = [event: string, data: unknown];

const START: Block[] = [
  [
    "message_start",
    {
      type: "message_start",
      message: {
        id: "msg_01",
        type: "message",
        role: "assistant",
        model: REQUEST.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 9, output_tokens: 1 },
      },
    },
  ],
  ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
  ["ping", { type: "ping" }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } }],
];
const FINISH: Block[] = [
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: " there" } }],
  // An event type this contract (and this client) has never heard of.
  ["content_block_citation", { type: "content_block_citation", index: 0 }],
  ["content_block_stop", { type: "content_block_stop", index: 0 }],
  [
    "message_delta",
    { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 3 } },
  ],
  ["message_stop", { type: "message_stop" }],
];
const OVERLOADED = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };

/** What the server answers each request with, by its index from 0. */
type Answer = "complete" | "overloaded" | "drop";

const pool = createServerPool();
afterEach(() => pool.closeAll());

async function anthropicServer(answers: Answer[]): Promise<{ baseUrl: string; seen: Array<{ headers: http.IncomingHttpHeaders; body: unknown }> }> {
  const seen: Array<{ headers: http.IncomingHttpHeaders; body: unknown }> = [];
  const origin = await pool.start((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (piece: string) => (text += piece));
    req.on("end", () => {
      seen.push({ headers: req.headers, body: JSON.parse(text) });
      if (req.method !== "POST" || req.url !== "/v1/messages" || req.headers["x-api-key"] !== KEY) {
        const body = { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } };
        return void res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify(body));
      }
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
      const write = (blocks: Block[]): string => blocks.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join("");
      switch (answers[seen.length - 1] ?? "complete") {
        case "complete":
          // The stream ends on message_stop: the response is left open to show the client does not wait for the close.
          return void res.write(write([...START, ...FINISH]));
        case "overloaded":
          return void res.end(write([...START, ["error", OVERLOADED], ...FINISH]));
        case "drop":
          return void res.write(write(START), () => res.destroy());
      }
    });
  });
  return { baseUrl: `${origin}/v1`, seen };
}

function clientFor(baseUrl: string) {
  return createClient(anthropic, { baseUrl, headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" } });
}

/** The blocks the contract lists, as the loop should deliver them. */
const delivered = (blocks: Block[]) =>
  blocks.filter(([event]) => Object.hasOwn(events, event)).map(([event, data]) => ({ event, data, id: "" }));

describe("an Anthropic-style messages stream", () => {
  it("delivers the typed events in order, skips ping and an unknown type, delivers message_stop and ends, after ONE request", async () => {
    const server = await anthropicServer(["complete"]);
    const received = await collect(clientFor(server.baseUrl).messages(REQUEST));
    expect(received).toStrictEqual(delivered([...START, ...FINISH]));
    expect(received.map((e) => e.event)).toStrictEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const text = received.flatMap((e) => (e.event === "content_block_delta" ? [e.data.delta.text] : [])).join("");
    expect(text).toBe("Hello there");
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]?.body).toStrictEqual(REQUEST);
    expect(server.seen[0]?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(server.seen[0]?.headers["content-type"]).toBe("application/json");
  });

  it("an error event ends the loop with UPSTREAM_ERROR carrying its data, after the events before it; no retry", async () => {
    const server = await anthropicServer(["overloaded"]);
    const received: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of clientFor(server.baseUrl).messages(REQUEST)) received.push(event.event);
      })(),
    );
    expect(error).toBeInstanceOf(RivuletError);
    const { code, status, message, data } = error as RivuletError;
    expect({ code, status, message, data }).toStrictEqual({
      code: "UPSTREAM_ERROR",
      status: 502,
      message: "overloaded_error: Overloaded",
      data: OVERLOADED,
    });
    expect(received).toStrictEqual(["message_start", "content_block_start", "content_block_delta"]);
    expect(server.seen).toHaveLength(1);
  });

  it("a stream dropped after events (they carry no id) is NETWORK_ERROR, and exactly 1 request was made", async () => {
    const server = await anthropicServer(["drop"]);
    const received: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of clientFor(server.baseUrl).messages(REQUEST)) received.push(event.event);
      })(),
    );
    expect((error as RivuletError).code).toBe("NETWORK_ERROR");
    expect(received).toStrictEqual(["message_start", "content_block_start", "content_block_delta"]);
    expect(server.seen).toHaveLength(1);
  });

  it("a 401 with Anthropic's error body is UNAUTHORIZED with the body as data", async () => {
    const server = await anthropicServer([]);
    const client = createClient(anthropic, { baseUrl: server.baseUrl, headers: { "x-api-key": "wrong" } });
    const error = (await rejection(collect(client.messages(REQUEST)))) as RivuletError;
    expect([error.code, error.status, error.message]).toStrictEqual([
      "UNAUTHORIZED",
      401,
      "HTTP 401: authentication_error: invalid x-api-key",
    ]);
    expect(error.data).toStrictEqual({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
  });

  it("types: the union of the listed events (no ping, no error), each with its data, and a typed POST input", () => {
    type Event = InferEvent<typeof anthropic.messages>;
    expectTypeOf<Event["event"]>().toEqualTypeOf<
      "message_start" | "content_block_start" | "content_block_delta" | "content_block_stop" | "message_delta" | "message_stop"
    >();
    expectTypeOf<Extract<Event, { event: "content_block_delta" }>["data"]>().toEqualTypeOf<
      z.output<typeof events.content_block_delta>
    >();
    expectTypeOf<Extract<Event, { event: "message_delta" }>["data"]["usage"]["output_tokens"]>().toEqualTypeOf<number>();
    const client = clientFor("http://127.0.0.1:1/v1");
    expectTypeOf<Parameters<typeof client.messages>[0]>().toEqualTypeOf<z.input<typeof MessagesRequest>>();
    expectTypeOf(client.messages(REQUEST).events.message_stop).toEqualTypeOf<AsyncIterable<{ type: "message_stop" }>>();
    // @ts-expect-error -- ping is not one of the contract's events
    void client.messages(REQUEST).events.ping;
    // @ts-expect-error -- max_tokens is required
    void client.messages({ model: "m", stream: true, messages: [] });
  });
});
