import type { Server } from "node:http";

/** Listens on `port` (`0`: a free one); rejects with the server's error (a port in use: `EADDRINUSE`) instead of throwing it as an unhandled event. */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
