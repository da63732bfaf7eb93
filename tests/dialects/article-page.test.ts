/**
 * The SSE article's page (examples/article/public/index.html: `onmessage`
 * only, `"Message: " + event.data`, `close()` in `onerror`), unchanged, in
 * Chromium against a Rivulet server that serves the same sentences as a
 * `codec: "text"` stream, ended by the close or by Rivulet's end event.
 */
import { readFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { implement } from "@rivulet/server";
import { defineContract, stream, type StreamEnd } from "@rivulet/shared";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { SENTENCES } from "../../examples/article/contract.js";
import { createServerPool } from "../helpers/servers.js";

const PAGE = new URL("../../examples/article/public/index.html", import.meta.url);

/** What the page writes in onerror before it calls close(). */
const ERROR_LINE = "An error occurred while connecting to the server.";

/** A Rivulet server for the page: the page at `/`, the stream at `/events`; counts the stream's requests. */
async function startSite(
  pool: ReturnType<typeof createServerPool>,
  end: StreamEnd,
): Promise<{ origin: string; requests: () => number }> {
  const contract = defineContract({
    events: stream({ events: { message: z.string() }, codec: "text", end }),
  });
  const router = implement(contract, {
    events: async function* () {
      for (const sentence of SENTENCES) yield { event: "message", data: sentence };
    },
  });
  const sse = router.node();
  const page = await readFile(PAGE);
  let requests = 0;
  const origin = await pool.start((req, res) => {
    if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(page);
      return;
    }
    if (req.url?.startsWith("/events")) requests++;
    sse(req, res);
  });
  return { origin, requests: () => requests };
}

browserSuite("article page")("the article's page in Chromium, against a Rivulet text stream", () => {
  const pool = createServerPool();
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterEach(() => pool.closeAll());
  afterAll(() => browser?.close());

  const ends: Array<[string, StreamEnd]> = [
    ['end: "close"', "close"],
    ["the default end (Rivulet's end event)", "event"],
  ];
  for (const [name, end] of ends) {
    it(`shows "Message: <sentence>" for each sentence in order, without quotes, and stops (${name})`, async () => {
      if (!browser) throw new Error("Chromium did not start");
      const site = await startSite(pool, end);
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      try {
        await page.goto(`${site.origin}/`);
        // The last line the page writes: onerror, on the end of the response, then close().
        await page.waitForFunction(
          (line) => [...document.querySelectorAll("#messages p")].some((p) => p.textContent === line),
          ERROR_LINE,
          { timeout: 20_000 },
        );
        expect(await page.locator("#messages p").allTextContents()).toEqual([
          ...SENTENCES.map((sentence) => `Message: ${sentence}`),
          ERROR_LINE,
        ]);
        // close() ran in onerror, so the browser will not request the stream again: one request, no replay.
        expect(site.requests()).toBe(1);
        expect(pageErrors).toEqual([]);
      } finally {
        await page.close();
      }
    }, 30_000);
  }
});
