/**
 * Issue 14: `toAsyncAPI` writes the contract as an AsyncAPI 3.0 document that
 * `@asyncapi/parser` reads with no error, and that says what the contract
 * says: a channel per stream, a message per event, the server's protocol.
 */
import { Parser, DiagnosticSeverity, type Diagnostic } from "@asyncapi/parser";
import { RivuletError } from "@rivulet/shared";
import { toAsyncAPI, type AsyncAPIDocument } from "@rivulet/server/openapi";
import { describe, expect, it } from "vitest";
import { contract } from "./fixtures/contract.js";
import { ajv07 } from "./schemas.js";

const INFO = { title: "Fixture", version: "1.2.3", description: "The document tests' contract." };
const document = toAsyncAPI(contract, {
  info: INFO,
  servers: [{ url: "https://api.example.com/v1", description: "production" }, { url: "http://127.0.0.1:8080" }],
  prefix: "/sse",
});

type Json = Record<string, any>;

async function diagnose(doc: unknown): Promise<Diagnostic[]> {
  const { diagnostics } = await new Parser().parse(structuredClone(doc) as Record<string, unknown> & { asyncapi: string });
  return diagnostics;
}
const errors = (diagnostics: Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);

describe("toAsyncAPI: a valid AsyncAPI 3.0 document", () => {
  it("is read by @asyncapi/parser with no diagnostic of severity error", async () => {
    expect(document.asyncapi).toBe("3.0.0");
    const diagnostics = await diagnose(document);
    expect(errors(diagnostics)).toEqual([]);
    const { document: parsed } = await new Parser().parse(structuredClone(document) as never);
    expect(parsed?.channels().all().map((channel) => channel.address())).toEqual([
      "/sse/ticker",
      "/sse/chat/room",
      "/sse/chat/rooms/list",
      "/sse/article",
      "/sse/completion",
      "/sse/clock",
      "/sse/answer",
      "/sse/report",
    ]);
  });

  it("is refused by the parser when broken: the test can fail", async () => {
    const broken = structuredClone(document) as unknown as Json;
    broken["operations"]["ticker"]["action"] = "publish";
    expect(errors(await diagnose(broken)).length).toBeGreaterThan(0);
  });
});

