import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readArticle } from "./client.js";
import { SENTENCES } from "./contract.js";
import { startFlask, startGo, type ForeignKind, type ForeignServer } from "./foreign-servers.js";
import { foreignSuite } from "./foreign-suite.js";
import { createArticleServer, type ArticleServer } from "./server.js";

/** What `readArticle` writes for each sentence: the seconds since the request, then the sentence. */
const LINE = /^ *\d+\.\d\d s {2}(.*)$/;

describe("article example, the Rivulet server", () => {
  let site: ArticleServer;
  beforeAll(async () => {
    site = await createArticleServer({ port: 0, pauseMs: 10 });
  });
  afterAll(() => site.close());

  it("readArticle gets the five sentences in order, in one request, and ends with the close", async () => {
    const lines: string[] = [];
    const read = await readArticle({ baseUrl: site.baseUrl, write: (line) => lines.push(line) });
    expect(read).toEqual({ sentences: [...SENTENCES], requests: 1 });
    expect(lines.map((line) => LINE.exec(line)?.[1])).toEqual([...SENTENCES]);
  });

  it("writes the Flask and Go servers' wire: unnamed events (the page's onmessage), the text without JSON quotes, then the close", async () => {
    const response = await fetch(`${site.baseUrl}/events`);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(await response.text()).toBe(SENTENCES.map((sentence) => `data: ${sentence}\n\n`).join(""));
  });

  it("serves the article's page at / and nothing else", async () => {
    const page = await fetch(site.url);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toContain('new EventSource("/events")');
    expect(html).toContain("eventSource.onmessage");
    expect((await fetch(new URL("/app.js", site.url))).status).toBe(404);
  });
});

const STARTS = { flask: startFlask, go: startGo } satisfies Record<ForeignKind, unknown>;

for (const kind of ["flask", "go"] as const) {
  foreignSuite(kind, "article example")(`article example, the ${kind} server`, () => {
    let server: ForeignServer | undefined;
    beforeAll(async () => {
      server = await STARTS[kind]({ pauseMs: 10 });
    }, 180_000);
    afterAll(() => server?.stop());

    it("readArticle gets the five sentences in order, in one request, and ends with the close", async () => {
      if (!server) throw new Error(`the ${kind} server did not start`);
      const read = await readArticle({ baseUrl: server.baseUrl, write: () => {} });
      expect(read).toEqual({ sentences: [...SENTENCES], requests: 1 });
    });

    it("stop() ends the server's own process", async () => {
      if (!server) throw new Error(`the ${kind} server did not start`);
      const { pid } = server;
      await server.stop();
      // Signal 0 checks that a process exists without touching it: ESRCH once it is gone.
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
      await expect(fetch(`${server.baseUrl}/events`)).rejects.toThrow();
    });
  });
}
