import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The simulated market: every symbol the feed prices. */
export const SYMBOLS = ["ACME", "GLOBEX", "INITECH"] as const;

/** One of {@link SYMBOLS}; anything else is refused with a 400 before the stream starts. */
export const TickerSymbol = z.enum(SYMBOLS);
export type TickerSymbol = z.infer<typeof TickerSymbol>;

/** Recent prices kept per symbol, and so the most a subscriber may ask for up front. */
export const HISTORY_POINTS = 60;

/** One price of one symbol. */
const Price = z.object({ symbol: TickerSymbol, price: z.number().positive(), at: z.date() });

/**
 * The ticker as a contract: stream `ticker` sends a `price` event for each
 * new price of the symbols asked for. Every subscriber of a symbol gets the
 * same prices in the same order, each with its ID, so a reconnecting client
 * (`Last-Event-ID`) gets what it missed. `history` asks for up to
 * {@link HISTORY_POINTS} recent prices per symbol first, to draw a chart at once.
 * Stream `market` is the whole feed, unfiltered, with no history up front.
 */
export const contract = defineContract({
  ticker: stream({
    input: z.object({
      symbols: z.array(TickerSymbol).min(1).max(SYMBOLS.length),
      history: z.number().int().min(0).max(HISTORY_POINTS).optional(),
    }),
    events: { price: Price },
  }),
  /** Every price of every symbol, as the feed publishes it: the topic relayed as it is. */
  market: stream({ events: { price: Price } }),
});

export type TickerContract = typeof contract;
