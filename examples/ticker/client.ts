import { createClient, RivuletError } from "@rivulet/client";
import { exitOnError, isMain } from "@rivulet/example-kit/cli";
import { contract, SYMBOLS, TickerSymbol } from "./contract.js";

/** Where the client connects when neither `RIVULET_URL` nor the default says otherwise. */
export const DEFAULT_BASE_URL = "http://localhost:3000/sse";

export interface RunTickerOptions {
  /** The server's stream prefix: `http://localhost:3000/sse`. */
  baseUrl: string;
  /** The symbols to follow. */
  symbols: readonly TickerSymbol[];
  /** Stop after this many prices; left out, run until `signal` aborts. */
  limit?: number;
  /** Ends the stream. */
  signal?: AbortSignal;
  /**
   * Where each line goes.
   * @default console.log
   */
  write?: (line: string) => void;
}

/**
 * Follows prices with the typed client and prints one line per price: the
 * move since the symbol's previous price, and the local time of `at`, which
 * arrives as a real `Date`. Resolves with the number of prices printed.
 *
 * @example
 * await runTicker({ baseUrl: "http://localhost:3000/sse", symbols: ["ACME"], limit: 10 });
 */
export async function runTicker(options: RunTickerOptions): Promise<number> {
  const write = options.write ?? console.log;
  const client = createClient(contract, { baseUrl: options.baseUrl });
  const previous = new Map<string, number>();
  let count = 0;
  const call = options.signal ? { signal: options.signal } : {};
  // `.events.price` iterates the price events' data alone.
  for await (const { symbol, price, at } of client.ticker({ symbols: [...options.symbols] }, call).events.price) {
    const before = previous.get(symbol);
    previous.set(symbol, price);
    const change = before === undefined ? undefined : ((price - before) / before) * 100;
    const move = change === undefined ? "" : `${change >= 0 ? "▲ +" : "▼ "}${change.toFixed(2)}%`;
    write(`${at.toLocaleTimeString()}  ${symbol.padEnd(8)} ${price.toFixed(2).padStart(9)}  ${move}`.trimEnd());
    if (++count === options.limit) break;
  }
  return count;
}

if (isMain(import.meta.url)) {
  const baseUrl = process.env["RIVULET_URL"] ?? DEFAULT_BASE_URL;
  const args = process.argv.slice(2).map((arg) => arg.toUpperCase());
  const parsed = TickerSymbol.array().safeParse(args.length > 0 ? args : SYMBOLS);
  if (!parsed.success) exitOnError(`Unknown symbol in ${args.join(" ")}; the market has ${SYMBOLS.join(", ")}.`);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  console.log(`Following ${parsed.data.join(", ")} at ${baseUrl}/ticker … (Ctrl-C to stop)`);
  try {
    await runTicker({ baseUrl, symbols: parsed.data, signal: stop.signal });
    console.log("Stopped.");
  } catch (error) {
    if (error instanceof RivuletError && error.code === "NETWORK_ERROR") {
      exitOnError(`${error.message} Is the server running? Start it with: npm run server -w examples/ticker`);
    }
    exitOnError(error instanceof RivuletError ? `${error.code}: ${error.message}` : error);
  }
}
