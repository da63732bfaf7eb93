import { type Browser, type Page } from "playwright-core";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createChatServer, type ChatServer } from "./server.js";

const SCREENSHOT = "/tmp/chat.png";
const suite = browserSuite("chat");

suite("chat, two pages in Chromium (EventSource + fetch)", { timeout: 30_000 }, () => {
  let chat: ChatServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    chat = await createChatServer({ port: 0 });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await chat?.close();
  });

  /** A page in its own browser context (its own connections), with its errors collected. */
  async function openPage(errors: string[]): Promise<Page> {
    if (!browser) throw new Error("setup failed");
    const context = await browser.newContext({ viewport: { width: 760, height: 760 } });
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    return page;
  }

  const countIs = (page: Page, count: number): Promise<unknown> =>
    page.waitForFunction((n) => document.querySelector("#count")?.textContent === String(n), count, { timeout: 10_000 });

  it("joins two pages to a room, counts them, and shows a message sent from one on the other", async () => {
    if (!chat) throw new Error("setup failed");
    const errors: string[] = [];
    const alice = await openPage(errors);
    const bob = await openPage(errors);

    // Alice fills in the form; Bob follows a link that names the room and himself.
    await alice.goto(chat.url);
    await alice.fill("#name", "Alice");
    await alice.fill("#room", "garden");
    await alice.click("#join button[type=submit]");
    await countIs(alice, 1);
    expect(new URL(alice.url()).search).toBe("?room=garden&name=Alice");

    await bob.goto(`${chat.url}?room=garden&name=Bob`);
    await countIs(bob, 2);
    await countIs(alice, 2);
    expect(await bob.locator("#room-title").textContent()).toBe("#garden");
    expect(await bob.locator("#join").isHidden()).toBe(true);

    await alice.fill("#text", "Hello Bob, <b>not bold</b>!");
    await alice.press("#text", "Enter");
    const received = bob.locator("#messages li");
    await received.first().waitFor({ timeout: 10_000 });
    expect(await received.count()).toBe(1);
    expect(await received.locator(".from").textContent()).toBe("Alice");
    // Text, never markup.
    expect(await received.locator(".text").textContent()).toBe("Hello Bob, <b>not bold</b>!");
    expect(await received.locator("b").count()).toBe(0);
    expect(await received.locator("time").textContent()).toMatch(/\d/);

    // The sender sees it too, marked as hers, and her input is cleared.
    await alice.locator("#messages li.mine").waitFor({ timeout: 10_000 });
    expect(await alice.inputValue("#text")).toBe("");

    await bob.fill("#text", "Hi Alice!");
    await bob.click("#send button[type=submit]");
    await alice.locator("#messages li", { hasText: "Hi Alice!" }).waitFor({ timeout: 10_000 });
    await bob.locator("#messages li.mine", { hasText: "Hi Alice!" }).waitFor({ timeout: 10_000 });
    await bob.screenshot({ path: SCREENSHOT, fullPage: true, animations: "disabled" });

    // Alice leaves: Bob's count goes down.
    await alice.click("#leave");
    await countIs(bob, 1);
    expect(await alice.locator("#join").isVisible()).toBe(true);
    expect(await alice.locator("#chat").isHidden()).toBe(true);

    for (const page of [alice, bob]) {
      expect(await page.locator("#error").isHidden()).toBe(true);
      await page.context().close();
    }
    expect(errors).toEqual([]);
  }, 30_000);
});
