/**
 * Event IDs the server accepts must come back: in any script (sent as UTF-8
 * bytes in `Last-Event-ID`, as a browser's EventSource sends them) and up to
 * `MAX_EVENT_ID_BYTES`; a longer one is refused where it is made, not on the
 * resume that would need it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { browserSuite, launchChromium } from "@rivulet/example-kit/browser";
import { createClient } from "@rivulet/client";
import { implement, memoryBroker } from "@rivulet/server";
import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { MAX_EVENT_ID_BYTES } from "@rivulet/shared/wire";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { collect, createServerPool, fetchToNode, rejection } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const contract = defineContract({
  feed: stream({ events: { n: z.number() } }),
});

const IDS = [
  "é-1",
  "日本-2",
  "🎉-3",
  // Just within the limit, in 2-byte characters.
  `${"Ω".repeat((MAX_EVENT_ID_BYTES - 2) / 2)}-4`,
  `${"a".repeat(MAX_EVENT_ID_BYTES - 2)}-5`,
];

/**
 * Yields the events after `lastEventId`, one per connection: after each, it
 * ends the response without the end event (as SLOW_CONSUMER does), so the
 * client must resume from the ID it just got.
 */
function oneEventPerConnection() {
  const resumedFrom: Array<string | undefined> = [];
  const router = implement(contract, {
    feed: async function* ({ lastEventId }) {
      resumedFrom.push(lastEventId);
      const next = lastEventId === undefined ? 0 : IDS.indexOf(lastEventId) + 1;
      // An ID the server never sent: the test fails on it below.
      if (next === 0 && lastEventId !== undefined) return;
      const id = IDS[next];
      if (id === undefined) return;
      yield { event: "n" as const, id, data: next + 1 };
      if (next < IDS.length - 1) throw new RivuletError("SLOW_CONSUMER", "cut, to make the client resume");
    },
  });
  return { router, resumedFrom };
}

type Router = ReturnType<typeof oneEventPerConnection>["router"];
const adapters = [
  ["router.node", (router: Router) => router.node({ onError: () => {} })],
  ["router.fetchHandler", (router: Router) => fetchToNode(router.fetchHandler({ onError: () => {} }))],
] as const;

describe.each(adapters)("event IDs in any script resume (%s)", (_name, serve) => {
  it("the typed client sends each back and the handler reads it exactly", async () => {
    const { router, resumedFrom } = oneEventPerConnection();
    const baseUrl = await pool.start(serve(router));
    const client = createClient(contract, { baseUrl, reconnect: { initialDelayMs: 1, maxDelayMs: 5 } });
    const events = await collect(client.feed());
    expect(events.map((event) => event.id)).toEqual(IDS);
    expect(events.map((event) => event.data)).toEqual([1, 2, 3, 4, 5]);
    expect(resumedFrom).toEqual([undefined, ...IDS.slice(0, -1)]);
  });
});

describe("event IDs over MAX_EVENT_ID_BYTES", () => {
  it("are refused at yield with INVALID_FIELD, which reaches the client", async () => {
    const router = implement(contract, {
      feed: async function* () {
        yield { event: "n" as const, id: "x".repeat(20_000), data: 1 };
      },
    });
    const baseUrl = await pool.start(router.node({ onError: () => {} }));
    const error = await rejection(collect(createClient(contract, { baseUrl }).feed()));
    expect(error).toBeInstanceOf(RivuletError);
    expect(error).toMatchObject({ code: "INVALID_FIELD", message: expect.stringContaining(`${MAX_EVENT_ID_BYTES} bytes`) });
  });

  it("are refused at publish with INVALID_FIELD", async () => {
    const broker = memoryBroker();
    await expect(broker.publish("t", { event: "n", data: 1, id: `${"日".repeat(400)}-1` })).rejects.toMatchObject({
      code: "INVALID_FIELD",
    });
    await broker.close();
  });
});

const suite = browserSuite("hostile/event-ids");

suite("a browser's EventSource resumes from an ID in any script", { timeout: 30_000 }, () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("sends Last-Event-ID as UTF-8 bytes, which the server reads back", async () => {
    if (!browser) throw new Error("no browser");
    const { router, resumedFrom } = oneEventPerConnection();
    const sse = router.node({ prefix: "/sse", onError: () => {} });
    const page = `<!doctype html><script>
      window.got = [];
      const source = new EventSource("/sse/feed");
      source.addEventListener("n", (event) => {
        window.got.push(event.lastEventId);
        if (window.got.length === ${IDS.length}) source.close();
      });
    </script>`;
    const server = http.createServer((req, res) => {
      if (req.url === "/") return res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
      sse(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      // The server's retry hint is 500 ms per reconnect: a few seconds for the five.
      await tab.waitForFunction((count) => (window as unknown as { got: string[] }).got.length === count, IDS.length, {
        timeout: 20_000,
      });
      expect(await tab.evaluate(() => (window as unknown as { got: string[] }).got)).toEqual(IDS);
      expect(resumedFrom).toEqual([undefined, ...IDS.slice(0, -1)]);
      await tab.close();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
