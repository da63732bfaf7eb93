import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { bundleScript } from "@rivulet/example-kit/bundle";
import { closeOnSignals, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";
import { staticFiles } from "@rivulet/example-kit/static-files";
import { memoryBroker, type Broker } from "@rivulet/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createAppRouter, createContext } from "./app-router.js";

/** Where tRPC is served: `rooms` is at `/trpc/rooms`, `live.room` at `/trpc/live.room`. */
export const TRPC_PREFIX = "/trpc/";

/** The page itself; its script, `public/app.ts` with the tRPC client and superjson, is bundled at start. */
const servePage = staticFiles({
  dir: new URL("./public/", import.meta.url),
  files: new Map([
    ["/", { file: "index.html", type: "text/html; charset=utf-8" }],
    ["/index.html", { file: "index.html", type: "text/html; charset=utf-8" }],
  ]),
  notFound: "Not found. The page is at / and tRPC under /trpc/.",
  name: "trpc",
});

export interface TrpcServerOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 3000
   */
  port?: number;
  /**
   * Where the rooms' messages live; the app closes it on `close()`.
   * @default memoryBroker()
   */
  broker?: Broker;
}

/** A listening app. */
export interface TrpcServer {
  server: Server;
  port: number;
  /** The page: `http://localhost:3000/`. */
  url: string;
  /** tRPC's URL, for `httpBatchLink` and `httpSubscriptionLink`: `http://localhost:3000/trpc`. */
  trpcUrl: string;
  /** Ends open subscriptions, stops listening, closes the broker. */
  close(): Promise<void>;
}

/**
 * Starts the app on one port: tRPC (its queries, mutations and the Rivulet
 * streams under `live`) at `/trpc/`, and the page at `/`.
 *
 * @example
 * const app = await createTrpcServer({ port: 0 });
 * await app.close();
 */
export async function createTrpcServer(options: TrpcServerOptions = {}): Promise<TrpcServer> {
  const script = await bundleScript(new URL("./public/app.ts", import.meta.url));
  const broker = options.broker ?? memoryBroker();
  const trpc = createHTTPHandler({ router: createAppRouter(broker), createContext, basePath: TRPC_PREFIX });
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (pathname.startsWith(TRPC_PREFIX)) return trpc(req, res);
    if (pathname === "/app.js" && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" });
      return res.end(req.method === "HEAD" ? undefined : script);
    }
    void servePage(req, res);
  });
  try {
    await listen(server, options.port ?? DEFAULT_PORT);
  } catch (error) {
    await broker.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const origin = `http://localhost:${port}`;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    // Cutting the connections aborts the subscriptions, which unsubscribe from the broker before it closes.
    await closeServer(server);
    await broker.close();
  };
  return { server, port, url: `${origin}/`, trpcUrl: `${origin}/trpc`, close: () => (closing ??= close()) };
}

/** The port when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

if (isMain(import.meta.url)) {
  const app = await listenOnPort(portFromEnv(DEFAULT_PORT), {
    start: (port) => createTrpcServer({ port }),
    what: "the tRPC example",
    command: "npm run demo:trpc",
  }).catch(exitOnError);
  printBanner("Rivulet inside tRPC", {
    page: app.url,
    query: `curl '${app.trpcUrl}/rooms'`,
    subscription: `curl -N '${app.trpcUrl}/live.room?input=${encodeURIComponent(JSON.stringify({ json: { room: "lobby" } }))}'`,
    mutation: `curl -X POST -H 'content-type: application/json' -d '{"json":{"room":"lobby","from":"curl","text":"hello"}}' '${app.trpcUrl}/send'`,
  });
  closeOnSignals(app);
}
