import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { closeOnSignals, curlCommand, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { staticFiles } from "@rivulet/example-kit/static-files";
import { implement, memoryBroker } from "@rivulet/server";
import { contract, SYMBOLS } from "./contract.js";
import { createPriceFeed, PRICES_TOPIC, type PriceFeed } from "./feed.js";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";

/** Where the streams are served: `ticker` is at `/sse/ticker`. */
export const SSE_PREFIX = "/sse";

/** The page and its script, from `public/`. */
const serveStatic = staticFiles({
  dir: new URL("./public/", import.meta.url),
  notFound: "Not found. The page is at / and the stream under /sse/.",
  name: "ticker",
});

export interface TickerServerOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 3000
   */
  port?: number;
  /**
   * Time between two ticks of the simulated market, in ms.
   * @default 250
   */
  intervalMs?: number;
  /**
   * Keep-alive comment interval on idle streams, in ms; `false` turns it off.
   * @default 15000
   */
  keepAliveMs?: number | false;
}

/** A listening ticker server. */
export interface TickerServer {
  server: Server;
  port: number;
  /** The page: `http://localhost:3000/`. */
  url: string;
  /** The client's base URL: `http://localhost:3000/sse`. */
  sseUrl: string;
  /** The simulated market. */
  feed: PriceFeed;
  /** Stops the market, ends open streams and stops listening. */
  close(): Promise<void>;
}

/**
 * The stream handlers. `ticker`: the recent prices the client asked for (or
 * missed), then the live ones, from one topic that every subscriber shares
 * and filters by symbol; a client that leaves ends the subscription through
 * `signal`. `market`: the topic itself.
 */
export function createTickerRouter(feed: PriceFeed) {
  return implement(contract, {
    ticker: async function* ({ input, lastEventId, signal }) {
      const symbols = new Set<string>(input.symbols);
      const { events, lastId } = feed.catchup({ symbols, after: lastEventId, limit: input.history ?? 0 });
      yield* events;
      for await (const price of feed.channel.subscribe(PRICES_TOPIC, { lastEventId: lastId, signal })) {
        if (symbols.has(price.data.symbol)) yield price;
      }
    },
    // Nothing to add or filter: the subscription is returned as it is, and Rivulet writes
    // each price from inside the feed's publish, and ends it when the client leaves.
    market: ({ lastEventId }) => feed.channel.subscribe(PRICES_TOPIC, { lastEventId }),
  });
}

/**
 * Starts the ticker: the market, the stream under `/sse` and the page (`public/`) at `/`.
 *
 * @example
 * const ticker = await createTickerServer({ port: 0, intervalMs: 20 });
 * console.log(ticker.url); // http://localhost:40123/
 * await ticker.close();
 */
export async function createTickerServer(options: TickerServerOptions = {}): Promise<TickerServer> {
  const broker = memoryBroker();
  const feed = createPriceFeed({ broker, intervalMs: options.intervalMs ?? 250 });
  const sse = createTickerRouter(feed).node({
    prefix: SSE_PREFIX,
    keepAliveMs: options.keepAliveMs ?? 15_000,
    // The devtools page, at /sse/_devtools; an adapter refuses it in production (docs/devtools.md).
    devtools: process.env["NODE_ENV"] !== "production",
  });
  const server = createServer((req, res) => sse(req, res, () => void serveStatic(req, res)));
  const close = async (): Promise<void> => {
    feed.stop();
    await closeServer(server);
    await broker.close();
  };
  try {
    await listen(server, options.port ?? DEFAULT_PORT);
  } catch (error) {
    await close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const origin = `http://localhost:${port}`;
  return { server, port, url: `${origin}/`, sseUrl: `${origin}${SSE_PREFIX}`, feed, close };
}

/** The port when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

/**
 * Starts the ticker on `PORT` (3000) with a tick every `TICK_MS` (250). A
 * port that is taken is an error when `PORT` chose it; the default 3000 being
 * taken falls back to a free port, printed in the banner.
 */
export async function listenFromEnv(): Promise<TickerServer> {
  const envPort = portFromEnv(DEFAULT_PORT);
  const tickFromEnv = process.env["TICK_MS"]?.trim() || undefined;
  const intervalMs = tickFromEnv === undefined ? 250 : Number(tickFromEnv);
  if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 60_000) {
    throw new Error(`TICK_MS must be a number of ms between 1 and 60000, got "${tickFromEnv}".`);
  }
  return listenOnPort(envPort, {
    start: (port) => createTickerServer({ port, intervalMs }),
    what: "the ticker",
    command: "npm run start -w examples/ticker",
  });
}

/** Prints where the page and the stream are. */
export function printTickerBanner(ticker: TickerServer): void {
  printBanner("Rivulet ticker", {
    page: ticker.url,
    stream: curlCommand(ticker.sseUrl, "ticker", { symbols: SYMBOLS }),
    client: `RIVULET_URL=${ticker.sseUrl} npm run client -w examples/ticker -- ACME GLOBEX`,
  });
}

if (isMain(import.meta.url)) {
  const ticker = await listenFromEnv().catch(exitOnError);
  printTickerBanner(ticker);
  closeOnSignals(ticker);
}
