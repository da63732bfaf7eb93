import { createChannel, type Broker, type Channel, type ChannelDelivery } from "@rivulet/server";
import { contract, HISTORY_POINTS, SYMBOLS, type TickerSymbol } from "./contract.js";

/** The one topic every price is published to; subscribers filter by symbol. */
export const PRICES_TOPIC = "prices";

/** Where each symbol's random walk starts. */
export const START_PRICES: Readonly<Record<TickerSymbol, number>> = { ACME: 100, GLOBEX: 42.5, INITECH: 7.25 };

export type PriceChannel = Channel<typeof contract.ticker>;
export type PriceEvent = ChannelDelivery<typeof contract.ticker>;

export interface PriceFeedOptions {
  /** Where the prices are published. */
  broker: Broker;
  /**
   * Time between two ticks, in ms; each tick prices every symbol once.
   * @default 250
   */
  intervalMs?: number;
  /**
   * Typical relative move per tick (the standard deviation of the log return).
   * @default 0.004
   */
  volatility?: number;
  /**
   * Uniform random numbers in [0, 1); pass a seeded one for repeatable walks.
   * @default Math.random
   */
  random?: () => number;
}

/** What a (re)connecting subscriber gets before the live prices, and where the live prices take over. */
export interface Catchup {
  /** Recent prices of the symbols asked for, oldest first. */
  events: PriceEvent[];
  /** Subscribe after this ID: the feed's newest, whatever its symbol; `undefined` before the first tick. */
  lastId: string | undefined;
}

/** A running simulated market. */
export interface PriceFeed {
  channel: PriceChannel;
  /**
   * The prices a subscriber gets before the live ones: those after `after`
   * when the feed still has it (a resume), otherwise the last `limit` per symbol.
   */
  catchup(options: { symbols: ReadonlySet<string>; after?: string | undefined; limit: number }): Catchup;
  /** Prices every symbol once, now. The timer calls it every `intervalMs`. */
  tick(): void;
  /** Stops the timer; the feed publishes nothing more. */
  stop(): void;
}

/**
 * Starts a geometric random walk per symbol and publishes each new price as
 * a `price` event to {@link PRICES_TOPIC}, every `intervalMs`. It keeps the
 * last {@link HISTORY_POINTS} prices per symbol, so a page can draw its chart
 * at once and a reconnecting client can catch up.
 *
 * The feed gives each price its ID (`<start ms>-<n>`), and records it in the
 * same synchronous step as the in-memory publish, so what `catchup` returns
 * and what the subscription after `lastId` delivers meet exactly: nothing
 * missed, nothing twice.
 *
 * @example
 * const feed = createPriceFeed({ broker: memoryBroker(), intervalMs: 250 });
 * feed.stop();
 */
export function createPriceFeed(options: PriceFeedOptions): PriceFeed {
  const intervalMs = options.intervalMs ?? 250;
  if (!(intervalMs >= 1 && intervalMs <= 60_000)) {
    throw new TypeError(`createPriceFeed(): intervalMs must be between 1 and 60000 ms, got ${intervalMs}`);
  }
  const volatility = options.volatility ?? 0.004;
  const random = options.random ?? Math.random;
  const channel = createChannel(options.broker, contract.ticker);
  const prices = new Map<TickerSymbol, number>(SYMBOLS.map((symbol) => [symbol, START_PRICES[symbol]]));
  const epoch = Date.now();
  let seq = 0;
  /** Every symbol's recent prices, oldest first: at most HISTORY_POINTS per symbol. */
  let recent: PriceEvent[] = [];

  const gaussian = (): number => {
    // Box-Muller; 1 - random() is in (0, 1], so the log is finite.
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };

  const tick = (): void => {
    const at = new Date();
    for (const symbol of SYMBOLS) {
      const previous = prices.get(symbol) as number;
      const price = Math.max(0.01, Math.round(previous * Math.exp(volatility * gaussian()) * 100) / 100);
      prices.set(symbol, price);
      const event: PriceEvent = { event: "price", id: `${epoch}-${++seq}`, data: { symbol, price, at } };
      recent.push(event);
      channel.publish(PRICES_TOPIC, event).catch((error: unknown) => {
        console.error(`[ticker] could not publish ${symbol}:`, error);
      });
    }
    // Trimmed in batches, not on every push, so a tick costs O(1) on average.
    if (recent.length >= 2 * HISTORY_POINTS * SYMBOLS.length) recent = recent.slice(-HISTORY_POINTS * SYMBOLS.length);
  };

  const timer = setInterval(tick, intervalMs);

  return {
    channel,
    tick,
    stop: () => clearInterval(timer),
    catchup({ symbols, after, limit }) {
      const lastId = recent.at(-1)?.id;
      const at = after === undefined ? -1 : recent.findIndex((event) => event.id === after);
      if (at !== -1) {
        return { events: recent.slice(at + 1).filter((event) => symbols.has(event.data.symbol)), lastId };
      }
      // From the newest back, up to `limit` per symbol.
      const taken = new Map<string, number>();
      const events: PriceEvent[] = [];
      for (let i = recent.length - 1; i >= 0 && limit > 0; i--) {
        const event = recent[i] as PriceEvent;
        const count = taken.get(event.data.symbol) ?? 0;
        if (!symbols.has(event.data.symbol) || count >= limit) continue;
        taken.set(event.data.symbol, count + 1);
        events.push(event);
      }
      return { events: events.reverse(), lastId };
    },
  };
}
