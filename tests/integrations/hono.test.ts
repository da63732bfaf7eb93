import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { compress } from "hono/compress";
import { PREFIX, userFrom, type Ctx } from "./app.js";
import { closeServer } from "./listen.js";
import { describeStack, type Mounted } from "./suite.js";

/** Serves a Hono app with @hono/node-server, on a free port, with its own route at /api/health. */
async function listenHono(app: Hono<{ Variables: { user: Ctx | undefined } }>): Promise<Mounted> {
  app.get("/api/health", (c) => c.json({ ok: true }));
  let server: Server | undefined;
  const port = await new Promise<number>((resolve) => {
    // serve() without createServer options makes a node:http Server; its type is the union of all it can make.
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve(info.port)) as Server;
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    baseUrl: `${origin}${PREFIX}`,
    otherRoute: `${origin}/api/health`,
    close: () => (server ? closeServer(server) : Promise.resolve()),
  };
}

// The fetch adapter as a Hono route: the context reads the web Request Hono holds.
describeStack("Hono on @hono/node-server, router.fetchHandler({ prefix, context })", async ({ router }) => {
  const streams = router.fetchHandler({
    prefix: PREFIX,
    context: (request) => userFrom(request.headers.get("authorization")),
  });
  const app = new Hono<{ Variables: { user: Ctx | undefined } }>();
  app.all(`${PREFIX}/*`, (c) => streams(c.req.raw));
  return listenHono(app);
});

// A team whose auth is a Hono middleware (c.set("user", …)) hands its result to `context`
// through the Request, the one value both see: a WeakMap keyed by it, gone with the request.
describeStack("Hono, the user from a Hono middleware reaching context", async ({ router }) => {
  const users = new WeakMap<Request, Ctx>();
  const streams = router.fetchHandler({
    prefix: PREFIX,
    context: (request) => users.get(request) ?? userFrom(null),
  });
  const app = new Hono<{ Variables: { user: Ctx | undefined } }>();
  app.use(`${PREFIX}/*`, async (c, next) => {
    const header = c.req.header("authorization");
    c.set("user", header === undefined ? undefined : userFrom(header));
    await next();
  });
  app.all(`${PREFIX}/*`, (c) => {
    const user = c.get("user");
    if (user) users.set(c.req.raw, user);
    return streams(c.req.raw);
  });
  return listenHono(app);
});

// Hono's compress() leaves text/event-stream alone (its list of compressible types excludes it):
// the feed, which never ends by itself, delivers its events while it is open.
describeStack("Hono with compress() on every route", async ({ router }) => {
  const streams = router.fetchHandler({
    prefix: PREFIX,
    context: (request) => userFrom(request.headers.get("authorization")),
  });
  const app = new Hono<{ Variables: { user: Ctx | undefined } }>();
  app.use(compress());
  app.all(`${PREFIX}/*`, (c) => streams(c.req.raw));
  return listenHono(app);
});
