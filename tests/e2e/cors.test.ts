import type http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createClient, RivuletError } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
import { implement, type CorsOptions } from "@rivulet/server";
import express from "express";
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { collect, createServerPool, fetchToNode, rejection } from "../helpers/servers.js";
import { selfSignedCertificate } from "../helpers/tls.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const PAGE = "http://127.0.0.1:5173";
const EVIL = "http://127.0.0.1:6666";

const contract = defineContract({
  feed: stream({ events: { n: z.number() } }),
  ask: stream({ method: "POST", input: z.object({ q: z.string() }), events: { answer: z.string() } }),
});

interface Ctx {
  user: string;
}

/** What ran on the server: `context` calls and handlers started, and every error reported. */
function createApp(cors: CorsOptions) {
  const log = { contexts: 0, handlers: [] as string[], errors: [] as string[] };
  const router = implement<typeof contract, Ctx>(contract, {
    feed: async function* ({ ctx }) {
      log.handlers.push(`feed:${ctx.user}`);
      yield { event: "n", id: "1", data: 1 };
    },
    ask: async function* ({ input, ctx }) {
      log.handlers.push(`ask:${ctx.user}`);
      yield { event: "answer", id: "1", data: `${ctx.user} asked ${input.q}` };
    },
  });
  const authorize = (authorization: string | null | undefined): Ctx => {
    log.contexts++;
    if (authorization !== "Bearer good") throw new RivuletError("UNAUTHORIZED", "Sign in first.");
    return { user: "ada" };
  };
  const options = { prefix: "/sse", cors, onError: (error: RivuletError) => void log.errors.push(error.code) };
  return {
    log,
    node: router.node({ ...options, context: (req) => authorize(req.headers.authorization) }),
    fetch: router.fetchHandler({ ...options, context: (request) => authorize(request.headers.get("authorization")) }),
  };
}

type App = ReturnType<typeof createApp>;
const adapters: ReadonlyArray<readonly [string, (app: App) => http.RequestListener]> = [
  ["router.node", (app) => app.node],
  ["router.fetchHandler", (app) => fetchToNode(app.fetch)],
];

const corsOf = (response: Response): Record<string, string> =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-") || name === "vary"));

