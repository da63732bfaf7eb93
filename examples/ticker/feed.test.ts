import { memoryBroker, type Broker } from "@rivulet/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HISTORY_POINTS, SYMBOLS } from "./contract.js";
import { createPriceFeed, PRICES_TOPIC, START_PRICES, type PriceEvent, type PriceFeed } from "./feed.js";
import { seededRandom } from "@rivulet/example-kit/random";

const ALL = new Set<string>(SYMBOLS);
const seqOf = (event: PriceEvent): number => Number(event.id.split("-")[1]);

describe("the price feed", () => {
  let broker: Broker;
  let feed: PriceFeed | undefined;
  beforeEach(() => {
    broker = memoryBroker();
  });
  afterEach(async () => {
    feed?.stop();
    vi.useRealTimers();
    await broker.close();
  });

  it("ticks every intervalMs, pricing every symbol once per tick, and leaves no timer once stopped", async () => {
    vi.useFakeTimers();
    const ticking = createPriceFeed({ broker, intervalMs: 250 });
    feed = ticking;
    const received: PriceEvent[] = [];
    const stop = new AbortController();
    const reading = (async () => {
      for await (const event of ticking.channel.subscribe(PRICES_TOPIC, { signal: stop.signal })) received.push(event);
    })();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(received).toHaveLength(4 * SYMBOLS.length);
    expect(received.slice(0, SYMBOLS.length).map((event) => event.data.symbol)).toEqual([...SYMBOLS]);
    expect(received.map(seqOf)).toEqual(received.map((_, i) => i + 1));

    ticking.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(received).toHaveLength(4 * SYMBOLS.length);
    expect(vi.getTimerCount()).toBe(0);
    stop.abort();
    await reading;
  });

  it("walks randomly from the start prices: positive, in cents, small steps, repeatable with a seed", () => {
    const walk = (seed: number): number[] => {
      const own = createPriceFeed({ broker, intervalMs: 60_000, random: seededRandom(seed) });
      for (let i = 0; i < 500; i++) own.tick();
      own.stop();
      return own.catchup({ symbols: new Set(["ACME"]), limit: HISTORY_POINTS }).events.map((event) => event.data.price);
    };
    const prices = walk(42);
    expect(prices).toEqual(walk(42));
    expect(prices).not.toEqual(walk(7));
    for (const [i, price] of prices.entries()) {
      expect(price).toBeGreaterThan(0);
      expect(Math.round(price * 100) / 100).toBe(price);
      if (i > 0) expect(Math.abs(Math.log(price / (prices[i - 1] as number)))).toBeLessThan(0.05);
    }
    // After 500 steps of ~0.4 %, still the same order of magnitude.
    expect((prices.at(-1) as number) / START_PRICES.ACME).toBeGreaterThan(0.3);
    expect((prices.at(-1) as number) / START_PRICES.ACME).toBeLessThan(3);
  });

  it("catches up with the last `limit` prices per symbol, oldest first, and the newest ID overall", () => {
    feed = createPriceFeed({ broker, intervalMs: 60_000 });
    expect(feed.catchup({ symbols: ALL, limit: 10 })).toEqual({ events: [], lastId: undefined });
    for (let i = 0; i < 200; i++) feed.tick();

    const { events, lastId } = feed.catchup({ symbols: new Set(["ACME", "INITECH"]), limit: 5 });
    expect(events.map((event) => event.data.symbol)).toEqual(Array.from({ length: 5 }, () => ["ACME", "INITECH"]).flat());
    expect(events.map(seqOf)).toEqual([...events.map(seqOf)].sort((a, b) => a - b));
    // The newest of all, a GLOBEX-free subscription included: the live stream takes over right after it.
    expect(lastId?.endsWith(`-${200 * SYMBOLS.length}`)).toBe(true);
    expect(feed.catchup({ symbols: ALL, limit: 0 }).events).toEqual([]);

    const full = feed.catchup({ symbols: ALL, limit: HISTORY_POINTS }).events;
    expect(full).toHaveLength(HISTORY_POINTS * SYMBOLS.length);
  });

  it("resumes after an ID it still has, with everything after it; an ID it no longer has falls back to `limit`", () => {
    feed = createPriceFeed({ broker, intervalMs: 60_000 });
    for (let i = 0; i < 10; i++) feed.tick();
    const before = feed.catchup({ symbols: ALL, limit: 3 });
    for (let i = 0; i < 4; i++) feed.tick();

    const resumed = feed.catchup({ symbols: ALL, after: before.lastId, limit: 1 });
    expect(resumed.events.map(seqOf)).toEqual(Array.from({ length: 4 * SYMBOLS.length }, (_, i) => 10 * SYMBOLS.length + i + 1));
    const onlyAcme = feed.catchup({ symbols: new Set(["ACME"]), after: before.lastId, limit: 1 });
    expect(onlyAcme.events).toHaveLength(4);

    const unknown = feed.catchup({ symbols: ALL, after: "1-1", limit: 2 });
    expect(unknown.events).toHaveLength(2 * SYMBOLS.length);
    expect(unknown.lastId).toBe(resumed.lastId);
  });

  it("refuses an interval outside 1 ms to 60 s", () => {
    expect(() => createPriceFeed({ broker, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => createPriceFeed({ broker, intervalMs: Number.NaN })).toThrow(/intervalMs/);
  });
});
