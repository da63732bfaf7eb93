import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ALLOWED_HEADERS, EXPOSED_HEADERS, resolveCors, type CorsOptions } from "./cors.js";
import { implement } from "./implement.js";
import type { AdapterOptions } from "./types.js";
import { readStream } from "./test-utils/index.js";

const APP = "https://app.example";
const OTHER = "https://other.example";
const EVIL = "https://evil.example";

describe("resolveCors", () => {
  it("is off without the option", () => {
    expect(resolveCors("router.node()", undefined)).toBeUndefined();
  });

  it("lets a request without Origin pass with Vary alone", () => {
    const cors = resolveCors("x", { origin: APP });
    expect(cors?.check(null, "api.example")).toEqual({ verdict: "none", headers: { vary: "Origin" } });
  });

  it.each<[string, CorsOptions["origin"]]>([
    ["one origin", APP],
    ["a list", [OTHER, APP]],
    ["a test", (origin) => origin.endsWith(".example") && !origin.startsWith("https://evil")],
  ])("allows by %s, echoing the origin, and refuses the rest", (_name, origin) => {
    const cors = resolveCors("x", { origin });
    expect(cors?.check(APP, "api.example")).toEqual({
      verdict: "allowed",
      headers: { vary: "Origin", "access-control-allow-origin": APP, "access-control-expose-headers": EXPOSED_HEADERS },
    });
    expect(cors?.check(EVIL, "api.example")).toEqual({ verdict: "refused", headers: { vary: "Origin" } });
  });

  it("takes only true from a test function as a yes", () => {
    const cors = resolveCors("x", { origin: (() => "yes") as never });
    expect(cors?.check(APP, "api.example").verdict).toBe("refused");
  });

  it('answers "*" to any origin, without credentials', () => {
    const cors = resolveCors("x", { origin: "*" });
    expect(cors?.check(EVIL, "api.example").headers).toEqual({
      vary: "Origin",
      "access-control-allow-origin": "*",
      "access-control-expose-headers": EXPOSED_HEADERS,
    });
  });

  it("says Allow-Credentials only when credentials is true", () => {
    expect(resolveCors("x", { origin: APP, credentials: true })?.check(APP, null).headers).toHaveProperty(
      "access-control-allow-credentials",
      "true",
    );
    expect(resolveCors("x", { origin: APP, credentials: false })?.check(APP, null).headers).not.toHaveProperty(
      "access-control-allow-credentials",
    );
    expect(resolveCors("x", { origin: APP })?.check(APP, null).headers).not.toHaveProperty("access-control-allow-credentials");
  });

  it("treats an origin on the request's own host as the request's own, whatever the scheme", () => {
    const cors = resolveCors("x", { origin: APP });
    expect(cors?.check("https://api.example:8443", "API.example:8443").verdict).toBe("none");
    expect(cors?.check("http://api.example:8443", "api.example:8443").verdict).toBe("none");
    expect(cors?.check("https://api.example", "api.example:8443").verdict).toBe("refused");
    expect(cors?.check("null", "api.example").verdict).toBe("refused");
  });

  it("answers a preflight with the methods given, the fixed header list and maxAge", () => {
    const cors = resolveCors("x", { origin: APP, credentials: true, maxAge: 600 });
    const allowed = cors?.check(APP, null);
    if (!cors || !allowed) throw new Error("no cors");
    expect(cors.preflight(allowed, "POST")).toEqual({
      vary: "Origin",
      "access-control-allow-origin": APP,
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": EXPOSED_HEADERS,
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "600",
    });
    const short = resolveCors("x", { origin: APP });
    expect(short?.preflight(allowed, "GET, POST")).not.toHaveProperty("access-control-max-age");
  });
});

const contract = defineContract({
  feed: stream({ events: { n: z.number() } }),
  ask: stream({ method: "POST", input: z.object({ q: z.string() }), events: { answer: z.string() } }),
});

