import { createClient, RivuletError, type InferEvent } from "@rivulet/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTicker } from "./client.js";
import { contract, SYMBOLS } from "./contract.js";
import { createTickerServer, type TickerServer } from "./server.js";

type PriceEvent = InferEvent<typeof contract.ticker>;

/** The first `count` events of a subscription; leaving the loop closes the connection. */
async function take(events: AsyncIterable<PriceEvent>, count: number): Promise<PriceEvent[]> {
  const taken: PriceEvent[] = [];
  for await (const event of events) {
    taken.push(event);
    if (taken.length === count) break;
  }
  return taken;
}

const seqOf = (event: PriceEvent): number => Number(event.id?.split("-")[1]);

/**
 * A ticker whose feed ticks only when the test says so: which prices came
 * before a subscription and which after is then known, not timed. Close it.
 */
async function manualTicker() {
  const ticker = await createTickerServer({ port: 0, intervalMs: 60_000 });
  return {
    ticker,
    client: createClient(contract, { baseUrl: ticker.sseUrl, reconnect: false }),
    /** The sequence number of the newest price the feed published. */
    newestSeq: () => Number(ticker.feed.catchup({ symbols: new Set(), limit: 0 }).lastId?.split("-")[1]),
  };
}

describe("ticker, typed client", () => {
  let ticker: TickerServer;
  let client: ReturnType<typeof createClient<typeof contract>>;
  beforeAll(async () => {
    ticker = await createTickerServer({ port: 0, intervalMs: 15 });
    client = createClient(contract, { baseUrl: ticker.sseUrl, reconnect: false });
  });
  afterAll(() => ticker.close());

  it("broadcasts the same prices, in the same order, to every subscriber, with `at` as a Date", async () => {
    const HISTORY_TICKS = 2;
    const LIVE_TICKS = 4;
    const count = (HISTORY_TICKS + LIVE_TICKS) * SYMBOLS.length;
    const manual = await manualTicker();
    const subscribers: PriceEvent[][] = [[], []];
    const firstTick = Date.now();
    let received: number;
    try {
      for (let i = 0; i < HISTORY_TICKS; i++) manual.ticker.feed.tick();
      // Both start from the same history, so both have every live price.
      let historyIn!: () => void;
      const bothHaveHistory = new Promise<void>((resolve) => (historyIn = resolve));
      const reading = subscribers.map(async (events) => {
        for await (const event of manual.client.ticker({ symbols: [...SYMBOLS], history: HISTORY_TICKS })) {
          events.push(event);
          if (subscribers.every((each) => each.length >= HISTORY_TICKS * SYMBOLS.length)) historyIn();
          // Up to the last price, rather than a count: one lost is a diff below, not a test timeout.
          if (seqOf(event) === count) break;
        }
      });
      await bothHaveHistory;
      for (let i = 0; i < LIVE_TICKS; i++) manual.ticker.feed.tick();
      await Promise.all(reading);
      received = Date.now();
    } finally {
      await manual.ticker.close();
    }

    const [first, second] = subscribers as [PriceEvent[], PriceEvent[]];
    expect(second).toEqual(first);
    // Consecutive IDs from the feed's first price: nothing lost, nothing repeated.
    expect(first.map(seqOf)).toEqual(first.map((_, i) => i + 1));
    for (const { event, data } of first) {
      expect(event).toBe("price");
      expect(SYMBOLS).toContain(data.symbol);
      expect(data.price).toBeGreaterThan(0);
      expect(data.at).toBeInstanceOf(Date);
      // Stamped by one of the test's ticks.
      expect(data.at.getTime()).toBeGreaterThanOrEqual(firstTick);
      expect(data.at.getTime()).toBeLessThanOrEqual(received);
    }
  });

  it("sends only the symbols asked for", async () => {
    const prices = await take(client.ticker({ symbols: ["GLOBEX"] }), 5);
    expect(prices.map((event) => event.data.symbol)).toEqual(Array(5).fill("GLOBEX"));
  });

  it("sends `history` recent prices per symbol first, then the live ones without a seam", async () => {
    const manual = await manualTicker();
    const prices: PriceEvent[] = [];
    let lastBefore: number;
    let last = Infinity;
    try {
      for (let i = 0; i < 6; i++) manual.ticker.feed.tick();
      lastBefore = manual.newestSeq();
      // INITECH is priced last in a tick: the newest price is one of these.
      for await (const event of manual.client.ticker({ symbols: ["ACME", "INITECH"], history: 4 })) {
        prices.push(event);
        if (prices.length === 8) {
          // The server has taken the history: the ticks from now on come after it.
          for (let i = 0; i < 3; i++) manual.ticker.feed.tick();
          last = manual.newestSeq();
        }
        if (seqOf(event) === last) break;
      }
    } finally {
      await manual.ticker.close();
    }
    const history = prices.slice(0, 8);
    expect(history.map((event) => event.data.symbol).sort()).toEqual([...Array(4).fill("ACME"), ...Array(4).fill("INITECH")]);
    for (const event of history) expect(seqOf(event)).toBeLessThanOrEqual(lastBefore);
    for (const event of prices.slice(8)) expect(seqOf(event)).toBeGreaterThan(lastBefore);
    expect(prices.slice(8).map((event) => event.data.symbol)).toEqual(Array(3).fill(["ACME", "INITECH"]).flat());
    // IDs grow throughout, and from history to live no tick is skipped: every symbol's next price is its next tick.
    const seqs = prices.map(seqOf);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const perTick = SYMBOLS.length;
    for (const symbol of ["ACME", "INITECH"]) {
      const own = prices.filter((event) => event.data.symbol === symbol).map(seqOf);
      for (let i = 1; i < own.length; i++) expect((own[i] as number) - (own[i - 1] as number)).toBe(perTick);
    }
  });

  it("resumes right after Last-Event-ID", async () => {
    const before = await take(client.ticker({ symbols: [...SYMBOLS] }), 6);
    const last = before.at(-1) as PriceEvent;
    const after = await take(client.ticker({ symbols: [...SYMBOLS] }, { lastEventId: last.id as string }), 6);
    expect(after.map(seqOf)).toEqual([1, 2, 3, 4, 5, 6].map((i) => seqOf(last) + i));
  });

  it("market: every symbol's prices as the feed publishes them, and a resume right after Last-Event-ID", async () => {
    const count = 4 * SYMBOLS.length;
    const prices = await take(client.market(), count);
    expect(new Set(prices.map((event) => event.data.symbol))).toEqual(new Set(SYMBOLS));
    expect(prices.map(seqOf)).toEqual(prices.map((_, i) => seqOf(prices[0] as PriceEvent) + i));
    for (const { data } of prices) expect(data.at).toBeInstanceOf(Date);
    const last = prices.at(-1) as PriceEvent;
    const after = await take(client.market(undefined, { lastEventId: last.id as string }), 3);
    expect(after.map(seqOf)).toEqual([1, 2, 3].map((i) => seqOf(last) + i));
  });

  it("refuses an unknown symbol, and history beyond what is kept, before the stream starts", async () => {
    for (const input of [{ symbols: ["NOPE"] }, { symbols: [] }, { symbols: ["ACME"], history: 61 }]) {
      const reading = take(client.ticker(input as never), 1);
      await expect(reading).rejects.toSatisfy(
        (error: unknown) => error instanceof RivuletError && error.code === "INVALID_INPUT",
      );
    }
  });

  it("runTicker prints one line per price and stops after `limit`", async () => {
    const lines: string[] = [];
    const count = await runTicker({ baseUrl: ticker.sseUrl, symbols: ["ACME"], limit: 3, write: (line) => lines.push(line) });
    expect(count).toBe(3);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\S.* ACME +\d+\.\d\d$/);
    expect(lines[2]).toMatch(/ ACME +\d+\.\d\d {2}[▲▼] [+-]\d+\.\d\d%$/);
  });

  it("serves the stream as plain SSE, the page and its script", async () => {
    const input = encodeURIComponent(JSON.stringify({ symbols: ["ACME"] }));
    const response = await fetch(`${ticker.sseUrl}/ticker?input=${input}`);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n\n")) text += decoder.decode((await reader.read()).value, { stream: true });
    await reader.cancel();
    const block = text.split("\n\n")[0]?.split("\n") ?? [];
    expect(block[0]).toBe("event: price");
    expect(block[1]).toMatch(/^id: \d+-\d+$/);
    const data = JSON.parse(block.find((line) => line.startsWith("data: "))?.slice(6) ?? "null") as Record<string, unknown>;
    expect(data).toEqual({ symbol: "ACME", price: expect.any(Number), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    const page = await fetch(ticker.url);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain('<ul id="quotes">');
    const script = await (await fetch(new URL("/app.js", ticker.url))).text();
    expect(script).toContain("new EventSource(");
    // The page's list of symbols is the contract's.
    expect(script).toContain(`const ALL_SYMBOLS = ${JSON.stringify(SYMBOLS).replaceAll(",", ", ")};`);
    expect((await fetch(new URL("/feed.ts", ticker.url))).status).toBe(404);
  });
});
