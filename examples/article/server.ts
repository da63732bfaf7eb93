import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { closeOnSignals, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";
import { staticFiles } from "@rivulet/example-kit/static-files";
import { implement } from "@rivulet/server";
import { article, SENTENCES } from "./contract.js";

/** The article's page alone, with its script inline as the article writes it. */
const serveStatic = staticFiles({
  dir: new URL("./public/", import.meta.url),
  files: new Map([
    ["/", { file: "index.html", type: "text/html; charset=utf-8" }],
    ["/index.html", { file: "index.html", type: "text/html; charset=utf-8" }],
  ]),
  notFound: "Not found. The page is at / and the stream at /events.",
  name: "article",
});

export interface ArticleServerOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 8082 (the article's servers use 8081 and 8080)
   */
  port?: number;
  /**
   * Pause between two sentences, in ms.
   * @default 1000, as in the article
   */
  pauseMs?: number;
}

/** A listening Rivulet server for the article's page. */
export interface ArticleServer {
  server: Server;
  port: number;
  /** The page: `http://localhost:8082/`. */
  url: string;
  /** The contract's base URL: the stream is at `${baseUrl}/events`, where the page's `new EventSource("/events")` looks. */
  baseUrl: string;
  /** Ends open streams and stops listening. */
  close(): Promise<void>;
}

/**
 * The article's stream, served by Rivulet: the same five sentences as
 * unnamed events (`event: message` is what `onmessage` hears) with the text
 * itself as `data:`, then the response ends, as the Flask and Go servers end
 * theirs. The pause honours `signal`, so a page that leaves frees its timer.
 */
export function createArticleRouter(pauseMs: number) {
  return implement(article, {
    events: async function* ({ signal }) {
      for (const [index, sentence] of SENTENCES.entries()) {
        if (index > 0) await sleep(pauseMs, undefined, { signal });
        yield { event: "message", data: sentence };
      }
    },
  });
}

/**
 * Starts the page at `/` and the stream at `/events`.
 *
 * @example
 * const site = await createArticleServer({ port: 0, pauseMs: 10 });
 * console.log(site.url); // http://localhost:40123/
 * await site.close();
 */
export async function createArticleServer(options: ArticleServerOptions = {}): Promise<ArticleServer> {
  const sse = createArticleRouter(options.pauseMs ?? 1_000).node();
  // The page wants the stream at /events, so the streams have no prefix, and with no prefix every
  // path is the router's: the page's paths are sent to the files before it sees them.
  const server = createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname === "/events") sse(req, res);
    else void serveStatic(req, res);
  });
  await listen(server, options.port ?? DEFAULT_PORT);
  const { port } = server.address() as AddressInfo;
  const origin = `http://localhost:${port}`;
  return { server, port, url: `${origin}/`, baseUrl: origin, close: () => closeServer(server) };
}

/** The port when `PORT` is not set: next to the article's 8080 (Go) and 8081 (Flask). */
export const DEFAULT_PORT = 8082;

/** Starts the server on `PORT`, or on 8082 (a free port when 8082 is taken and `PORT` is not set). */
export function listenFromEnv(options: Omit<ArticleServerOptions, "port"> = {}): Promise<ArticleServer> {
  return listenOnPort(portFromEnv(DEFAULT_PORT), {
    start: (port) => createArticleServer({ ...options, port }),
    what: "the article's page",
    command: "npm run server -w examples/article",
  });
}

if (isMain(import.meta.url)) {
  const site = await listenFromEnv().catch(exitOnError);
  printBanner("The SSE article's page, served by Rivulet", {
    page: site.url,
    stream: `curl -N ${site.baseUrl}/events`,
  });
  closeOnSignals(site, { warnIfStillBusy: false });
}
