import { createClient, RivuletError } from "@rivulet/client";
import { exitOnError, isMain } from "@rivulet/example-kit/cli";
import { contract } from "./contract.js";

/** Where the client connects when neither argv nor `RIVULET_URL` says. */
export const DEFAULT_BASE_URL = "http://localhost:3000/sse";

export interface RunClientOptions {
  /** The server's stream prefix: `http://localhost:3000/sse`. */
  baseUrl: string;
  /** Pause between sentences; the server's default when left out. */
  delayMs?: number;
  /** Ends the stream early. */
  signal?: AbortSignal;
  /**
   * Where each line goes.
   * @default console.log
   */
  write?: (line: string) => void;
}

/**
 * Reads the `text` stream with the typed client and prints it. The events
 * arrive as a discriminated union, and `progress.at` is a real `Date` again.
 * Resolves with the number of sentences received.
 *
 * @example
 * await runClient({ baseUrl: "http://localhost:3000/sse" });
 */
export async function runClient(options: RunClientOptions): Promise<number> {
  const write = options.write ?? console.log;
  const client = createClient(contract, { baseUrl: options.baseUrl });
  const input = options.delayMs === undefined ? undefined : { delayMs: options.delayMs };
  let sentences = 0;
  for await (const ev of client.text(input, options.signal ? { signal: options.signal } : {})) {
    switch (ev.event) {
      case "sentence":
        sentences++;
        write(`${String(ev.data.index + 1).padStart(2)}. ${ev.data.text}`);
        break;
      case "progress":
        write(`    ${ev.data.sent} / ${ev.data.total} at ${ev.data.at.toLocaleTimeString()}`);
        break;
    }
  }
  return sentences;
}

if (isMain(import.meta.url)) {
  const baseUrl = process.argv[2] ?? process.env["RIVULET_URL"] ?? DEFAULT_BASE_URL;
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  console.log(`Reading ${baseUrl}/text …`);
  try {
    const count = await runClient({ baseUrl, signal: stop.signal });
    console.log(stop.signal.aborted ? "Stopped." : `Done: ${count} sentences, then the server's end event.`);
  } catch (error) {
    if (error instanceof RivuletError && error.code === "NETWORK_ERROR") {
      exitOnError(`${error.message} Is the server running? Start it with: npm run server --workspace examples/text-stream`);
    }
    exitOnError(error instanceof RivuletError ? `${error.code}: ${error.message}` : error);
  }
}
