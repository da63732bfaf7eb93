import type { Browser } from "playwright-core";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTrpcServer, type TrpcServer } from "./server.js";
import { watchedBroker } from "./test-broker.js";

const SCREENSHOT = "/tmp/trpc.png";
const suite = browserSuite("trpc");

suite("trpc page in Chromium (tRPC client: httpBatchLink + httpSubscriptionLink)", { timeout: 30_000 }, () => {
  const watched = watchedBroker();
  let app: TrpcServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    app = await createTrpcServer({ port: 0, broker: watched.broker });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("lists the rooms from the query, and shows a message sent with the mutation as it comes back over the subscription", async () => {
    if (!app || !browser) throw new Error("setup failed");
    const errors: string[] = [];
    const context = await browser.newContext({ viewport: { width: 760, height: 600 } });
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));

    await page.goto(app.url);
    await page.locator("#room option").nth(1).waitFor({ state: "attached", timeout: 10_000 });
    expect(await page.locator("#room option").allTextContents()).toEqual(["lobby", "random"]);
    await watched.subscribed("lobby");
    await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });

    await page.fill("#from", "Grace");
    await page.fill("#text", "Hello from <b>the page</b>");
    await page.click("#send button[type=submit]");

    const item = page.locator("#messages li");
    await item.first().waitFor({ timeout: 10_000 });
    expect(await item.count()).toBe(1);
    expect(await item.locator(".from").textContent()).toBe("Grace");
    // Text, never markup.
    expect(await item.locator(".text").textContent()).toBe("Hello from <b>the page</b>");
    expect(await item.locator("b").count()).toBe(0);
    // `at` came as a Date (superjson): the page formats it and writes its ISO form.
    expect(await item.locator("time").getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.inputValue("#text")).toBe("");
    expect(await page.locator("#error").isHidden()).toBe(true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: "disabled" });

    await context.close();
    expect(errors).toEqual([]);
  }, 30_000);
});
