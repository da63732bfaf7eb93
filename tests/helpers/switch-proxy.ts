import net, { type AddressInfo } from "node:net";

/** One connection the proxy accepted. */
export interface ProxiedConnection {
  /** The upstream port it was forwarded to. */
  target: number;
  /** The first bytes the client sent (its request head). */
  request: string;
}

export interface SwitchProxy {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Where new connections go; changing it leaves open connections where they are. */
  target: number;
  /** Every connection forwarded so far, in order. */
  readonly connections: readonly ProxiedConnection[];
  /** Connections accepted while held, waiting for `release()`. */
  readonly waiting: number;
  /** Holds new connections: they are accepted but not forwarded until `release()`. */
  hold(): void;
  /** Forwards the held connections (to the current target) and stops holding. */
  release(): void;
  /** Cuts every forwarded connection, both sides, as a network failure would. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 standing in for a load balancer: it forwards each
 * connection to the current `target`, which a test switches from one server
 * process to another, and it can hold new connections and cut open ones.
 */
export async function startSwitchProxy(target: number): Promise<SwitchProxy> {
  const open = new Set<net.Socket>();
  const held: net.Socket[] = [];
  const connections: ProxiedConnection[] = [];
  let holding = false;

  const forward = (client: net.Socket): void => {
    if (client.destroyed) return;
    const record: ProxiedConnection = { target: proxy.target, request: "" };
    connections.push(record);
    const upstream = net.connect(proxy.target, "127.0.0.1");
    open.add(client);
    open.add(upstream);
    const dropBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("error", dropBoth);
      socket.on("close", () => {
        open.delete(socket);
        dropBoth();
      });
    }
    client.on("data", (chunk: Buffer) => {
      if (record.request.length < 4096) record.request += chunk.toString("latin1");
    });
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const server = net.createServer((client) => {
    client.setNoDelay(true);
    if (holding) {
      client.on("error", () => client.destroy());
      held.push(client);
    } else {
      forward(client);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  const proxy: SwitchProxy = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target,
    connections,
    get waiting() {
      return held.length;
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const client of held.splice(0)) forward(client);
    },
    cut: () => {
      for (const socket of [...open]) socket.destroy();
    },
    close: async () => {
      for (const socket of [...open, ...held.splice(0)]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
