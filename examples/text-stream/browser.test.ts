import { type Browser } from "playwright-core";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PARAGRAPH } from "./contract.js";
import { createDemoServer, type DemoServer } from "./server.js";

const SCREENSHOT = "/tmp/text-stream.png";
const suite = browserSuite("text-stream");

suite("text stream, the page in Chromium (EventSource)", { timeout: 30_000 }, () => {
  let demo: DemoServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    demo = await createDemoServer({ port: 0, delayMs: 10 });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it("shows every sentence in order, the full progress, and ends as done", async () => {
    if (!browser || !demo) throw new Error("setup failed");
    const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));

    await page.goto(demo.url);
    await page.waitForFunction(() => document.querySelector("#status")?.textContent === "done", undefined, {
      timeout: 20_000,
    });

    expect(await page.locator("#sentences > li").allTextContents()).toEqual([...PARAGRAPH]);
    const total = PARAGRAPH.length;
    expect(await page.locator("#progress").textContent()).toMatch(new RegExp(`^${total} / ${total} at \\S`));
    expect(await page.locator("#error").isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);

    await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: "disabled" });
    await page.close();
  }, 30_000);
});
