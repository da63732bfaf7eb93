import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { formatLogLine, type Level } from "./log-line.js";
import { createLogTailServer, type LogTailServer } from "./server.js";

const SCREENSHOT = "/tmp/log-tail.png";
const suite = browserSuite("log-tail");
const AT = new Date("2026-12-03T09:00:00.000Z");

/** What the page shows: each line's offset and text, in order. */
const shown = (page: Page) =>
  page.locator("#lines > li[data-offset]").evaluateAll((items) =>
    items.map((item) => `${(item as HTMLElement).dataset["offset"]} ${(item as HTMLElement).dataset["level"]} ${item.lastChild?.textContent}`),
  );

/** Waits until the page shows `count` lines. */
const showsLines = (page: Page, count: number) =>
  page.waitForFunction((n) => document.querySelectorAll("#lines > li[data-offset]").length === n, count, { timeout: 20_000 });

suite("log tail, the page in Chromium (EventSource)", { timeout: 60_000 }, () => {
  let dir: string;
  let file: string;
  let tail: LogTailServer | undefined;
  let browser: Browser | undefined;
  let size = 0;
  const written: string[] = [];

  /** Appends a line and returns what the page will show for it. */
  async function log(level: Level, text: string): Promise<string> {
    const line = formatLogLine(level, text, AT);
    await appendFile(file, line);
    const entry = `${size} ${level} ${text}`;
    size += Buffer.byteLength(line);
    written.push(entry);
    return entry;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "log-tail-browser-"));
    file = join(dir, "app.log");
    await writeFile(file, "");
    tail = await createLogTailServer({ file, port: 0, pollMs: 10 });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await tail?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows the last lines, then new ones; resumes after a cut without a line twice or lost; filters by level", async () => {
    if (!browser || !tail) throw new Error("setup failed");
    const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));

    for (let i = 1; i <= 12; i++) await log(i % 5 === 0 ? "warn" : "info", `request ${i} served`);
    await page.goto(tail.url);
    await showsLines(page, 10); // the last 10, as tail does
    expect(await shown(page)).toEqual(written.slice(2));

    await log("error", "payment webhook failed");
    await showsLines(page, 11);

    // The cut: every connection drops; the browser reconnects with Last-Event-ID by itself.
    tail.server.closeAllConnections();
    await log("debug", "written during the cut");
    await log("warn", "also written during the cut");
    await showsLines(page, 13);
    expect(await shown(page)).toEqual(written.slice(2));
    expect(await page.locator("#last-id").textContent()).toBe(String(size));

    // A new filter is a new stream: the file's last 10 lines, of which the warnings and errors.
    await page.selectOption("#level", "warn");
    const warnings = written.slice(-10).filter((entry) => / (warn|error) /.test(entry));
    await showsLines(page, warnings.length);
    expect(await shown(page)).toEqual(warnings);
    expect(new URL(page.url()).searchParams.get("level")).toBe("warn");
    expect(pageErrors).toEqual([]);

    await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: "disabled" });
    await page.close();
  });
});