describe.each(adapters)("CORS over %s, on a real socket", (_name, listener) => {
  async function start(cors: CorsOptions = { origin: [PAGE], credentials: true, maxAge: 600 }) {
    const app = createApp(cors);
    return { app, origin: await pool.start(listener(app)) };
  }

  it("answers the preflight of a POST with Authorization and Content-Type, and runs nothing for it", async () => {
    const { app, origin } = await start();
    const response = await fetch(`${origin}/sse/ask`, {
      method: "OPTIONS",
      headers: {
        origin: PAGE,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(corsOf(response)).toEqual({
      vary: "Origin",
      "access-control-allow-origin": PAGE,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "Last-Event-ID, Authorization, Content-Type",
      "access-control-max-age": "600",
      "access-control-expose-headers": "Retry-After",
    });
    expect(app.log).toEqual({ contexts: 0, handlers: [], errors: [] });
  });

  it("streams to an allowed origin with its allow headers, and the typed client reads it", async () => {
    const { app, origin } = await start();
    const response = await fetch(`${origin}/sse/feed`, { headers: { origin: PAGE, authorization: "Bearer good" } });
    expect(response.status).toBe(200);
    expect(corsOf(response)).toMatchObject({ vary: "Origin", "access-control-allow-origin": PAGE, "access-control-allow-credentials": "true" });
    await response.body?.cancel();

    const client = createClient(contract, {
      baseUrl: `${origin}/sse`,
      headers: { origin: PAGE, authorization: "Bearer good" },
      reconnect: false,
    });
    expect(await collect(client.ask({ q: "why" }))).toEqual([{ event: "answer", data: "ada asked why", id: "1" }]);
    expect(app.log.handlers).toEqual(["feed:ada", "ask:ada"]);
  });

  it("gives an allowed origin its 401 with the allow headers, so that a page can read UNAUTHORIZED", async () => {
    const { origin } = await start();
    const response = await fetch(`${origin}/sse/feed`, { headers: { origin: PAGE } });
    expect(response.status).toBe(401);
    expect(corsOf(response)).toMatchObject({ "access-control-allow-origin": PAGE, vary: "Origin" });
    expect(await response.json()).toEqual({ error: { code: "UNAUTHORIZED", message: "Sign in first." } });
  });

  it("refuses an origin not allowed with 403 and no allow header, its preflight too; no context, no handler", async () => {
    const { app, origin } = await start();
    const get = await fetch(`${origin}/sse/feed`, { headers: { origin: EVIL, authorization: "Bearer good" } });
    const preflight = await fetch(`${origin}/sse/ask`, {
      method: "OPTIONS",
      headers: { origin: EVIL, "access-control-request-method": "POST" },
    });
    for (const response of [get, preflight]) {
      expect(response.status).toBe(403);
      expect(corsOf(response)).toEqual({ vary: "Origin" });
      expect(await response.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    }
    const client = createClient(contract, { baseUrl: `${origin}/sse`, headers: { origin: EVIL, authorization: "Bearer good" } });
    expect(await rejection(collect(client.ask({ q: "x" })))).toMatchObject({ code: "FORBIDDEN", status: 403 });
    expect(app.log).toEqual({ contexts: 0, handlers: [], errors: ["FORBIDDEN", "FORBIDDEN", "FORBIDDEN"] });
  });

  it("sends no Allow-Credentials without credentials, and * for any origin", async () => {
    const { origin } = await start({ origin: "*" });
    const response = await fetch(`${origin}/sse/feed`, { headers: { origin: EVIL, authorization: "Bearer good" } });
    expect(response.status).toBe(200);
    expect(corsOf(response)).toEqual({
      vary: "Origin",
      "access-control-allow-origin": "*",
      "access-control-expose-headers": "Retry-After",
    });
    await response.body?.cancel();
  });

  it("sends Vary alone to a request without Origin", async () => {
    const { origin } = await start();
    const response = await fetch(`${origin}/sse/feed`, { headers: { authorization: "Bearer good" } });
    expect(response.status).toBe(200);
    expect(corsOf(response)).toEqual({ vary: "Origin" });
    await response.body?.cancel();
  });
});

describe("CORS with Express", () => {
  it("passes a path outside the prefix to next(), preflight included, without touching its headers", async () => {
    const app = createApp({ origin: PAGE });
    const server = express();
    server.use(app.node);
    server.options("/api/thing", (_req, res) => void res.status(200).send("express answered"));
    const origin = await pool.start(server);
    const response = await fetch(`${origin}/api/thing`, {
      method: "OPTIONS",
      headers: { origin: PAGE, "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("express answered");
    expect(corsOf(response)).toEqual({});

    const inside = await fetch(`${origin}/sse/ask`, { method: "OPTIONS", headers: { origin: PAGE, "access-control-request-method": "POST" } });
    expect(inside.status).toBe(204);
    expect(corsOf(inside)).toMatchObject({ "access-control-allow-origin": PAGE, "access-control-allow-methods": "POST" });
  });
});

describe("CORS over node:http2", () => {
  it("reads the request's own host from :authority, and allows a listed origin", async () => {
    const { key, cert } = selfSignedCertificate();
    const app = createApp({ origin: [PAGE] });
    // router.node()'s types name node:http's request and response; node:http2's compatibility API serves it.
    const server = http2.createSecureServer({ key, cert }, app.node as never);
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on("session", (session) => sessions.add(session));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const agent = new Agent({ allowH2: true, connect: { ca: cert } });
    try {
      const get = (from: string) =>
        undiciFetch(`${origin}/sse/feed`, { dispatcher: agent, headers: { origin: from, authorization: "Bearer good" } });
      const own = await get(origin);
      expect(own.status).toBe(200);
      expect(own.headers.get("vary")).toBe("Origin");
      expect(own.headers.get("access-control-allow-origin")).toBeNull();
      await own.body?.cancel();
      const allowed = await get(PAGE);
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(PAGE);
      await allowed.body?.cancel();
      const refused = await get(EVIL);
      expect(refused.status).toBe(403);
      await refused.body?.cancel();
      expect(app.log.handlers).toEqual(["feed:ada", "feed:ada"]);
    } finally {
      await agent.destroy();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