describe("toAsyncAPI: what the document says", () => {
  it("has the info and each server's host, protocol and path", () => {
    expect(document.info).toEqual(INFO);
    expect(document.servers).toEqual({
      "api-example-com": { host: "api.example.com", protocol: "https", pathname: "/v1", description: "production" },
      "127-0-0-1-8080": { host: "127.0.0.1:8080", protocol: "http" },
    });
  });

  it("has a channel per stream, with a message per event and the control events", () => {
    expect(Object.keys(document.channels)).toEqual(["ticker", "chat.room", "chat.rooms.list", "article", "completion", "clock", "answer", "report"]);
    const ticker = document.channels["ticker"] as Json;
    expect(ticker["address"]).toBe("/sse/ticker");
    expect(Object.keys(ticker["messages"])).toEqual(["price", "halt", "rivulet-end", "rivulet-error"]);
    expect(ticker["messages"]["price"]).toMatchObject({
      name: "price",
      payload: {
        type: "object",
        properties: { symbol: { type: "string" }, price: { type: "number", exclusiveMinimum: 0 }, at: { type: "string", format: "date-time" } },
        required: ["symbol", "price", "at"],
      },
      headers: { properties: { id: { type: "string" }, retry: { type: "integer" }, meta: { type: "string" } } },
    });
    expect(ticker["messages"]["rivulet-end"]).toEqual({ $ref: "#/components/messages/rivulet-end" });
    expect(document.components.messages["rivulet-error"]).toMatchObject({
      name: "rivulet:error",
      payload: { $ref: "#/components/schemas/RivuletError" },
    });
    expect(document.components.messages["rivulet-end"]).toMatchObject({ name: "rivulet:end", payload: { const: "" } });
    // A text stream's message is text; one ended by the close has no end message.
    expect((document.channels["article"] as Json)["messages"]).toEqual({
      message: expect.objectContaining({ name: "message", contentType: "text/plain", payload: { type: "string" } }),
      "rivulet-error": { $ref: "#/components/messages/rivulet-error" },
    });
    // A json stream ended by [DONE] has that sentinel as a message.
    expect((document.channels["completion"] as Json)["messages"]["end"]).toMatchObject({ name: "message", payload: { const: "[DONE]" } });
    expect((document.channels["completion"] as Json)["messages"]["message"]["headers"]["properties"]).not.toHaveProperty("meta");
  });

  it("has a send operation per stream, with its method and its GET query in the HTTP binding", () => {
    expect(document.operations["ticker"]).toMatchObject({
      action: "send",
      channel: { $ref: "#/channels/ticker" },
      messages: [
        { $ref: "#/channels/ticker/messages/price" },
        { $ref: "#/channels/ticker/messages/halt" },
        { $ref: "#/channels/ticker/messages/rivulet-end" },
        { $ref: "#/channels/ticker/messages/rivulet-error" },
      ],
      bindings: {
        http: {
          method: "GET",
          bindingVersion: "0.3.0",
          query: { type: "object", required: ["input"], properties: { input: { type: "object", required: ["symbol"] }, meta: { type: "string" } } },
        },
      },
    });
    expect((document.operations["chat.room"] as Json)["bindings"]["http"]).toEqual({ method: "POST", bindingVersion: "0.3.0" });
    expect((document.operations["chat.rooms.list"] as Json)["bindings"]["http"]["query"]["properties"]).not.toHaveProperty("input");
  });

  it("has payloads in draft-07, which the draft-07 validator takes", () => {
    const ajv = ajv07();
    ajv.addSchema(document, "https://rivulet.test/asyncapi.json");
    const price = ajv.compile({ $ref: "https://rivulet.test/asyncapi.json#/channels/ticker/messages/price/payload" });
    expect(price({ symbol: "ACME", price: 101, at: "2026-12-03T09:00:00.000Z" })).toBe(true);
    expect(price({ symbol: "ACME", price: -1, at: "2026-12-03T09:00:00.000Z" })).toBe(false);
    const error = ajv.compile({ $ref: "https://rivulet.test/asyncapi.json#/components/messages/rivulet-error/payload" });
    expect(error(new RivuletError("INTERNAL_SERVER_ERROR", "Internal server error").toJSON())).toBe(true);
  });

  it("describes a durable stream: the run event, ids of <runId>:<n>, the run and lastEventId in the query, and a receive operation for the stop", () => {
    const answer = document.channels["answer"] as Json;
    expect(answer["x-rivulet-durable"]).toBe(true);
    expect(answer["description"]).toContain("durable");
    expect(Object.keys(answer["messages"])).toEqual(["token", "done", "rivulet-run", "rivulet-end", "rivulet-error", "rivulet-stop"]);
    expect(document.components.messages["rivulet-run"]).toMatchObject({
      name: "rivulet:run",
      payload: { type: "object", required: ["runId"], properties: { runId: { type: "string" } } },
      headers: { required: ["id"] },
    });
    expect(answer["messages"]["token"]["headers"]).toMatchObject({ required: ["id"], properties: { id: { pattern: expect.any(String) } } });
    expect(answer["messages"]["token"]["headers"]["properties"]).not.toHaveProperty("retry");
    const send = document.operations["answer"] as Json;
    expect(send["action"]).toBe("send");
    expect(send["x-rivulet-durable"]).toBe(true);
    expect(send["messages"]).not.toContainEqual({ $ref: "#/channels/answer/messages/rivulet-stop" });
    expect(send["bindings"]["http"]["query"]).not.toHaveProperty("required");
    expect(Object.keys(send["bindings"]["http"]["query"]["properties"])).toEqual(["run", "lastEventId", "input", "meta"]);
    expect(document.operations["answer.stop"]).toMatchObject({
      action: "receive",
      channel: { $ref: "#/channels/answer" },
      messages: [{ $ref: "#/channels/answer/messages/rivulet-stop" }],
      bindings: { http: { method: "DELETE", query: { required: ["run"], properties: { run: { type: "string" } } } } },
    });
    // A POST-only durable stream takes `run` in its query too.
    expect((document.operations["report"] as Json)["bindings"]["http"]).toMatchObject({ method: "POST", query: { properties: { run: { type: "string" } } } });
    expect(Object.keys(document.operations).filter((key) => key.endsWith(".stop"))).toEqual(["answer.stop", "report.stop"]);
    expect(JSON.stringify(document.channels["ticker"])).not.toContain("x-rivulet-durable");
    expect(toAsyncAPI({ ticker: contract.ticker }, { info: INFO }).components.messages).not.toHaveProperty("rivulet-run");
    const ajv = ajv07();
    ajv.addSchema(document, "https://rivulet.test/asyncapi-durable.json");
    const id = ajv.compile({ $ref: "https://rivulet.test/asyncapi-durable.json#/components/messages/rivulet-run/headers/properties/id" });
    expect(id("AAAAAAAAAAAAAAAAAAAAAA:0")).toBe(true);
    expect(id("AAAAAAAAAAAAAAAAAAAAAA:3")).toBe(false);
  });

  it("needs absolute http or https server URLs: INVALID_OPTION otherwise", () => {
    for (const url of ["/relative", "ws://example.com"]) {
      let caught: unknown;
      try {
        toAsyncAPI(contract, { info: INFO, servers: [{ url }] });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(RivuletError);
      expect((caught as RivuletError).code).toBe("INVALID_OPTION");
      expect((caught as RivuletError).message).toContain("toAsyncAPI(): servers[0].url must be an absolute http: or https: URL");
    }
  });

  it("leaves servers out when none is given", () => {
    const bare: AsyncAPIDocument = toAsyncAPI(contract, { info: INFO });
    expect(bare).not.toHaveProperty("servers");
  });
});
