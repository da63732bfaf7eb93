import http from "node:http";
import { createClient } from "@rivulet/client";
import compression from "compression";
import express, { type Express } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { contract, createApp, PREFIX, userFrom } from "./app.js";
import { closeServer, listen } from "./listen.js";
import { describeStack, type Mounted } from "./suite.js";

/** Listens with an Express app that has its own JSON route at /api/health. */
async function serve(app: Express): Promise<Mounted & { origin: string }> {
  app.get("/api/health", (_req, res) => {
    res.json({ ok: true });
  });
  const server = http.createServer(app);
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  return { origin, baseUrl: `${origin}${PREFIX}`, otherRoute: `${origin}/api/health`, close: () => closeServer(server) };
}

// The adapter given the prefix, mounted at the root: Rivulet calls next() for every other path.
describeStack("Express 5, app.use(router.node({ prefix }))", async ({ router }) => {
  const app = express();
  app.use(router.node({ prefix: PREFIX, context: (req) => userFrom(req.headers.authorization) }));
  return serve(app);
});

// Mounted at a path, Express strips it from req.url before the adapter sees it
// (`/sse/feed` arrives as `/feed`): the adapter then takes no prefix.
describeStack('Express 5, app.use("/sse", router.node())', async ({ router }) => {
  const app = express();
  app.use(PREFIX, router.node({ context: (req) => userFrom(req.headers.authorization) }));
  return serve(app);
});

// compression() gzips what it thinks compressible through a buffer it flushes only at the end;
// it leaves a response alone whose Cache-Control says no-transform, as Rivulet's streams do. The
// shared checks read events from a stream that stays open: held back, they would never arrive.
describeStack("Express 5 with compression() mounted before the streams", async ({ router }) => {
  const app = express();
  app.use(compression());
  app.use(router.node({ prefix: PREFIX, context: (req) => userFrom(req.headers.authorization) }));
  return serve(app);
});

describe("Express 5 with express.json()", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function start(order: "streams first" | "json first", maxBodyBytes?: number) {
    const { router } = createApp();
    const app = express();
    const streams = router.node({
      prefix: PREFIX,
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
      context: (req) => userFrom(req.headers.authorization),
    });
    if (order === "streams first") app.use(streams, express.json());
    else app.use(express.json(), streams);
    app.post("/api/echo", (req, res) => {
      res.json({ got: req.body as unknown });
    });
    const mounted = await serve(app);
    close = mounted.close;
    return mounted;
  }

  it("mounted after the streams, it parses the app's own JSON routes and leaves the streams' bodies alone", async () => {
    const { baseUrl, origin } = await start("streams first");
    const client = createClient(contract, { baseUrl, headers: { authorization: "Bearer dora" } });
    const chunks: unknown[] = [];
    for await (const chunk of client.echo({ text: "a", times: 2 }).events.chunk) chunks.push(chunk);
    expect(chunks).toStrictEqual([
      { user: "dora", n: 1, text: "a" },
      { user: "dora", n: 2, text: "a" },
    ]);
    const own = await fetch(`${origin}/api/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ x: 1 }),
    });
    expect(await own.json()).toStrictEqual({ got: { x: 1 } });
  });

  // express.json() has read the body to its end before the adapter runs: the adapter takes the
  // value it left on req.body, through the same size and input checks as a body it reads.
  it("mounted before the streams, it has already read a POST stream's body: the adapter takes req.body", async () => {
    const { baseUrl } = await start("json first");
    const client = createClient(contract, { baseUrl, headers: { authorization: "Bearer dora" } });
    const chunks: unknown[] = [];
    for await (const chunk of client.echo({ text: "a", times: 2 }).events.chunk) chunks.push(chunk);
    expect(chunks).toStrictEqual([
      { user: "dora", n: 1, text: "a" },
      { user: "dora", n: 2, text: "a" },
    ]);
  });

  it("a body express.json() has parsed still meets the adapter's maxBodyBytes: 413 PAYLOAD_TOO_LARGE", async () => {
    const { baseUrl } = await start("json first", 16);
    const response = await fetch(`${baseUrl}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer dora" },
      body: JSON.stringify({ text: "longer than sixteen bytes", times: 1 }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
  });
});
