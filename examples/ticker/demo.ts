import { closeOnSignals, exitOnError } from "@rivulet/example-kit/cli";
import { runTicker } from "./client.js";
import { SYMBOLS } from "./contract.js";
import { listenFromEnv, printTickerBanner } from "./server.js";

// `npm run start`: run the market and serve the page and the stream, show the
// typed client following a few prices in this terminal, then keep serving for
// the browser and curl.
const ticker = await listenFromEnv().catch(exitOnError);
printTickerBanner(ticker);

const stop = new AbortController();
closeOnSignals(ticker, { beforeClose: () => stop.abort() });

console.log("The typed client (@rivulet/client), following every symbol in-process:");
try {
  const count = await runTicker({
    baseUrl: ticker.sseUrl,
    symbols: SYMBOLS,
    limit: SYMBOLS.length * 4,
    signal: stop.signal,
    write: (line) => console.log(`  client │ ${line}`),
  });
  if (!stop.signal.aborted) {
    console.log(`  client │ ${count} prices, then it left.\n`);
    console.log(`Still serving. Open ${ticker.url} in a browser, or run the curl command above. Ctrl-C to stop.`);
  }
} catch (error) {
  console.error("The in-process client failed:", error);
  process.exitCode = 1;
}
