import type { AddressInfo } from "node:net";
import { createClient } from "@rivulet/client";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { contract, createApp, PREFIX, userFrom, type App } from "./app.js";
import { describeStack, type Mounted } from "./suite.js";

/**
 * A Fastify app with its own JSON routes, and the streams in an encapsulated plugin: its
 * content-type parser leaves every body unread (the adapter reads a POST stream's body itself),
 * and `reply.hijack()` tells Fastify that the raw response is no longer its to send.
 */
async function serve({ router }: App, streamsParser: "unread" | "fastify's"): Promise<Mounted> {
  // Connections still open when the test closes the app are dropped rather than waited for.
  const app = Fastify({ forceCloseConnections: true });
  app.get("/api/health", async () => ({ ok: true }));
  app.post("/api/echo", async (request) => ({ got: request.body }));
  const streams = router.node({ prefix: PREFIX, bodyTimeoutMs: 1000, context: (req) => userFrom(req.headers.authorization) });
  await app.register(async (sse: FastifyInstance) => {
    if (streamsParser === "unread") {
      sse.removeAllContentTypeParsers();
      sse.addContentTypeParser("*", (_request, _payload, done) => done(null));
    }
    sse.all(`${PREFIX}/*`, (request, reply) => {
      reply.hijack();
      streams(request.raw, reply.raw);
    });
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { baseUrl: `${origin}${PREFIX}`, otherRoute: `${origin}/api/health`, close: () => app.close() };
}

describeStack("Fastify 5, reply.hijack() and a parser that leaves the body unread", (app) => serve(app, "unread"));

describe("Fastify 5 and POST bodies", () => {
  let running: Mounted | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("the app's own JSON routes outside the plugin still get their bodies parsed", async () => {
    running = await serve(createApp(), "unread");
    const origin = new URL(running.otherRoute).origin;
    const own = await fetch(`${origin}/api/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ x: 1 }),
    });
    expect(await own.json()).toStrictEqual({ got: { x: 1 } });
    const client = createClient(contract, { baseUrl: running.baseUrl, headers: { authorization: "Bearer erin" } });
    const chunks: unknown[] = [];
    for await (const chunk of client.echo({ text: "b", times: 1 }).events.chunk) chunks.push(chunk);
    expect(chunks).toStrictEqual([{ user: "erin", n: 1, text: "b" }]);
  });

  // Why the plugin replaces the parsers: Fastify's JSON parser reads the body before the handler
  // runs and keeps the value on its own request object, not on request.raw, where the adapter
  // could take it: the adapter says so at once rather than wait for bytes that never come.
  it("with Fastify's own JSON parser on the streams' route, a POST stream's body is gone: 500 saying to mount the adapter before the parser", async () => {
    running = await serve(createApp(), "fastify's");
    const response = await fetch(`${running.baseUrl}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer erin" },
      body: JSON.stringify({ text: "b", times: 1 }),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: { code: "INTERNAL_SERVER_ERROR" } });
  });

  it("a POST stream refuses a form with 415 even though the plugin's parser accepts every type", async () => {
    running = await serve(createApp(), "unread");
    const response = await fetch(`${running.baseUrl}/echo`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Bearer erin" },
      body: "text=b&times=1",
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
  });
});
