import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, type ClientOptions } from "@rivulet/client";
import { contract } from "./contract.js";
import { createFeeds } from "./feeds.js";

/**
 * The feeds on a real server (127.0.0.1, port 0), and a typed client of it
 * whose `fetch` records every request it makes. Call `closeAll` in `afterEach`.
 */
export function createFeedServers() {
  const servers = new Set<http.Server>();
  return {
    async start(options: Pick<ClientOptions, "headers"> = {}) {
      const feeds = createFeeds();
      const server = http.createServer(feeds.handler);
      servers.add(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      /** The URL of every request the client made, in order; recorded when `fetch` is called. */
      const fetches: string[] = [];
      const client = createClient(contract, {
        baseUrl: `http://127.0.0.1:${port}/sse`,
        fetch: (input, init) => {
          fetches.push(String(input));
          return fetch(input, init);
        },
        ...options,
      });
      return { feeds, client, fetches };
    },
    async closeAll(): Promise<void> {
      const closing = [...servers].map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      });
      servers.clear();
      await Promise.all(closing);
    },
  };
}

/** Resolves after every microtask queued so far, and those they queue, have run. */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
