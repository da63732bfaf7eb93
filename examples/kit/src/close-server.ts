import type { Server } from "node:http";

/** Stops listening and ends open connections: event streams never end by themselves, so `close()` alone would wait for them forever. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
