import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, implement, type Broker } from "@rivulet/server";
import type { RivuletError } from "@rivulet/shared";
import { contract, preciseNow } from "./scale-contract.js";

export interface ScaleAppOptions {
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** The server's keep-alive interval. @default 15000 */
  keepAliveMs?: number | false;
  /**
   * How the room handler relays its channel: it returns the subscription as
   * it is (delivered straight from `publish`), or an `async function*`
   * `yield*`s it (pulled through the generator).
   * @default "return"
   */
  relay?: Relay;
}

export type Relay = "return" | "yield*";
export const RELAYS: readonly Relay[] = ["return", "yield*"];

export interface ScaleApp {
  server: http.Server;
  port: number;
  /** `http://127.0.0.1:<port>`; the streams are under `/sse`. */
  origin: string;
  /** Publishes messages `from` … `from + count - 1` to `topic`, one after the other; resolves with their IDs. */
  publish(topic: string, from: number, count?: number, pad?: string): Promise<string[]>;
  /** Makes sure the broker's reader of `topic` runs before clients subscribe (see {@link warmTopic}). */
  warm(topic: string): Promise<void>;
  /** What the server's `onError` was told. */
  errors: RivuletError[];
  close(): Promise<void>;
}

/**
 * The scale tests' server: the chat contract, whose room handler is nothing
 * but a channel subscription (returned, or `yield*`ed: see `relay`), served with `router.node` on
 * 127.0.0.1. Besides `/sse/…` it answers a few control requests, so that a
 * test can drive it in a child process:
 *
 * - `POST /control/publish` `{ topic, from, count, pad? }` → `{ ids }`
 * - `POST /control/warm` `{ topic }` → `{}`
 * - `GET /control/memory` → `process.memoryUsage()` after a full GC (with `--expose-gc`)
 * - `GET /control/connections` → `{ count }`, the server's open connections
 */
export async function startScaleApp(broker: Broker, options: ScaleAppOptions = {}): Promise<ScaleApp> {
  const rooms = createChannel(broker, contract.chat.room);
  const errors: RivuletError[] = [];
  const router = implement(contract, {
    chat: {
      room:
        options.relay === "yield*"
          ? async function* ({ input, lastEventId, signal }) {
              yield* rooms.subscribe(input.room, { lastEventId, signal });
            }
          : ({ input, lastEventId }) => rooms.subscribe(input.room, { lastEventId }),
    },
  });
  const sse = router.node({
    prefix: "/sse",
    keepAliveMs: options.keepAliveMs ?? 15_000,
    onError: (error) => errors.push(error),
  });
  const warmers = new Set<AbortController>();

  const publish = async (topic: string, from: number, count = 1, pad?: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let n = from; n < from + count; n++) {
      const data = { n, text: `message ${n}`, at: new Date(), sentAt: preciseNow(), ...(pad === undefined ? {} : { pad }) };
      ids.push(await rooms.publish(topic, { event: "message", data }));
    }
    return ids;
  };

  const warm = (topic: string): Promise<void> => {
    const controller = new AbortController();
    warmers.add(controller);
    return warmTopic(broker, topic, controller.signal, (i) =>
      rooms.publish(topic, { event: "message", data: { n: -1 - i, text: "probe", at: new Date(), sentAt: preciseNow() } }),
    );
  };

  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith("/control/")) return sse(req, res);
    control(req, res, { publish, warm, server }).catch((error: unknown) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    publish,
    warm,
    errors,
    async close() {
      for (const controller of warmers) controller.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A Redis broker's reader of a topic starts at the stream's end once it has
 * asked Redis where that is; a subscriber that comes before may miss what is
 * published meanwhile (a resuming one never does). This holds a subscription
 * open until `signal` aborts, and publishes probes until one arrives: from
 * then on, every subscriber of the topic gets everything published after it
 * subscribed. Harmless (a few messages) with the memory broker.
 */
export async function warmTopic(
  broker: Broker,
  topic: string,
  signal: AbortSignal,
  probe: (attempt: number) => Promise<unknown>,
): Promise<void> {
  const iterator = broker.subscribe(topic, { signal })[Symbol.asyncIterator]();
  let arrived = false;
  void iterator.next().then(
    () => (arrived = true),
    () => (arrived = true),
  );
  for (let attempt = 0; !arrived; attempt++) {
    if (attempt === 200) throw new Error(`The broker's reader of "${topic}" did not start.`);
    await probe(attempt);
    await sleep(10);
  }
}

async function control(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  app: { publish: ScaleApp["publish"]; warm: ScaleApp["warm"]; server: http.Server },
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
  let reply: unknown;
  switch (req.url) {
    case "/control/publish":
      reply = { ids: await app.publish(String(body["topic"]), Number(body["from"]), Number(body["count"] ?? 1), body["pad"] as string | undefined) };
      break;
    case "/control/warm":
      await app.warm(String(body["topic"]));
      reply = {};
      break;
    case "/control/memory": {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      reply = { ...process.memoryUsage(), gc: gc !== undefined };
      break;
    }
    case "/control/connections":
      reply = { count: await new Promise<number>((resolve, reject) => app.server.getConnections((e, n) => (e ? reject(e) : resolve(n)))) };
      break;
    default:
      res.writeHead(404).end();
      return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(reply));
}