describe("the cors option, checked when the adapter is made", () => {
  const router = implement(contract, { feed: async function* () {}, ask: async function* () {} });
  const adapters = [
    ["router.node()", (options: object) => router.node(options as never)],
    ["router.fetchHandler()", (options: object) => router.fetchHandler(options as never)],
  ] as const;
  const ORIGIN = "an origin as browsers send it";

  it.each<[name: string, cors: unknown, expected: string]>([
    ["cors", "https://app.example", "an object"],
    ["cors", [APP], "an object"],
    ["cors.origin", {}, ORIGIN],
    ["cors.origin", { origin: "https://app.example/" }, ORIGIN],
    ["cors.origin", { origin: "https://app.example/sse" }, ORIGIN],
    ["cors.origin", { origin: "https://App.example" }, ORIGIN],
    ["cors.origin", { origin: "https://app.example:443" }, ORIGIN],
    ["cors.origin", { origin: "app.example" }, ORIGIN],
    ["cors.origin", { origin: [] }, ORIGIN],
    ["cors.origin", { origin: [APP, "*"] }, ORIGIN],
    ["cors.origin", { origin: /app/ }, ORIGIN],
    ["cors.credentials", { origin: APP, credentials: "true" }, "true or false"],
    ["cors.maxAge", { origin: APP, maxAge: -1 }, "a whole number of seconds ≥ 0"],
    ["cors.maxAge", { origin: APP, maxAge: 1.5 }, "a whole number of seconds ≥ 0"],
    ["cors.maxAge", { origin: APP, maxAge: "600" }, "a whole number of seconds ≥ 0"],
    ["cors.origin", { origin: "*", credentials: true }, "a list of origins or a function when cors.credentials is true"],
  ])("refuses %s in %o with INVALID_OPTION", (name, cors, expected) => {
    for (const [owner, make] of adapters) {
      expect(() => make({ cors })).toThrow(
        expect.objectContaining({
          code: "INVALID_OPTION",
          message: expect.stringContaining(`${owner}: ${name} must be ${expected}`),
        }),
      );
    }
  });

  it("accepts each form of origin, with and without credentials and maxAge", () => {
    for (const [, make] of adapters) {
      for (const cors of [
        { origin: APP },
        { origin: "http://127.0.0.1:5173", credentials: true, maxAge: 0 },
        { origin: [APP, OTHER], credentials: true, maxAge: 7200 },
        { origin: () => true, credentials: true },
        { origin: "*" },
      ]) {
        expect(() => make({ cors })).not.toThrow();
      }
    }
  });
});

