import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { gatedPace, type GatedPace } from "./gated-pace.js";
import { answerFor } from "./model.js";
import { STORAGE_KEY, type SavedAnswer } from "./public/saved.js";
import { createLlmChatServer, type LlmChatServer } from "./server.js";

const SCREENSHOT = "/tmp/llm-chat.png";
const PROMPT = "Why should an answer survive a reload?";
const ANSWER = answerFor(PROMPT);
const suite = browserSuite("llm-chat");

suite("llm-chat in Chromium: reload, a second tab, stop", { timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  let chat: LlmChatServer | undefined;
  let gate: GatedPace | undefined;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    gate?.release();
    await chat?.close();
    chat = undefined;
    expect(errors.splice(0)).toEqual([]);
  });

  /** A server whose model waits before token `open` until the test lets it go on. */
  async function start(open: number): Promise<{ server: LlmChatServer; gate: GatedPace }> {
    gate = gatedPace(open);
    chat = await createLlmChatServer({ port: 0, pace: gate.pace });
    return { server: chat, gate };
  }

  /** A browser of its own: its own cookies (session) and localStorage, shared by its tabs. */
  async function newBrowserContext(): Promise<BrowserContext> {
    if (!browser) throw new Error("setup failed");
    const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
    contexts.push(context);
    return context;
  }

  async function openTab(context: BrowserContext, server: LlmChatServer): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(server.url);
    return page;
  }

  async function ask(page: Page, prompt: string): Promise<void> {
    await page.fill("#prompt", prompt);
    await page.click("#send");
  }

  /** What the page shows of its answer, and the counts it keeps. */
  const shown = (page: Page) =>
    page.evaluate(() => {
      const answer = document.querySelector<HTMLElement>("#answer");
      return {
        text: answer?.textContent ?? "",
        state: answer?.dataset["state"] ?? "",
        tokens: Number(answer?.dataset["tokens"]),
        received: Number(answer?.dataset["received"]),
      };
    });
  const saved = async (page: Page): Promise<SavedAnswer> =>
    JSON.parse((await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY)) ?? "null") as SavedAnswer;

  const tokensAre = (page: Page, count: number): Promise<unknown> =>
    page.waitForFunction((n) => document.querySelector<HTMLElement>("#answer")?.dataset["tokens"] === String(n), count, { timeout: 15_000 });
  const stateIs = (page: Page, state: string): Promise<unknown> =>
    page.waitForFunction((s) => document.querySelector<HTMLElement>("#answer")?.dataset["state"] === s, state, { timeout: 15_000 });

  it("a reload mid-answer rejoins the run and goes on where it was, with no token twice", async () => {
    const { server, gate } = await start(8);
    const page = await openTab(await newBrowserContext(), server);
    await ask(page, PROMPT);
    await tokensAre(page, 8);
    await gate.reached(8);
    const before = await saved(page);
    expect(before).toMatchObject({ prompt: PROMPT, state: "streaming", tokens: 8, text: ANSWER.tokens.slice(0, 8).join("") });
    expect(before.lastEventId).toBe(`${before.runId}:8`);

    await page.reload();
    // The saved answer is back at once, and the page has joined its run again.
    await page.waitForFunction((text) => document.querySelector("#answer")?.textContent === text, before.text, { timeout: 15_000 });
    expect(await shown(page)).toMatchObject({ state: "streaming", tokens: 8, received: 0 });
    expect(await page.locator("#question").textContent()).toBe(PROMPT);

    gate.release();
    await stateIs(page, "done");
    // Every token exactly once: the text is the answer, and this load received exactly the tokens the first one had not.
    expect(await shown(page)).toEqual({ text: ANSWER.text, state: "done", tokens: ANSWER.tokens.length, received: ANSWER.tokens.length - 8 });
    expect(await page.locator("#finish").textContent()).toBe("finish reason: stop");
    expect(await page.locator("#usage").textContent()).toBe(`${ANSWER.promptTokens} prompt + ${ANSWER.tokens.length} completion tokens`);
    expect(await page.locator("#stop").isHidden()).toBe(true);
    expect(server.generators.finished).toBe(1);
    await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: "disabled" });
  });

  it("a second tab shows the same answer live, and so does a tab opened mid-answer", async () => {
    const { server, gate } = await start(5);
    const context = await newBrowserContext();
    const first = await openTab(context, server);
    const second = await openTab(context, server); // open before the question: told by the storage event
    await ask(first, PROMPT);
    await tokensAre(first, 5);
    await tokensAre(second, 5);
    const third = await openTab(context, server); // opened mid-answer: reads the saved answer on load
    await tokensAre(third, 5);

    // The text grows in every tab while the answer still streams.
    gate.release(12);
    for (const page of [first, second, third]) {
      await tokensAre(page, 12);
      expect(await shown(page)).toMatchObject({ text: ANSWER.tokens.slice(0, 12).join(""), state: "streaming" });
    }
    expect(await second.locator("#question").textContent()).toBe(PROMPT);

    gate.release();
    for (const page of [first, second, third]) {
      await stateIs(page, "done");
      expect(await shown(page)).toMatchObject({ text: ANSWER.text, tokens: ANSWER.tokens.length });
    }
    // The second tab received every token itself; the third, those after the five it loaded with.
    expect((await shown(second)).received).toBe(ANSWER.tokens.length);
    expect((await shown(third)).received).toBe(ANSWER.tokens.length - 5);
    expect(server.generators.finished).toBe(1);
  });

  it("Stop in one tab stops the answer for both, and the server's generator finishes", async () => {
    const { server, gate } = await start(6);
    const context = await newBrowserContext();
    const first = await openTab(context, server);
    const second = await openTab(context, server);
    await ask(first, PROMPT);
    await tokensAre(first, 6);
    await tokensAre(second, 6);
    await gate.reached(6);
    const { runId } = await saved(first);
    const finished = server.generators.whenFinished(runId);

    await second.click("#stop");
    expect(await finished).toBe("stopped");
    const prefix = ANSWER.tokens.slice(0, 6).join("");
    for (const page of [first, second]) {
      await stateIs(page, "stopped");
      expect(await shown(page)).toMatchObject({ text: prefix, tokens: 6 });
      expect(await page.locator("#finish").textContent()).toBe("stopped");
      expect(await page.locator("#stop").isHidden()).toBe(true);
      expect(await page.locator("#send").isEnabled()).toBe(true);
    }
    // Nothing more can come: the generator is gone, and the gate opening sends nothing.
    gate.release();
    expect(server.generators.running.size).toBe(0);
    const replay = await first.evaluate(async ([url, id]) => (await fetch(`${url}/chat/ask?run=${id}`)).text(), [server.sseUrl, runId] as const);
    expect(replay.match(/^event: token$/gm)).toHaveLength(6);
    expect(replay).toContain("event: rivulet:end");
    for (const page of [first, second]) expect((await shown(page)).tokens).toBe(6);
    expect(server.generators.finished).toBe(1);
  });

  it("another browser cannot join the run, even with its id", async () => {
    const { server, gate } = await start(3);
    const page = await openTab(await newBrowserContext(), server);
    await ask(page, PROMPT);
    await tokensAre(page, 3);
    const answer = await saved(page);

    // Another browser (its own session cookie) given the saved answer, id and all.
    const other = await newBrowserContext();
    await other.addInitScript(([key, value]) => localStorage.setItem(key, value), [STORAGE_KEY, JSON.stringify(answer)] as const);
    const intruder = await openTab(other, server);
    await stateIs(intruder, "error");
    expect(await intruder.locator("#error").textContent()).toMatch(/^RUN_NOT_FOUND: /);
    expect((await shown(intruder)).received).toBe(0);

    gate.release();
    await stateIs(page, "done");
    expect((await shown(page)).text).toBe(ANSWER.text);
  });
});
