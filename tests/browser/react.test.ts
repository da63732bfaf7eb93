import type http from "node:http";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { bundleScript } from "@rivulet/example-kit/bundle";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { createFeeds, type FeedConnection } from "../../packages/react/src/test-utils/feeds.js";
import { createServerPool } from "../helpers/servers.js";
import { pageListener } from "./page-server.js";
import type { Scene } from "./react-page.js";

const suite = browserSuite("react");

/** react-page.ts with React's development build, where StrictMode runs every effect twice. */
function bundleReactPage(): Promise<string> {
  return bundleScript(new URL("./react-page.ts", import.meta.url), { "process.env.NODE_ENV": '"development"' });
}

/** Chromium's console line for a refused request, which the refusal test causes on purpose. */
const REFUSED = /^Failed to load resource: the server responded with a status of 400/;

suite("useStream in Chromium: a React 19 page against a Rivulet server", { timeout: 60_000 }, () => {
  const pool = createServerPool();
  const feeds = createFeeds();
  /** The path and query of every request for a stream the server got. */
  const requests: string[] = [];
  let browser: Browser | undefined;
  let origin = "";
  let page: Page;
  let consoleErrors: string[] = [];

  beforeAll(async () => {
    const script = await bundleReactPage();
    origin = await pool.start(
      pageListener(script, (req: http.IncomingMessage, res: http.ServerResponse) => {
        // Chromium asks once; a 404 would be a console error.
        if (req.url === "/favicon.ico") return void res.writeHead(204).end();
        requests.push(req.url ?? "");
        feeds.handler(req, res);
      }),
    );
    browser = await launchChromium();
  }, 60_000);

  beforeEach(async () => {
    if (!browser) throw new Error("no browser");
    page = await browser.newPage();
    consoleErrors = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => "reactHarness" in window);
  });

  afterEach(async () => {
    await page.close();
    // React's own warnings (a getSnapshot that is not cached, a missing key, an update after unmount) fail the test.
    expect(consoleErrors.filter((text) => !REFUSED.test(text))).toStrictEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await pool.closeAll();
  });

  const render = (scene: Scene): Promise<void> => page.evaluate((s) => window.reactHarness.render(s), scene);
  const roomOf = (room: string): FeedConnection[] => feeds.connections.filter((connection) => connection.room === room);
  /** The server's connections for `room`, once it has taken `count` of them. */
  const connected = async (room: string, count = 1): Promise<FeedConnection[]> => {
    await feeds.until(() => roomOf(room).length >= count);
    return roomOf(room);
  };
  /** What the page shows: the state, the error's code, the events' labels and the last one's. */
  const shown = () =>
    page.evaluate(() => {
      const view = document.querySelector("#view");
      return {
        state: view?.getAttribute("data-state"),
        error: view?.getAttribute("data-error"),
        items: [...document.querySelectorAll("#view li")].map((li) => li.textContent),
        last: document.querySelector("#view output")?.textContent,
      };
    });
  const untilShown = (predicate: string): Promise<unknown> =>
    page.waitForFunction(`(() => { const view = document.querySelector("#view"); const items = [...document.querySelectorAll("#view li")].map((li) => li.textContent); return ${predicate}; })()`);
  const fetchCount = (): Promise<number> => page.evaluate(() => window.reactHarness.fetches.length);
  const label = (room: string, n: number): string => `${room}#${n} ${new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString()}`;

  it("renders events as they arrive, each typed and decoded (Dates as Dates)", async () => {
    await render({ stream: "feed", room: "live" });
    const [connection] = await connected("live");
    await untilShown('view.dataset.state === "open"');
    expect(await shown()).toStrictEqual({ state: "open", error: "", items: [], last: "" });

    connection?.tick();
    await untilShown("items.length === 1");
    expect(await shown()).toStrictEqual({ state: "open", error: "", items: [label("live", 1)], last: label("live", 1) });
    connection?.tick();
    connection?.note();
    await untilShown("items.length === 3");
    expect((await shown()).items).toStrictEqual([label("live", 1), label("live", 2), "note after 2"]);
  });

  it("StrictMode: effects run twice, the server gets one connection", async () => {
    const before = requests.length;
    await render({ stream: "feed", room: "strict", strict: true });
    const [connection] = await connected("strict");
    connection?.tick();
    await untilShown("items.length === 1");
    await page.evaluate(() => window.reactHarness.settle());
    // The page really ran StrictMode's development behaviour: set up, torn down, set up again.
    expect(await page.evaluate(() => window.reactHarness.effects)).toStrictEqual({ mounts: 2, unmounts: 1 });
    expect(await fetchCount()).toBe(1);
    expect(roomOf("strict")).toHaveLength(1);
    expect(requests.slice(before).filter((url) => url.startsWith("/sse/feed"))).toHaveLength(1);
  });

  it("a new input: the old stream's finally runs, a new one starts, and the events start over", async () => {
    await render({ stream: "feed", room: "one" });
    const [one] = await connected("one");
    one?.tick(2);
    await untilShown("items.length === 2");

    await render({ stream: "feed", room: "two" });
    await feeds.until(() => one?.finished === true);
    const [two] = await connected("two");
    two?.tick();
    await untilShown(`items.length === 1 && items[0] === ${JSON.stringify(label("two", 1))}`);
    expect(await fetchCount()).toBe(2);
    expect(two?.lastEventId).toBeUndefined();
  });

  it("an equal input, a new object: no reconnection", async () => {
    await render({ stream: "feed", room: "same" });
    const [connection] = await connected("same");
    connection?.tick();
    await untilShown("items.length === 1");
    const commits = await page.evaluate(() => window.reactHarness.lengths.length);

    const after = await page.evaluate(async (scene) => {
      window.reactHarness.render(scene);
      await window.reactHarness.settle();
      return { commits: window.reactHarness.lengths.length, fetches: window.reactHarness.fetches.length };
    }, { stream: "feed", room: "same" } satisfies Scene);
    expect(after.commits).toBeGreaterThan(commits);
    expect(after.fetches).toBe(1);

    // The same connection still delivers.
    connection?.tick();
    await untilShown("items.length === 2");
    expect(roomOf("same")).toHaveLength(1);
    expect(connection?.finished).toBe(false);
  });

  it("unmounting runs the stream's finally on the server", async () => {
    await render({ stream: "feed", room: "gone" });
    const [connection] = await connected("gone");
    connection?.tick();
    await untilShown("items.length === 1");
    await page.evaluate(() => window.reactHarness.clear());
    await feeds.until(() => connection?.finished === true);
    await page.evaluate(() => window.reactHarness.settle());
    expect(await fetchCount()).toBe(1);
  });

  it("the buffer never holds more than bufferSize events", async () => {
    await render({ stream: "feed", room: "bound", options: { bufferSize: 5 } });
    const [connection] = await connected("bound");
    connection?.tick(40);
    await untilShown(`view.querySelector("output").textContent === ${JSON.stringify(label("bound", 40))}`);
    expect((await shown()).items).toStrictEqual([36, 37, 38, 39, 40].map((n) => label("bound", n)));
    const lengths = await page.evaluate(() => window.reactHarness.lengths);
    expect(Math.max(...lengths)).toBe(5);
    console.log(`[react] 40 events with bufferSize 5: ${lengths.length} commits, events.length at each: ${lengths.join(" ")}`);
  });

  it("enabled: false opens nothing; enabled again, it connects", async () => {
    await render({ stream: "feed", room: "later", options: { enabled: false } });
    await page.evaluate(() => window.reactHarness.settle());
    expect(await fetchCount()).toBe(0);
    expect((await shown()).state).toBe("idle");

    await render({ stream: "feed", room: "later", options: { enabled: true } });
    const [connection] = await connected("later");
    connection?.tick();
    await untilShown("items.length === 1");
    expect(await fetchCount()).toBe(1);
  });

  it("a stream without input, to its end: closed, no error", async () => {
    await render({ stream: "clock" });
    await untilShown('view.dataset.state === "closed"');
    expect(await shown()).toStrictEqual({ state: "closed", error: "", items: ["tick 1", "tick 2", "tick 3"], last: "tick 3" });
  });

  it("a refused input: closed, with the server's error code", async () => {
    await render({ stream: "feed", room: "" });
    await untilShown('view.dataset.state === "closed"');
    expect(await shown()).toStrictEqual({ state: "closed", error: "INVALID_INPUT", items: [], last: "" });
    expect(await fetchCount()).toBe(1);
  });

  it("<Activity> hidden stops the stream; shown again, it resumes after the last event's ID, keeping the events", async () => {
    await render({ stream: "feed", room: "act" });
    const [first] = await connected("act");
    first?.tick(2);
    await untilShown("items.length === 2");

    await render({ stream: "feed", room: "act", hidden: true });
    await feeds.until(() => first?.finished === true);

    await render({ stream: "feed", room: "act" });
    const [, second] = await connected("act", 2);
    expect(second?.lastEventId).toBe("2");
    second?.tick();
    await untilShown("items.length === 3");
    expect((await shown()).items).toStrictEqual([1, 2, 3].map((n) => label("act", n)));
    expect(await page.evaluate(() => window.reactHarness.fetches.map((fetch) => fetch.lastEventId))).toStrictEqual([null, "2"]);
  });
});
