/**
 * Issue 11: a plain `EventSource` stops on a finished Rivulet stream with no
 * page code for it. It reconnects after every response, the finished one's
 * too; the end event's reserved id makes that reconnect a 204, on which it
 * stops for good. So a page that never listens for `rivulet:end` makes
 * exactly two requests — the stream, then the reconnect answered 204 — and
 * sees each event once. Counted at the server once `readyState` is CLOSED, in
 * Chromium and with the `eventsource` package; a third request (the replay
 * this used to be) ends the wait at once and fails the count.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { implement, resumeAfter } from "@rivulet/server";
import { defineContract, stream } from "@rivulet/shared";
import { EventSource } from "eventsource";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

const SENTENCES = ["The first sentence.", "The second sentence.", "The third sentence."];

const contract = defineContract({
  /** The article's stream served by Rivulet: unnamed text events, then Rivulet's end. */
  sentences: stream({ events: { message: z.string() }, codec: "text" }),
  /** Rivulet's own dialect, resumable: named events with ids. */
  numbers: stream({ input: z.object({ retryMs: z.number().optional() }).optional(), events: { n: z.number() } }),
});

async function* numbered(retryMs: number | undefined) {
  for (let n = 1; n <= 3; n++) yield { event: "n" as const, id: String(n), data: n, ...(n === 1 && retryMs !== undefined ? { retry: retryMs } : {}) };
}

const router = implement(contract, {
  sentences: async function* () {
    for (const sentence of SENTENCES) yield { event: "message", data: sentence };
  },
  numbers: ({ input, lastEventId }) => resumeAfter(lastEventId, numbered(input?.retryMs)),
});

/**
 * The page: a plain `EventSource` that shows what it receives and does nothing
 * at the end. `?stream=numbers` listens for `n` instead of `onmessage`.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>plain EventSource</title><ul id="out"></ul>
<script>
  const params = new URLSearchParams(location.search);
  const show = (text) => document.getElementById("out").append(Object.assign(document.createElement("li"), { textContent: text }));
  const source = new EventSource(params.get("src"));
  window.source = source;
  if (params.get("stream") === "numbers") source.addEventListener("n", (event) => show(event.lastEventId + ":" + event.data));
  else source.onmessage = (event) => show("Message: " + event.data);
</script>`;

/** A request the server answered: its path and status. */
interface Answered {
  path: string;
  status: number;
}

interface TestServer {
  origin: string;
  answered: Answered[];
  /** Resolves when the server has answered `count` requests for a stream. */
  answeredCount(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const sse = router.node({ prefix: "/sse" });
  const answered: Answered[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (!path.startsWith("/sse/")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
      return;
    }
    res.once("finish", () => {
      answered.push({ path, status: res.statusCode });
      for (const waiter of waiting) if (answered.length >= waiter.count) waiter.resolve();
    });
    sse(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered,
    answeredCount: (count) =>
      new Promise((resolve) => (answered.length >= count ? resolve() : waiting.push({ count, resolve }))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const input = (value: object): string => `input=${encodeURIComponent(JSON.stringify(value))}`;

describe("a plain EventSource on a finished stream (the eventsource package)", () => {
  let server: TestServer;
  const sources: EventSource[] = [];
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(() => {
    for (const source of sources.splice(0)) source.close();
    server.answered.length = 0;
  });
  afterAll(() => server.close());

  /** Opens `url`, collects `type` events, and resolves once it is CLOSED — or the server answered a third request. */
  async function read(url: string, type: string): Promise<{ received: string[]; state: number }> {
    const source = new EventSource(url);
    sources.push(source);
    const received: string[] = [];
    source.addEventListener(type, (event) => received.push(`${event.lastEventId}:${event.data}`));
    const closed = new Promise<void>((resolve) => {
      source.addEventListener("error", () => {
        if (source.readyState === source.CLOSED) resolve();
      });
    });
    await Promise.race([closed, server.answeredCount(3)]);
    return { received, state: source.readyState };
  }

  it("a text stream's unnamed events reach onmessage once; two requests, the second answered 204", async () => {
    const { received, state } = await read(`${server.origin}/sse/sentences`, "message");
    expect(state).toBe(EventSource.CLOSED);
    expect(server.answered).toEqual([
      { path: "/sse/sentences", status: 200 },
      { path: "/sse/sentences", status: 204 },
    ]);
    expect(received).toEqual(SENTENCES.map((sentence) => `:${sentence}`));
  }, 15_000);

  it("a resumable stream with ids: each event once, then the 204", async () => {
    const { received, state } = await read(`${server.origin}/sse/numbers?${input({ retryMs: 10 })}`, "n");
    expect(state).toBe(EventSource.CLOSED);
    expect(server.answered.map((a) => a.status)).toEqual([200, 204]);
    expect(received).toEqual(["1:1", "2:2", "3:3"]);
  }, 15_000);
});

const suite = browserSuite("dialects");

suite("a plain EventSource on a finished stream (Chromium)", { timeout: 30_000 }, () => {
  let server: TestServer;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
  }, 30_000);
  afterEach(() => {
    server.answered.length = 0;
  });
  afterAll(async () => {
    await browser?.close();
    await server.close();
  });

  /** Opens the page on `src` and waits until its EventSource is CLOSED, or the server answered a third stream request. */
  async function open(query: string) {
    if (!browser) throw new Error("setup failed");
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${server.origin}/page?${query}`);
    const closed = page.waitForFunction(() => (window as unknown as { source: EventSource }).source.readyState === 2, undefined, {
      timeout: 20_000,
    });
    await Promise.race([closed, server.answeredCount(3)]);
    const state = await page.evaluate(() => (window as unknown as { source: EventSource }).source.readyState);
    const shown = await page.locator("#out > li").allTextContents();
    await page.close();
    return { state, shown, pageErrors };
  }

  it("the article-style page (onmessage only) shows each sentence once and stops: two requests, the second 204", async () => {
    const { state, shown, pageErrors } = await open(`src=${encodeURIComponent("/sse/sentences")}`);
    expect(state).toBe(2);
    expect(server.answered).toEqual([
      { path: "/sse/sentences", status: 200 },
      { path: "/sse/sentences", status: 204 },
    ]);
    expect(shown).toEqual(SENTENCES.map((sentence) => `Message: ${sentence}`));
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it("a resumable stream with named events and ids: each event once, then the 204", async () => {
    const src = `/sse/numbers?${input({ retryMs: 10 })}`;
    const { state, shown } = await open(`stream=numbers&src=${encodeURIComponent(src)}`);
    expect(state).toBe(2);
    expect(server.answered.map((a) => a.status)).toEqual([200, 204]);
    expect(shown).toEqual(["1:1", "2:2", "3:3"]);
  }, 30_000);
});
