import type http from "node:http";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { RivuletError, jsonCodec } from "@rivulet/shared";
import { implement } from "@rivulet/server";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createServerPool } from "../helpers/servers.js";
import { contract } from "./contract.js";
import { bundlePage, pageListener } from "./page-server.js";

const suite = browserSuite("cors");

interface Ctx {
  user: string;
}

/** One request the API server saw: method, path, origin, status, and the preflight's requested headers. */
interface Seen {
  method: string;
  url: string;
  origin: string;
  status: number;
  requestHeaders?: string;
}

/**
 * A page on one origin (`127.0.0.1:<A>`), the Rivulet server on another
 * (`127.0.0.1:<B>`), and a page on an origin the server does not allow
 * (`127.0.0.1:<C>`). The origins differ by port only: the same site, so a
 * `SameSite=Lax` cookie for the server's host goes with a credentialed request.
 */
suite("CORS in Chromium: a page on one origin, the server on another", { timeout: 60_000 }, () => {
  const pool = createServerPool();
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let allowedPage: Page | undefined;
  let refusedPage: Page | undefined;
  let api = "";
  const seen: Seen[] = [];
  const contexts: string[] = [];
  const handlers: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const script = await bundlePage();
    const allowedOrigin = await pool.start(pageListener(script));
    const refusedOrigin = await pool.start(pageListener(script));
    const router = implement<typeof contract, Ctx>(contract, {
      whoami: async function* ({ ctx }) {
        handlers.push(`whoami:${ctx.user}`);
        yield { event: "hello", id: "1", data: { user: ctx.user } };
      },
      ask: async function* ({ input, ctx }) {
        handlers.push(`ask:${ctx.user}`);
        yield { event: "answer", id: "1", data: `${ctx.user}: ${input.q}` };
      },
      hold: async function* () {},
    });
    const streams = router.node({
      prefix: "/sse",
      codec: jsonCodec,
      cors: { origin: [allowedOrigin], credentials: true },
      // The cookie path and the header path: whichever the request carries.
      context: (req) => {
        const cookie = /(?:^|;\s*)session=([^;]*)/.exec(req.headers.cookie ?? "")?.[1];
        const { authorization } = req.headers;
        contexts.push(`${req.headers.origin ?? "no origin"} cookie=${cookie ?? "-"} auth=${authorization ?? "-"}`);
        if (authorization === "Bearer t-1") return { user: "bearer" };
        if (cookie === "s-1") return { user: "cookie" };
        throw new RivuletError("UNAUTHORIZED", "Sign in first.");
      },
      onError: () => {},
    });
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      res.once("finish", () => {
        const entry: Seen = { method: req.method ?? "", url: req.url ?? "", origin: req.headers.origin ?? "", status: res.statusCode };
        const requested = req.headers["access-control-request-headers"];
        if (requested !== undefined) entry.requestHeaders = requested;
        seen.push(entry);
      });
      streams(req, res);
    };
    api = await pool.start(listener);

    browser = await launchChromium();
    context = await browser.newContext();
    // A cookie of the server's origin, as a login there would have set it.
    await context.addCookies([{ name: "session", value: "s-1", url: api, sameSite: "Lax" }]);
    allowedPage = await context.newPage();
    refusedPage = await context.newPage();
    for (const [page, origin] of [
      [allowedPage, allowedOrigin],
      [refusedPage, refusedOrigin],
    ] as const) {
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => "rivulet" in window);
    }
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await pool.closeAll();
  });

  /** An `EventSource` in `page`: the user its hello names, or how it failed. */
  const eventSource = (page: Page, withCredentials: boolean): Promise<string> =>
    page.evaluate(
      ([url, credentials]) =>
        new Promise<string>((resolve) => {
          const source = new EventSource(url, { withCredentials: credentials });
          source.addEventListener("hello", (event) => {
            source.close();
            resolve((JSON.parse(event.data) as { user: string }).user);
          });
          source.onerror = () => {
            const state = source.readyState;
            source.close();
            resolve(`error, readyState ${state}`);
          };
        }),
      [`${api}/sse/whoami`, withCredentials] as const,
    );

  /** The typed client in `page`: a POST stream with `Authorization: Bearer <token>`; its events, or its error. */
  const ask = (page: Page, token: string) =>
    page.evaluate(
      async ([baseUrl, bearer]) => {
        const { createClient, jsonCodec: codec, contract: served } = window.rivulet;
        const client = createClient(served, {
          baseUrl,
          codec,
          reconnect: false,
          headers: () => ({ authorization: `Bearer ${bearer}` }),
        });
        try {
          const answers: string[] = [];
          for await (const event of client.ask({ q: "hi" })) answers.push(event.data);
          return { answers };
        } catch (thrown) {
          const error = thrown as { code: string; status: number; message: string; cause?: unknown };
          return { error: { code: error.code, status: error.status, cause: String(error.cause) } };
        }
      },
      [`${api}/sse`, token] as const,
    );

  it("an EventSource withCredentials sends the server's cookie, and context reads it; without credentials, no cookie: 401", async () => {
    if (!allowedPage) throw new Error("setup failed");
    expect(await eventSource(allowedPage, true)).toBe("cookie");
    expect(await eventSource(allowedPage, false)).toBe("error, readyState 2");
    expect(handlers).toEqual(["whoami:cookie"]);
    const fromPage = seen.filter((entry) => entry.url === "/sse/whoami" && entry.origin !== "");
    expect(fromPage.map((entry) => entry.status)).toEqual([200, 401]);
    expect(contexts.slice(0, 2)).toEqual([
      `${fromPage[0]?.origin} cookie=s-1 auth=-`,
      `${fromPage[0]?.origin} cookie=- auth=-`,
    ]);
  });

  it("the typed client's POST stream with Authorization passes the preflight; a refused token is read as UNAUTHORIZED", async () => {
    if (!allowedPage) throw new Error("setup failed");
    expect(await ask(allowedPage, "t-1")).toEqual({ answers: ["bearer: hi"] });
    // The 401 carries the allow headers, so the page reads Rivulet's error, not an opaque failure.
    expect(await ask(allowedPage, "t-0")).toEqual({ error: { code: "UNAUTHORIZED", status: 401, cause: "undefined" } });
    const preflights = seen.filter((entry) => entry.method === "OPTIONS");
    expect(preflights.length).toBeGreaterThanOrEqual(1);
    expect(preflights[0]).toMatchObject({ url: "/sse/ask", status: 204, requestHeaders: "authorization,content-type" });
    expect(handlers).toEqual(["whoami:cookie", "ask:bearer"]);
  });

  it("a page on an origin not allowed fails (EventSource error, fetch TypeError), and no context or handler runs for it", async () => {
    if (!refusedPage) throw new Error("setup failed");
    const before = { contexts: contexts.length, handlers: handlers.length };
    expect(await eventSource(refusedPage, true)).toBe("error, readyState 2");
    const asked = await ask(refusedPage, "t-1");
    expect(asked).toEqual({ error: { code: "NETWORK_ERROR", status: 503, cause: "TypeError: Failed to fetch" } });
    const plain = await refusedPage.evaluate(async (url) => {
      try {
        await fetch(url, { credentials: "include" });
        return "read";
      } catch (error) {
        return String(error);
      }
    }, `${api}/sse/whoami`);
    expect(plain).toBe("TypeError: Failed to fetch");

    const refusedOrigin = new URL(refusedPage.url()).origin;
    const fromRefused = seen.filter((entry) => entry.origin === refusedOrigin);
    expect(fromRefused.map(({ method, url, status }) => `${method} ${url} ${status}`)).toEqual([
      "GET /sse/whoami 403",
      "OPTIONS /sse/ask 403",
      "GET /sse/whoami 403",
    ]);
    expect({ contexts: contexts.length, handlers: handlers.length }).toEqual(before);
    expect(pageErrors).toEqual([]);
  });
});
