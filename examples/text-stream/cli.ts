import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DemoServer } from "./server.js";

/** Whether the module at `moduleUrl` is the script node (or tsx) was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(moduleUrl);
}

/** A ready-to-paste `curl` command for the `text` stream, with its input in the query. */
export function curlCommand(sseUrl: string, input: { delayMs?: number } = { delayMs: 500 }): string {
  return `curl -N '${sseUrl}/text?input=${encodeURIComponent(JSON.stringify(input))}'`;
}

/** Prints where the page and the stream are. */
export function printBanner(demo: DemoServer): void {
  console.log(
    [
      "Rivulet text-stream demo",
      `  page:    ${demo.url}`,
      `  stream:  ${curlCommand(demo.sseUrl)}`,
      `  client:  RIVULET_URL=${demo.sseUrl} npm run client --workspace examples/text-stream`,
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
}

/**
 * On SIGINT or SIGTERM: runs `beforeClose`, closes the server, and lets the
 * process exit by itself once nothing is left open. A second signal kills it.
 */
export function closeOnSignals(demo: DemoServer, beforeClose?: () => void): void {
  const shutdown = (signal: NodeJS.Signals): void => {
    process.off("SIGINT", shutdown);
    process.off("SIGTERM", shutdown);
    console.log(`\n${signal}: closing the server.`);
    beforeClose?.();
    demo.close().then(
      () => {
        // A safety net only: with every stream and socket closed, the process has already nothing left to wait for.
        setTimeout(() => process.exit(0), 2_000).unref();
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
