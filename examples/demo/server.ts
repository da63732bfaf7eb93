import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { closeOnSignals, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";
import { EXAMPLES, type ExampleEntry, type RunningExample } from "./examples.js";
import { renderIndex, type IndexEntry } from "./index-page.js";

/** Where an adapter with `devtools: true` serves its page, under its prefix. */
export const DEVTOOLS_PATH = "/_devtools";

export interface DemoOptions {
  /**
   * Port of the index page; `0` picks a free one. The examples always take free ports.
   * @default 3000
   */
  port?: number;
  /**
   * The examples to start.
   * @default EXAMPLES
   */
  examples?: readonly ExampleEntry[];
}

/** The running demo. */
export interface Demo {
  server: Server;
  /** The index page: `http://localhost:3000/`. */
  url: string;
  /** Every example, started or not. */
  entries: readonly IndexEntry[];
  /** Every URL the index links. */
  links: readonly string[];
  /** Stops every example, then the index. */
  close(): Promise<void>;
}

/**
 * Starts every example on a free port of its own, then the index page that
 * links them. An example that fails to start is shown as such, with the
 * reason, and the others run.
 *
 * @example
 * const demo = await startDemo({ port: 0 });
 * console.log(demo.url); // http://localhost:40123/
 * await demo.close();
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const examples = options.examples ?? EXAMPLES;
  const started = await Promise.allSettled(examples.map((example) => example.start()));
  const running: RunningExample[] = [];
  const entries: IndexEntry[] = await Promise.all(
    started.map(async (result, i): Promise<IndexEntry> => {
      const example = examples[i] as ExampleEntry; // one result per example, in order
      if (result.status === "rejected") {
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        console.warn(`[demo] ${example.name} did not start: ${reason}`);
        return { state: "failed", example, reason };
      }
      running.push(result.value);
      return { state: "running", example, url: result.value.url, devtoolsUrl: await devtoolsOf(result.value) };
    }),
  );
  const page = renderIndex(entries);
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (pathname !== "/" && pathname !== "/index.html") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      return res.end("Not found. The index is at /.\n");
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : page);
  });
  const closeExamples = async (): Promise<void> => void (await Promise.allSettled(running.map((example) => example.close())));
  try {
    await listen(server, options.port ?? DEFAULT_PORT);
  } catch (error) {
    await closeExamples();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const links = entries.flatMap((entry) => (entry.state === "running" ? [entry.url, ...(entry.devtoolsUrl ? [entry.devtoolsUrl] : [])] : []));
  return {
    server,
    url: `http://localhost:${port}/`,
    entries,
    links,
    close: async () => {
      await closeExamples();
      await closeServer(server);
    },
  };
}

/**
 * The example's devtools page, when its adapter has them on: the demo asks
 * rather than keeps a list, so that the index follows the examples' own settings.
 */
async function devtoolsOf(example: RunningExample): Promise<string | undefined> {
  if (example.sseUrl === undefined) return undefined;
  const url = `${example.sseUrl}${DEVTOOLS_PATH}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return response.ok && response.headers.get("content-type")?.startsWith("text/html") ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The index's port when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

if (isMain(import.meta.url)) {
  const demo = await listenOnPort(portFromEnv(DEFAULT_PORT), {
    start: (port) => startDemo({ port }),
    what: "the demo's index",
    command: "npm run demo",
  }).catch(exitOnError);
  const running = demo.entries.filter((entry) => entry.state === "running").length;
  printBanner("Rivulet examples", { open: demo.url, running: `${running} of ${demo.entries.length} examples, each on its own port` });
  closeOnSignals(demo);
}
