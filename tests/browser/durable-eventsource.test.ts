import type http from "node:http";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { defineContract, stream } from "@rivulet/shared";
import { implement } from "@rivulet/server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { createServerPool, deferred } from "../helpers/servers.js";

const suite = browserSuite("durable runs and a plain EventSource");

const contract = defineContract({
  chat: {
    ask: stream({ durable: true, input: z.object({ count: z.number() }), events: { token: z.string() } }),
  },
});

/** One request to the stream, as the server saw it. */
interface Seen {
  url: string;
  lastEventId: string | undefined;
  status: number;
}

/**
 * A page and a durable stream on one origin. The run yields three tokens,
 * waits for the test, then yields three more. The test cuts the page's
 * connection in the pause; a plain `EventSource` reconnects by itself to its
 * start URL with the last id it saw, `<runId>:3`, and must land back in the
 * same run — no second run, no token twice — then stop at the end (a 204).
 */
suite("a plain EventSource on a durable stream, cut mid-run", { timeout: 60_000 }, () => {
  const pool = createServerPool();
  let browser: Browser | undefined;
  let page: Page | undefined;
  let origin = "";
  const runs: string[] = [];
  const finished: string[] = [];
  const seen: Seen[] = [];
  const paused = deferred<void>();
  const resume = deferred<void>();
  const reconnected = deferred<void>();
  let firstResponse: http.ServerResponse | undefined;

  beforeAll(async () => {
    const router = implement(contract, {
      chat: {
        ask: async function* ({ input, runId }) {
          runs.push(runId);
          try {
            for (let n = 1; n <= input.count; n++) {
              if (n === 4) {
                paused.resolve();
                await resume.promise;
              }
              yield { event: "token", data: `t${n}` };
            }
          } finally {
            finished.push(runId);
          }
        },
      },
    });
    const streams = router.node({ prefix: "/sse", onError: () => {} });
    origin = await pool.start((req, res) => {
      if (!req.url?.startsWith("/sse/")) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>durable</title>");
        return;
      }
      const lastEventId = req.headers["last-event-id"] as string | undefined;
      const entry: Seen = { url: req.url, lastEventId, status: 0 };
      seen.push(entry);
      res.once("close", () => (entry.status = res.statusCode));
      if (seen.length === 1) firstResponse = res;
      if (seen.length === 2) reconnected.resolve();
      streams(req, res);
    });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${origin}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await pool.closeAll();
  });

  it("reconnects to its start URL with Last-Event-ID <runId>:3, continues the same run with no duplicate, and stops at the end", async () => {
    const current = page as Page;
    await current.evaluate((url) => {
      const log: string[] = [];
      Object.assign(window, { durableLog: log });
      const source = new EventSource(url);
      Object.assign(window, { durableSource: source });
      source.addEventListener("rivulet:run", (event) => log.push(`run ${event.lastEventId} ${event.data}`));
      source.addEventListener("token", (event) => log.push(`token ${event.lastEventId} ${event.data}`));
      source.addEventListener("rivulet:end", (event) => log.push(`end ${event.lastEventId}`));
      source.onerror = () => log.push(`error ${source.readyState}`);
    }, `${origin}/sse/chat/ask?input=${encodeURIComponent(JSON.stringify({ count: 6 }))}`);

    await paused.promise;
    await current.waitForFunction(() => (window as unknown as { durableLog: string[] }).durableLog.length >= 4);
    // The server cuts the page's connection mid-run (a proxy's timeout, a deploy).
    firstResponse?.socket?.destroy();
    await reconnected.promise;
    resume.resolve();
    // The end event, then the EventSource's last reconnect (Last-Event-ID: rivulet:end), answered 204: it closes.
    await current.waitForFunction(() => (window as unknown as { durableSource: EventSource }).durableSource.readyState === EventSource.CLOSED, undefined, {
      timeout: 30_000,
    });

    const runId = runs[0] ?? "";
    expect(runs).toEqual([runId]);
    expect(finished).toEqual([runId]);
    const log = await current.evaluate(() => (window as unknown as { durableLog: string[] }).durableLog);
    expect(log).toEqual([
      `run ${runId}:0 {"runId":"${runId}"}`,
      `token ${runId}:1 "t1"`,
      `token ${runId}:2 "t2"`,
      `token ${runId}:3 "t3"`,
      "error 0",
      `token ${runId}:4 "t4"`,
      `token ${runId}:5 "t5"`,
      `token ${runId}:6 "t6"`,
      "end rivulet:end",
      "error 0",
      "error 2",
    ]);
    const start = `/sse/chat/ask?input=${encodeURIComponent(JSON.stringify({ count: 6 }))}`;
    expect(seen).toEqual([
      { url: start, lastEventId: undefined, status: 200 },
      { url: start, lastEventId: `${runId}:3`, status: 200 },
      { url: start, lastEventId: "rivulet:end", status: 204 },
    ]);
  });
});
