import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on 127.0.0.1 on a free port; resolves with the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // The fan-out scenario opens thousands of connections at once.
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Resolves on `drain`, or on `close` when the client left; removes both listeners either way. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
