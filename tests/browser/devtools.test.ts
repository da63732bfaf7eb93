import { mkdir, writeFile } from "node:fs/promises";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { defineContract, stream } from "@rivulet/shared";
import { implement } from "@rivulet/server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { createServerPool } from "../helpers/servers.js";

const suite = browserSuite("devtools");

/** Where the README's screenshot goes; written only when every step of the page test passed. */
const SCREENSHOT = new URL("../../docs/img/devtools.png", import.meta.url);

const Ticker = z.enum(["ACME", "GLOBEX", "INITECH"]);
const contract = defineContract({
  prices: stream({
    input: z.object({ symbol: Ticker, count: z.number().int().min(1).max(20) }),
    events: {
      price: z.object({ symbol: Ticker, price: z.number(), at: z.date() }),
      halt: z.object({ reason: z.string() }),
    },
  }),
  chat: {
    room: stream({
      input: z.object({ room: z.string().min(1) }),
      events: { message: z.object({ user: z.string(), text: z.string() }) },
      method: "POST",
    }),
  },
  clock: stream({ events: { tick: z.object({ n: z.number().int() }) } }),
});

/** Waits for the client to leave. */
const park = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

/**
 * `prices` sends prices 1..count, each with its number as id, then stays open and idle (so the
 * keep-alives show). A resume gets the prices after its Last-Event-ID, and nothing before.
 */
const router = implement(contract, {
  prices: async function* ({ input, lastEventId, signal }) {
    for (let i = Number(lastEventId ?? 0) + 1; i <= input.count; i++) {
      const price = Math.round((100 + 7 * Math.sin(i)) * 100) / 100;
      yield { event: "price", id: String(i), data: { symbol: input.symbol, price, at: new Date(Date.UTC(2026, 11, 3, 9, 30, i)) } };
    }
    await park(signal);
  },
  chat: {
    room: async function* ({ input, signal }) {
      yield { event: "message", data: { user: "ada", text: `welcome to ${input.room}` } };
      await park(signal);
    },
  },
  clock: async function* ({ signal }) {
    await park(signal);
  },
});

