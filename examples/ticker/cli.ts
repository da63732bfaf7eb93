import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SYMBOLS } from "./contract.js";
import type { TickerServer } from "./server.js";

/** Whether the module at `moduleUrl` is the script node (or tsx) was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(moduleUrl);
}

/** A ready-to-paste `curl` command for the `ticker` stream, with its input in the query. */
export function curlCommand(sseUrl: string, symbols: readonly string[] = SYMBOLS): string {
  return `curl -N '${sseUrl}/ticker?input=${encodeURIComponent(JSON.stringify({ symbols }))}'`;
}

/** Prints where the page and the stream are. */
export function printBanner(ticker: TickerServer): void {
  console.log(
    [
      "Rivulet ticker",
      `  page:    ${ticker.url}`,
      `  stream:  ${curlCommand(ticker.sseUrl)}`,
      `  client:  RIVULET_URL=${ticker.sseUrl} npm run client -w examples/ticker -- ACME GLOBEX`,
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
}

/**
 * On SIGINT or SIGTERM: runs `beforeClose`, stops the market and the server,
 * and lets the process exit by itself once nothing is left open. A second
 * signal kills it.
 */
export function closeOnSignals(ticker: TickerServer, beforeClose?: () => void): void {
  const shutdown = (signal: NodeJS.Signals): void => {
    process.off("SIGINT", shutdown);
    process.off("SIGTERM", shutdown);
    console.log(`\n${signal}: closing the server.`);
    beforeClose?.();
    ticker.close().then(
      () => {
        // A safety net only: with the timer stopped and every stream closed, nothing is left to wait for.
        setTimeout(() => {
          console.warn("Still busy 2 s after closing; exiting anyway.");
          process.exit(0);
        }, 2_000).unref();
      },
      (error: unknown) => exitOnError(error),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/** Prints an error's message and exits with status 1. */
export function exitOnError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
