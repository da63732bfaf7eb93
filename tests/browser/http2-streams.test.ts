import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { jsonCodec } from "@rivulet/shared";
import { implement } from "@rivulet/server";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { aborted, createServerPool } from "../helpers/servers.js";
import { selfSignedCertificate } from "../helpers/tls.js";
import { contract } from "./contract.js";
import { pageListener } from "./page-server.js";

const suite = browserSuite("http2-streams");

/** How many `EventSource`s the page opens to its own origin. */
const SOURCES = 10;
/** Chromium's limit of HTTP/1.1 connections to one host. */
const HTTP1_LIMIT = 6;

type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Rivulet's `hold` streams under `/sse` and a `/ping` beside them, counting what the server saw. */
function createApp() {
  const seen = { started: 0, open: 0, httpVersions: new Set<string>(), pings: [] as number[] };
  const router = implement(contract, {
    whoami: async function* () {},
    ask: async function* () {},
    hold: async function* ({ signal }) {
      seen.started++;
      seen.open++;
      try {
        yield { event: "ready", data: seen.started };
        await aborted(signal);
      } finally {
        seen.open--;
      }
    },
  });
  const streams = router.node({ prefix: "/sse", codec: jsonCodec, onError: () => {} });
  const listener: Listener = pageListener("", (req, res) => {
    seen.httpVersions.add(req.httpVersion);
    if (req.url !== "/ping") return streams(req, res);
    // How many streams were open when the page's ordinary request got through.
    seen.pings.push(seen.open);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("pong");
  });
  return { seen, listener };
}

/** Opens the page's event sources to its own origin; `window.opened` lists each one's `onopen`. */
function openSources(page: Page): Promise<void> {
  return page.evaluate((count) => {
    const state = window as unknown as { sources: EventSource[]; opened: number[] };
    state.sources = [];
    state.opened = [];
    for (let i = 0; i < count; i++) {
      const source = new EventSource(`/sse/hold?i=${i}`);
      source.onopen = () => state.opened.push(i);
      state.sources.push(source);
    }
  }, SOURCES);
}

const openedCount = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { opened: number[] }).opened.length);

suite("HTTP/2 in Chromium: 10 EventSources to one origin", { timeout: 60_000 }, () => {
  const pool = createServerPool();
  let browser: Browser | undefined;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await pool.closeAll();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it(`over HTTP/1.1, ${HTTP1_LIMIT} open and the rest of the page's requests to that origin wait for a free connection`, async () => {
    if (!browser) throw new Error("setup failed");
    const { seen, listener } = createApp();
    const server = http.createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Another origin: its own pool of connections, so its request is not queued behind the streams.
    const control = await pool.start((_req, res) => {
      res.writeHead(200, { "access-control-allow-origin": "*" });
      res.end("ok");
    });

    const context = await browser.newContext();
    cleanups.unshift(() => context.close());
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await openSources(page);
    await page.waitForFunction((limit) => (window as unknown as { opened: number[] }).opened.length === limit, HTTP1_LIMIT);

    // The barrier: a request to the same origin is queued; a request to another origin, sent after it,
    // goes and comes back. Every stream Chromium would start was asked for before either.
    const control1 = await page.evaluate(async (url) => {
      const state = window as unknown as { ping: Promise<string> };
      state.ping = fetch("/ping").then((response) => response.text());
      return (await fetch(url)).text();
    }, `${control}/control`);
    expect(control1).toBe("ok");
    expect({ started: seen.started, open: seen.open, pings: seen.pings.length }).toEqual({
      started: HTTP1_LIMIT,
      open: HTTP1_LIMIT,
      pings: 0,
    });
    expect(await openedCount(page)).toBe(HTTP1_LIMIT);

    // Closing the open streams frees their connections: the queued ping and the four other streams get through.
    await page.evaluate((limit) => {
      for (const source of (window as unknown as { sources: EventSource[] }).sources.slice(0, limit)) source.close();
    }, HTTP1_LIMIT);
    expect(await page.evaluate(() => (window as unknown as { ping: Promise<string> }).ping)).toBe("pong");
    await page.waitForFunction((count) => (window as unknown as { opened: number[] }).opened.length === count, SOURCES);
    expect(seen.started).toBe(SOURCES);
    expect([...seen.httpVersions]).toEqual(["1.1"]);
  });

  it("over HTTP/2 (node:http2 with router.node), all 10 open on one connection, and a fetch to the origin completes beside them", async () => {
    if (!browser) throw new Error("setup failed");
    const { seen, listener } = createApp();
    const server = http2.createSecureServer({ ...selfSignedCertificate(), allowHTTP1: true }, listener as never);
    const sessions = new Set<http2.ServerHttp2Session>();
    let sessionCount = 0;
    server.on("session", (session) => {
      sessionCount++;
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    cleanups.unshift(() => context.close());
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await openSources(page);
    await page.waitForFunction((count) => (window as unknown as { opened: number[] }).opened.length === count, SOURCES);
    expect(await page.evaluate(() => fetch("/ping").then((response) => response.text()))).toBe("pong");

    expect({ started: seen.started, pings: seen.pings, sessions: sessionCount }).toEqual({
      started: SOURCES,
      pings: [SOURCES],
      sessions: 1,
    });
    expect([...seen.httpVersions]).toEqual(["2.0"]);
  });
});