describe("the fetch adapter with cors", () => {
  function setUp(options: AdapterOptions<Request, undefined> = {}) {
    const ran: string[] = [];
    const onError = vi.fn();
    const router = implement(contract, {
      feed: async function* ({ lastEventId }) {
        ran.push("feed");
        if (lastEventId === "9") return;
        yield { event: "n", id: "1", data: 1 };
      },
      ask: async function* ({ input }) {
        ran.push("ask");
        if (input.q === "fail") throw new RivuletError("FORBIDDEN", "not you");
        yield { event: "answer", data: input.q };
      },
    });
    const handler = router.fetchHandler({ prefix: "/sse", cors: { origin: APP, credentials: true }, onError, ...options });
    return { handler, ran, onError };
  }
  const at = (path: string, init: RequestInit = {}, origin: string | null = APP): Request =>
    new Request(`https://api.example${path}`, {
      ...init,
      headers: { ...(origin === null ? {} : { origin }), ...(init.headers as Record<string, string> | undefined) },
    });
  const corsOf = (response: Response): Record<string, string> =>
    Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-") || name === "vary"));
  const ALLOWED = {
    vary: "Origin",
    "access-control-allow-origin": APP,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": EXPOSED_HEADERS,
  };

  it("answers a preflight 204 with the stream's own method, before context, and runs nothing", async () => {
    const context = vi.fn();
    const { handler, ran } = setUp({ context, cors: { origin: APP, maxAge: 60 } });
    const preflight = (path: string) =>
      handler(
        at(path, {
          method: "OPTIONS",
          headers: { "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
        }),
      );
    const ask = await preflight("/sse/ask");
    expect(ask.status).toBe(204);
    expect(await ask.text()).toBe("");
    expect(corsOf(ask)).toEqual({
      vary: "Origin",
      "access-control-allow-origin": APP,
      "access-control-expose-headers": EXPOSED_HEADERS,
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "60",
    });
    expect(corsOf(await preflight("/sse/feed"))).toHaveProperty("access-control-allow-methods", "GET, POST");
    expect(corsOf(await preflight("/sse/nowhere"))).toHaveProperty("access-control-allow-methods", "GET, POST");
    expect(context).not.toHaveBeenCalled();
    expect(ran).toEqual([]);
  });

  it("puts the allow headers on the stream, its 204 and its refusals (400, 404, 405, 415)", async () => {
    const { handler } = setUp();
    const stream = await handler(at("/sse/feed"));
    expect(stream.status).toBe(200);
    expect(corsOf(stream)).toEqual(ALLOWED);
    expect((await readStream(stream.body)).events.map((e) => e.event)).toEqual(["n", "rivulet:end"]);

    const resumed = await handler(at("/sse/feed", { headers: { "last-event-id": "9" } }));
    expect(resumed.status).toBe(204);
    expect(corsOf(resumed)).toEqual(ALLOWED);

    for (const [request, status] of [
      [at("/sse/ask", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }), 400],
      [at("/sse/nowhere"), 404],
      [at("/elsewhere"), 404],
      [at("/sse/feed", { method: "OPTIONS" }), 405],
      [at("/sse/ask", { method: "POST", body: "{}" }), 415],
    ] as const) {
      const response = await handler(request);
      expect(response.status).toBe(status);
      expect(corsOf(response)).toEqual(ALLOWED);
      expect(await response.json()).toHaveProperty("error.code");
    }
  });

  it("refuses an origin not allowed with 403 FORBIDDEN and Vary alone, before context and the handler", async () => {
    const context = vi.fn();
    const { handler, ran, onError } = setUp({ context });
    for (const init of [{}, { method: "OPTIONS", headers: { "access-control-request-method": "POST" } }]) {
      const response = await handler(at("/sse/feed", init, EVIL));
      expect(response.status).toBe(403);
      expect(corsOf(response)).toEqual({ vary: "Origin" });
      expect(await response.json()).toEqual({ error: { code: "FORBIDDEN", message: `Origin ${EVIL} is not allowed.` } });
    }
    expect(context).not.toHaveBeenCalled();
    expect(ran).toEqual([]);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError).toHaveBeenLastCalledWith(expect.objectContaining({ code: "FORBIDDEN" }), { path: "feed", phase: "request" });
  });

  it("serves a request without Origin, or from its own host, with Vary alone", async () => {
    const { handler, ran } = setUp();
    for (const origin of [null, "https://api.example"]) {
      const response = await handler(at("/sse/feed", {}, origin));
      expect(response.status).toBe(200);
      expect(corsOf(response)).toEqual({ vary: "Origin" });
      await response.body?.cancel();
    }
    expect(ran).toEqual(["feed", "feed"]);
  });

  it("answers 500 and reports it when the origin test throws", async () => {
    const { handler, ran, onError } = setUp({
      cors: {
        origin: () => {
          throw new Error("lookup failed");
        },
      },
    });
    const response = await handler(at("/sse/feed"));
    expect(response.status).toBe(500);
    expect(corsOf(response)).toEqual({ vary: "Origin" });
    expect(await response.json()).toEqual({ error: { code: "INTERNAL_SERVER_ERROR", message: "Internal server error" } });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: "INTERNAL_SERVER_ERROR" }), { path: "feed", phase: "request" });
    expect(ran).toEqual([]);
  });

  it("adds no CORS header and reads no Origin without the option", async () => {
    const router = implement(contract, { feed: async function* () {}, ask: async function* () {} });
    const handler = router.fetchHandler({ onError: () => {} });
    const stream = await handler(at("/feed", {}, EVIL));
    expect(stream.status).toBe(200);
    expect(corsOf(stream)).toEqual({});
    const preflight = await handler(at("/feed", { method: "OPTIONS", headers: { "access-control-request-method": "GET" } }));
    expect(preflight.status).toBe(405);
    expect(corsOf(preflight)).toEqual({});
  });
});
