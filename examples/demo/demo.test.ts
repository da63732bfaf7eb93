import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLES } from "./examples.js";
import { startDemo, type Demo } from "./server.js";

describe("npm run demo: the index and every example it links", () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo({ port: 0 });
  }, 30_000);
  afterAll(() => demo?.close());

  it("starts every example, each on a port of its own", () => {
    expect(demo.entries.map((entry) => [entry.example.name, entry.state])).toEqual(
      EXAMPLES.map((example) => [example.name, "running"]),
    );
    const ports = demo.entries.map((entry) => (entry.state === "running" ? new URL(entry.url).port : ""));
    expect(new Set([...ports, new URL(demo.url).port]).size).toBe(EXAMPLES.length + 1);
  });

  it("serves the index, which links every example's page (and the devtools where they are on)", async () => {
    const response = await fetch(demo.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map(([, href]) => href).filter((href) => href !== "data:,");
    expect(hrefs).toEqual(demo.links);
    for (const entry of demo.entries) {
      if (entry.state === "running") expect(hrefs).toContain(entry.url);
    }
    // The ticker has devtools on (examples/ticker/server.ts): its page is linked.
    const ticker = demo.entries.find((entry) => entry.example.name === "ticker");
    if (ticker?.state !== "running") throw new Error("the ticker did not start");
    expect(ticker.devtoolsUrl).toBe(new URL("/sse/_devtools", ticker.url).href);
    expect(hrefs).toContain(ticker.devtoolsUrl);
    // The LLM chat (issue 15: the index links it), its durable answers served under /sse.
    const llmChat = demo.entries.find((entry) => entry.example.name === "llm-chat");
    if (llmChat?.state !== "running") throw new Error("the LLM chat did not start");
    expect(llmChat.example.title).toBe("LLM chat");
    expect(hrefs).toContain(llmChat.url);
    expect((await fetch(new URL("/elsewhere", demo.url))).status).toBe(404);
  });

  it("every linked URL answers 200 with a page", async () => {
    for (const link of demo.links) {
      const response = await fetch(link);
      expect({ link, status: response.status }).toEqual({ link, status: 200 });
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      await response.body?.cancel();
    }
  });

  it("closes every server it started", async () => {
    const other = await startDemo({ port: 0 });
    const urls = [other.url, ...other.links];
    for (const url of urls) expect(await fetch(url).then(async (r) => (await r.body?.cancel(), r.ok))).toBe(true);
    await other.close();
    for (const url of urls) await expect(fetch(url)).rejects.toThrow();
  }, 30_000);
});
