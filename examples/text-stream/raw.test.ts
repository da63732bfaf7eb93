import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARAGRAPH } from "./contract.js";
import { createDemoServer, type DemoServer } from "./server.js";

/** The events of a finished stream as field lists, comments (keep-alives) dropped. */
function blocks(body: string): string[][] {
  return body
    .split("\n\n")
    .map((block) => block.split("\n").filter((line) => line !== "" && !line.startsWith(":")))
    .filter((lines) => lines.length > 0);
}

describe("text stream, raw HTTP (what curl and EventSource see)", () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await createDemoServer({ port: 0, delayMs: 10 });
  });
  afterAll(() => demo.close());

  const textUrl = (input?: unknown): string =>
    `${demo.sseUrl}/text${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;

  it("writes event:, id: and data: lines with plain JSON, and ends with rivulet:end", async () => {
    const response = await fetch(textUrl({ delayMs: 10 }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    const events = blocks(await response.text());

    expect(events).toHaveLength(PARAGRAPH.length * 2 + 1);
    PARAGRAPH.forEach((text, index) => {
      expect(events[index * 2]).toEqual(["event: sentence", `id: ${index}`, `data: ${JSON.stringify({ index, text })}`]);
      const progress = events[index * 2 + 1] ?? [];
      expect(progress[0]).toBe("event: progress");
      const data = progress.find((line) => line.startsWith("data: "));
      expect(JSON.parse(data?.slice("data: ".length) ?? "null")).toEqual({
        sent: index + 1,
        total: PARAGRAPH.length,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });
    expect(events.at(-1)?.[0]).toBe("event: rivulet:end");
  });

  it("sends only the sentences after Last-Event-ID", async () => {
    const response = await fetch(textUrl(), { headers: { "last-event-id": "5" } });
    const ids = blocks(await response.text()).flatMap((lines) => lines.filter((line) => line.startsWith("id: ")));
    // The end event carries the reserved id that answers a plain EventSource's reconnect with 204.
    expect(ids).toEqual(["id: 6", "id: rivulet:end"]);
  });

  it("answers bad input with a 400 JSON error before any stream starts", async () => {
    const response = await fetch(textUrl({ delayMs: 99_999 }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("INVALID_INPUT");
  });

  it("serves the page and its script, and 404 elsewhere", async () => {
    const page = await fetch(demo.url);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain('<ol id="sentences">');
    const script = await fetch(new URL("/app.js", demo.url));
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain('new EventSource(');
    expect((await fetch(new URL("/contract.ts", demo.url))).status).toBe(404);
    expect((await fetch(new URL("/nope", demo.url))).status).toBe(404);
  });
});
