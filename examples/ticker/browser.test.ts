import { type Browser } from "playwright-core";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HISTORY_POINTS, SYMBOLS } from "./contract.js";
import { createTickerServer, type TickerServer } from "./server.js";

const SCREENSHOT = "/tmp/ticker.png";
const suite = browserSuite("ticker");

/** How many points each card's polyline has, by symbol. */
const pointCounts = (): Record<string, number> =>
  Object.fromEntries(
    [...document.querySelectorAll<HTMLElement>(".quote")].map((card) => [
      card.dataset["symbol"],
      (card.querySelector("polyline")?.getAttribute("points") ?? "").split(" ").filter(Boolean).length,
    ]),
  );

suite("ticker, the page in Chromium (EventSource + SVG)", { timeout: 30_000 }, () => {
  let ticker: TickerServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    ticker = await createTickerServer({ port: 0, intervalMs: 40 });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await ticker?.close();
  });

  it("draws a chart per symbol that fills up to the last 60 prices, and keeps the price text current", async () => {
    if (!browser || !ticker) throw new Error("setup failed");
    const page = await browser.newPage({ viewport: { width: 1000, height: 460 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));

    await page.goto(ticker.url);
    await page.waitForFunction(() => document.querySelector("#status")?.textContent === "live", undefined, { timeout: 10_000 });
    expect(await page.locator(".quote .symbol").allTextContents()).toEqual([...SYMBOLS]);

    // Points arrive (the recent ones at once, then live), and a chart never holds more than HISTORY_POINTS.
    await page.waitForFunction(
      (min) => [...document.querySelectorAll(".quote polyline")].every((line) => (line.getAttribute("points") ?? "").split(" ").filter(Boolean).length >= min),
      2,
      { timeout: 10_000 },
    );
    await page.waitForFunction(
      (full) => [...document.querySelectorAll(".quote polyline")].every((line) => line.getAttribute("points")?.split(" ").length === full),
      HISTORY_POINTS,
      { timeout: 10_000 },
    );
    for (const count of Object.values(await page.evaluate(pointCounts))) expect(count).toBe(HISTORY_POINTS);
    const points = (await page.locator(".quote polyline").first().getAttribute("points")) ?? "";
    for (const point of points.split(" ")) {
      const [x, y] = point.split(",").map(Number);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(300);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(80);
    }

    // The price text follows the market.
    const acme = page.locator('.quote[data-symbol="ACME"]');
    const shown = await acme.locator(".price").textContent();
    expect(shown).toMatch(/^\d+\.\d\d$/);
    await page.waitForFunction(
      (before) => document.querySelector('.quote[data-symbol="ACME"] .price')?.textContent !== before,
      shown,
      { timeout: 10_000 },
    );
    expect(await acme.locator(".change").textContent()).toMatch(/^[▲▼] [+-]?\d+\.\d\d%$/);
    expect(await acme.locator("time").textContent()).toMatch(/\d/);

    expect(await page.locator("#error").isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: "disabled" });
    await page.close();
  }, 30_000);

  it("shows only the symbols in ?symbols=, and says so when one is unknown", async () => {
    if (!browser || !ticker) throw new Error("setup failed");
    const page = await browser.newPage();
    await page.goto(`${ticker.url}?symbols=initech`);
    await page.waitForFunction(() => document.querySelector(".quote .price")?.textContent !== "–", undefined, { timeout: 10_000 });
    expect(await page.locator(".quote .symbol").allTextContents()).toEqual(["INITECH"]);

    await page.goto(`${ticker.url}?symbols=NOPE`);
    await page.locator("#error").waitFor({ timeout: 10_000 });
    expect(await page.locator("#error").textContent()).toContain("could not be opened");
    expect(await page.locator("#status").textContent()).toBe("closed");
    await page.close();
  }, 30_000);
});