suite("devtools in Chromium: subscribe through the form, events, keep-alives, cut, reconnect, resume", { timeout: 60_000 }, () => {
  const pool = createServerPool();
  let browser: Browser | undefined;
  let page: Page | undefined;
  let origin = "";
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    origin = await pool.start(router.node({ prefix: "/sse", devtools: true, keepAliveMs: 400 }));
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.on("request", (request) => requests.push(request.url()));
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    // A CSP violation (an inline script or style the policy refuses) is reported on the console.
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await pool.closeAll();
  });

  /** The timeline's rows as `kind id`, in order (`event 3`, `keep-alive`, `reconnect 5`…). */
  const rows = (): Promise<string[]> =>
    page!.$$eval("#timeline-body tr", (trs) =>
      trs.map((tr) => `${tr.getAttribute("data-kind")} ${tr.querySelector(".id")?.textContent ?? ""}`.trim()),
    );

  /** The rows after the last one of `kind`. */
  const after = async (kind: string): Promise<string[]> => {
    const all = await rows();
    const at = all.map((row) => row.split(" ")[0]).lastIndexOf(kind);
    return all.slice(at + 1);
  };

  const waitUntil = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    await expect.poll(check, { timeout: 10_000, message: what }).toBe(true);
  };

  const openCount = (path: string): Promise<string> =>
    page!.$eval(`#connections-body tr[data-path="${path}"] td.number`, (td) => td.textContent ?? "");

  it("lists every stream with its schemas and a form prefilled from its input schema", async () => {
    await page!.goto(`${origin}/sse/_devtools`);
    await page!.waitForSelector('details.stream[data-stream="prices"]');
    const streams = await page!.$$eval("details.stream", (cards) => cards.map((card) => card.getAttribute("data-stream")));
    expect(streams).toEqual(["prices", "chat/room", "clock"]);
    const schemas = await page!.$$eval('details.stream[data-stream="prices"] details.schema summary', (s) => s.map((e) => e.textContent));
    expect(schemas).toEqual(["input", "event price", "event halt"]);
    // Prefilled with a value the schema accepts: the enum's first symbol, the count's minimum.
    const prefilled = await page!.$eval('details.stream[data-stream="prices"] textarea', (t) => (t as HTMLTextAreaElement).value);
    expect(JSON.parse(prefilled)).toEqual({ symbol: "ACME", count: 1 });
    // A POST-only stream offers POST alone; a stream without input has no textarea.
    const methods = await page!.$$eval('details.stream[data-stream="chat/room"] select option', (o) => o.map((e) => e.textContent));
    expect(methods).toEqual(["POST"]);
    expect(await page!.$('details.stream[data-stream="clock"] textarea')).toBeNull();
    await waitUntil("the connections panel is live", async () => (await page!.textContent("#connections-status")) === "live");
  });

  it("subscribes with the form's input: events, with their ids and sizes, then keep-alives; the panel counts it", async () => {
    await page!.fill('details.stream[data-stream="prices"] textarea', '{ "symbol": "GLOBEX", "count": 5 }');
    await page!.click('details.stream[data-stream="prices"] button[type=submit]');
    await waitUntil("five prices and a keep-alive", async () => (await rows()).includes("keep-alive"));
    const seen = await rows();
    expect(seen.slice(0, 2)).toEqual(["subscribe", "open"]);
    expect(seen.filter((row) => row.startsWith("event"))).toEqual(["event 1", "event 2", "event 3", "event 4", "event 5"]);
    const first = await page!.$eval('#timeline-body tr[data-kind="event"]', (tr) => ({
      name: tr.querySelector(".name")?.textContent,
      bytes: Number(tr.querySelector(".bytes")?.textContent),
      payload: JSON.parse(tr.querySelector(".payload")?.textContent ?? "null") as unknown,
    }));
    expect(first.name).toBe("price");
    expect(first.payload).toEqual({ symbol: "GLOBEX", price: 105.89, at: "2026-12-03T09:30:01.000Z" });
    // data and its superjson meta line (the Date), in UTF-8 bytes.
    const meta = '{"values":{"at":["Date"]},"v":1}';
    expect(first.bytes).toBe(JSON.stringify(first.payload).length + meta.length);
    expect(await page!.textContent("#last-event-id")).toBe("5");
    expect(await page!.getAttribute("#state", "data-state")).toBe("open");
    await waitUntil("the panel counts one open prices stream", async () => (await openCount("prices")) === "1");
  });

  it("cut: the page reconnects on its own with Last-Event-ID, and gets nothing twice", async () => {
    await page!.click("#cut");
    await waitUntil("a reconnect, its stream open, then a keep-alive", async () => {
      const since = await after("cut");
      return since[0] === "reconnect 5" && since[1] === "open" && since.includes("keep-alive");
    });
    // Nothing after 5 yet: the reconnect resumed, rather than start over.
    expect((await after("reconnect")).filter((row) => row.startsWith("event"))).toEqual([]);
    expect(await page!.textContent("#last-event-id")).toBe("5");
  });

  it("cut with reconnecting off: paused, the panel at 0; resume from a chosen id: the events after it, none before", async () => {
    await page!.uncheck("#reconnects");
    await page!.click("#cut");
    await waitUntil("paused", async () => (await page!.getAttribute("#state", "data-state")) === "paused");
    await waitUntil("the panel counts no prices stream", async () => (await openCount("prices")) === "0");
    expect((await after("cut")).filter((row) => !row.startsWith("keep-alive"))).toEqual([]);

    await page!.fill("#resume-id", "2");
    await page!.click("#resume");
    await waitUntil("the prices after 2", async () => (await after("resume")).filter((row) => row.startsWith("event")).length === 3);
    const since = await after("cut");
    expect(since[0]).toBe("resume 2");
    expect(since.filter((row) => row.startsWith("event"))).toEqual(["event 3", "event 4", "event 5"]);
    expect(await page!.textContent("#last-event-id")).toBe("5");
    await waitUntil("the panel counts it again", async () => (await openCount("prices")) === "1");
    await waitUntil("a keep-alive after the resumed prices", async () => (await after("resume")).includes("keep-alive"));

    // Same origin only, and no error or refused script on the way.
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(problems).toEqual([]);

    // The screenshot shows a stream's schema too.
    await page!.click('details.stream[data-stream="prices"] details.schema summary');
    await mkdir(new URL(".", SCREENSHOT), { recursive: true });
    await writeFile(SCREENSHOT, await page!.screenshot({ type: "png" }));
  });
});
