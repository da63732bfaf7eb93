import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { closeOnSignals, curlCommand, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { staticFiles } from "@rivulet/example-kit/static-files";
import { implement } from "@rivulet/server";
import { contract, PARAGRAPH } from "./contract.js";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";

/** Where the streams are served: `text` is at `/sse/text`. */
export const SSE_PREFIX = "/sse";

/** The page and its script, from `public/`. */
const serveStatic = staticFiles({
  dir: new URL("./public/", import.meta.url),
  notFound: "Not found. The page is at / and the streams under /sse/.",
  name: "text-stream",
});

export interface DemoServerOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 3000
   */
  port?: number;
  /**
   * Pause between two sentences, in ms, when the request does not set `delayMs`.
   * @default 1000
   */
  delayMs?: number;
  /**
   * Keep-alive comment interval on idle streams, in ms; `false` turns it off.
   * @default 15000
   */
  keepAliveMs?: number | false;
}

/** A listening demo server. */
export interface DemoServer {
  server: Server;
  port: number;
  /** The page: `http://localhost:3000/`. */
  url: string;
  /** The client's base URL: `http://localhost:3000/sse`. */
  sseUrl: string;
  /** Ends open streams (their handlers see `signal` abort) and stops listening. */
  close(): Promise<void>;
}

/**
 * The stream handlers. `text` resumes after the sentence index the client
 * last saw (`Last-Event-ID`) and waits between sentences with `signal`, so a
 * client that leaves frees its timer at once.
 */
export function createTextRouter(defaultDelayMs: number) {
  return implement(contract, {
    text: async function* ({ input, signal, lastEventId }) {
      const delayMs = input?.delayMs ?? defaultDelayMs;
      const start = resumeIndex(lastEventId);
      const total = PARAGRAPH.length;
      for (const [offset, text] of PARAGRAPH.slice(start).entries()) {
        if (offset > 0) await sleep(delayMs, undefined, { signal });
        const index = start + offset;
        yield { event: "sentence", id: String(index), data: { index, text } };
        yield { event: "progress", data: { sent: index + 1, total, at: new Date() } };
      }
    },
  });
}

/** The first sentence to send: the one after `lastEventId`; an id this stream never sent starts over. */
function resumeIndex(lastEventId: string | undefined): number {
  if (lastEventId === undefined || !/^\d{1,4}$/.test(lastEventId)) return 0;
  return Number(lastEventId) + 1;
}

/**
 * Starts the demo: the streams under `/sse` and the page (`public/`) at `/`.
 *
 * @example
 * const demo = await createDemoServer({ port: 0, delayMs: 10 });
 * console.log(demo.url); // http://localhost:40123/
 * await demo.close();
 */
export async function createDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const sse = createTextRouter(options.delayMs ?? 1_000).node({
    prefix: SSE_PREFIX,
    keepAliveMs: options.keepAliveMs ?? 15_000,
  });
  const server = createServer((req, res) => sse(req, res, () => void serveStatic(req, res)));
  await listen(server, options.port ?? 3000);
  const { port } = server.address() as AddressInfo;
  const origin = `http://localhost:${port}`;
  return { server, port, url: `${origin}/`, sseUrl: `${origin}${SSE_PREFIX}`, close: () => closeServer(server) };
}

/** The port when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

/**
 * Starts the demo on `PORT`, or on 3000 when it is not set. A port that is
 * taken is an error when `PORT` chose it; the default 3000 being taken falls
 * back to a free port (printed in the banner), so starting the demo just works.
 */
export async function listenFromEnv(options: Omit<DemoServerOptions, "port"> = {}): Promise<DemoServer> {
  return listenOnPort(portFromEnv(DEFAULT_PORT), {
    start: (port) => createDemoServer({ ...options, port }),
    what: "the demo",
    command: "npm run start -w examples/text-stream",
  });
}

/** Prints where the page and the stream are. */
export function printDemoBanner(demo: DemoServer): void {
  printBanner("Rivulet text-stream demo", {
    page: demo.url,
    stream: curlCommand(demo.sseUrl, "text", { delayMs: 500 }),
    client: `RIVULET_URL=${demo.sseUrl} npm run client --workspace examples/text-stream`,
  });
}

if (isMain(import.meta.url)) {
  const demo = await listenFromEnv().catch(exitOnError);
  printDemoBanner(demo);
  closeOnSignals(demo, { warnIfStillBusy: false });
}
