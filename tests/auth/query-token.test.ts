import type http from "node:http";
import { inspect } from "node:util";
import { createClient, RivuletError } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
import { implement, type ErrorInfo } from "@rivulet/server";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { collect, createServerPool, fetchToNode, rejection } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => {
  vi.restoreAllMocks();
  return pool.closeAll();
});

/** The token a client that cannot set headers puts in the URL. */
const SECRET = "tok-3f9a1c7e";

const contract = defineContract({
  whoami: stream({ events: { hello: z.object({ user: z.string() }) } }),
  boom: stream({ events: { n: z.number() } }),
  badEvent: stream({ events: { n: z.number() } }),
  typed: stream({ input: z.object({ q: z.string() }), events: { n: z.number() } }),
});

/** Everything Rivulet handed to `console.*` or `onError`, printed as deeply as node would print it. */
function captureLogs() {
  const printed: string[] = [];
  for (const method of ["error", "warn", "log", "info", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map((arg) => inspect(arg, { depth: 10 })).join(" "));
    });
  }
  const onError = (error: RivuletError, info: ErrorInfo): void => {
    printed.push(inspect(error, { depth: 10 }), String(error.stack), JSON.stringify(info), inspect(error.cause, { depth: 10 }));
  };
  return { printed, onError };
}

function createRouter() {
  return implement<typeof contract, { user: string }>(contract, {
    whoami: async function* ({ ctx }) {
      yield { event: "hello", id: "1", data: { user: ctx.user } };
    },
    boom: async function* () {
      yield { event: "n", data: 1 };
      throw new Error("the database went away");
    },
    badEvent: async function* () {
      yield { event: "n", data: "not a number" as never };
    },
    typed: async function* () {},
  });
}

/** `context` reads the token from the query; "throw" makes it fail as a buggy context would. */
function userFrom(url: URL): { user: string } {
  const token = url.searchParams.get("token");
  if (url.searchParams.get("fail") === "context") throw new Error("the session store is down");
  if (token !== SECRET) throw new RivuletError("UNAUTHORIZED", "A valid token is required.");
  return { user: "ada" };
}

const adapters = [
  [
    "router.node",
    (onError?: (error: RivuletError, info: ErrorInfo) => void): http.RequestListener =>
      createRouter().node({
        prefix: "/sse",
        context: (req) => userFrom(new URL(req.url ?? "/", "http://localhost")),
        ...(onError ? { onError } : {}),
      }),
  ],
  [
    "router.fetchHandler",
    (onError?: (error: RivuletError, info: ErrorInfo) => void): http.RequestListener =>
      fetchToNode(
        createRouter().fetchHandler({
          prefix: "/sse",
          context: (request) => userFrom(new URL(request.url)),
          ...(onError ? { onError } : {}),
        }),
      ),
  ],
] as const;

describe.each(adapters)("a token in the query, over %s", (_name, make) => {
  it("authorises an EventSource, which cannot set headers", async () => {
    const origin = await pool.start(make());
    const source = new EventSource(`${origin}/sse/whoami?token=${SECRET}`);
    const user = await new Promise<string>((resolve, reject) => {
      source.addEventListener("hello", (event) => resolve((JSON.parse(event.data) as { user: string }).user));
      source.onerror = (error) => reject(new Error(`EventSource failed: ${error.message ?? ""}`));
    });
    source.close();
    expect(user).toBe("ada");
    const refused = await fetch(`${origin}/sse/whoami?token=wrong`);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
  });

  it("is in nothing Rivulet logs or reports: a 5xx handler failure, invalid input, an invalid event, a context that throws, a 404", async () => {
    const requests = [
      [`/sse/boom?token=${SECRET}`, 200],
      [`/sse/typed?token=${SECRET}&input=%7Bnot-json`, 400],
      [`/sse/typed?token=${SECRET}&input=${encodeURIComponent('{"json":{"q":5}}')}`, 400],
      [`/sse/badEvent?token=${SECRET}`, 200],
      [`/sse/whoami?token=${SECRET}&fail=context`, 500],
      [`/sse/nowhere?token=${SECRET}`, 404],
      [`/elsewhere?token=${SECRET}`, 404],
    ] as const;
    // Once with the default onError (which logs 5xx to the console), once with one that keeps everything.
    for (const reporting of ["default", "custom"] as const) {
      const { printed, onError } = captureLogs();
      const origin = await pool.start(make(reporting === "custom" ? onError : undefined));
      for (const [path, status] of requests) {
        const response = await fetch(`${origin}${path}`);
        expect(response.status, path).toBe(status);
        expect(await response.text()).not.toContain(SECRET);
      }
      const expected = reporting === "default" ? 3 : 4 * requests.length;
      expect(printed.length, `${reporting} reporting`).toBeGreaterThanOrEqual(expected);
      for (const line of printed) expect(line).not.toContain(SECRET);
      vi.restoreAllMocks();
    }
  });
});

describe("the typed client's error messages", () => {
  it("name the URL without its query, so that an input's secret never reaches a message", async () => {
    // A port nobody listens on: the first connection fails.
    const origin = await pool.start(() => {});
    await pool.closeAll();
    const client = createClient(contract, { baseUrl: `${origin}/sse`, reconnect: false });
    const error = await rejection(collect(client.typed({ q: SECRET })));
    expect(error).toMatchObject({ code: "NETWORK_ERROR", message: `Could not connect to ${origin}/sse/typed.` });
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET);

    const retried = createClient(contract, { baseUrl: `${origin}/sse`, reconnect: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 } });
    const gaveUp = await rejection(collect(retried.typed({ q: SECRET })));
    expect(gaveUp).toMatchObject({ code: "NETWORK_ERROR" });
    expect(inspect(gaveUp, { depth: 10 })).not.toContain(SECRET);
  });
});
