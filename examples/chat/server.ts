import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { closeOnSignals, curlCommand, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { staticFiles } from "@rivulet/example-kit/static-files";
import type { Broker } from "@rivulet/server";
import { createChatBroker } from "./broker.js";
import { API_PREFIX, createMessagesApi, messagesPath } from "./messages-api.js";
import { createRooms } from "./rooms.js";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";

/** Where the streams are served: `room` is at `/sse/room`. */
export const SSE_PREFIX = "/sse";

/** The page and its script, from `public/`. */
const serveStatic = staticFiles({
  dir: new URL("./public/", import.meta.url),
  notFound: "Not found. The page is at /, the stream under /sse/ and the API under /api/.",
  name: "chat",
});

/** How long closing waits for the rooms' handlers to announce that their members left. */
const CLOSE_GRACE_MS = 5_000;

export interface ChatServerOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 3000
   */
  port?: number;
  /**
   * Share rooms through this Redis with every other chat process that uses it;
   * left out, an in-memory broker serves this process alone.
   */
  redisUrl?: string | undefined;
  /**
   * Prefix of the Redis keys (only with `redisUrl`).
   * @default "rivulet:chat:"
   */
  keyPrefix?: string | undefined;
  /**
   * Keep-alive comment interval on idle streams, in ms; `false` turns it off.
   * @default 15000
   */
  keepAliveMs?: number | false;
}

/** A listening chat server. */
export interface ChatServer {
  server: Server;
  port: number;
  /** The page: `http://localhost:3000/`. */
  url: string;
  /** The client's base URL: `http://localhost:3000/sse`. */
  sseUrl: string;
  /** The broker the rooms live in. */
  broker: Broker;
  /** Which broker, for people: `memory (this process only)` or the Redis URL. */
  brokerDescription: string;
  /** Ends open streams (their members leave and are announced), stops listening, closes the broker. */
  close(): Promise<void>;
}

/**
 * Starts the chat: the `room` stream under `/sse`, `POST /api/rooms/:room/messages`,
 * and the page (`public/`) at `/`.
 *
 * @example
 * const chat = await createChatServer({ port: 0 });                       // rooms in this process
 * const shared = await createChatServer({ port: 0, redisUrl: "redis://127.0.0.1:6379" });
 * await chat.close();
 */
export async function createChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const { broker, description } = await createChatBroker({ redisUrl: options.redisUrl, keyPrefix: options.keyPrefix });
  const rooms = createRooms(broker);
  const sse = rooms.router.node({ prefix: SSE_PREFIX, keepAliveMs: options.keepAliveMs ?? 15_000 });
  const api = createMessagesApi(rooms.channel);
  const server = createServer((req, res) =>
    sse(req, res, () => void (req.url?.startsWith(API_PREFIX) ? api(req, res) : serveStatic(req, res))),
  );
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
    await closeServer(server);
    // The members' `finally` blocks publish their leave; the broker must still be open for that.
    const grace = new Promise<"timeout">((resolve) => setTimeout(resolve, CLOSE_GRACE_MS, "timeout").unref());
    if ((await Promise.race([rooms.idle(), grace])) === "timeout") {
      console.warn(`[chat] some streams were still closing after ${CLOSE_GRACE_MS} ms; closing the broker anyway.`);
    }
    await broker.close();
  };
  return {
    server,
    port,
    url: `${origin}/`,
    sseUrl: `${origin}${SSE_PREFIX}`,
    broker,
    brokerDescription: description,
    close: () => (closing ??= close()),
  };
}

/** The port when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

/**
 * Starts the chat from the environment: `PORT` (3000), `REDIS_URL` (set: rooms
 * shared through Redis; unset: in memory) and `REDIS_KEY_PREFIX`. A port that
 * is taken is an error when `PORT` chose it; the default 3000 being taken
 * falls back to a free port, printed in the banner.
 */
export async function listenFromEnv(): Promise<ChatServer> {
  const options: ChatServerOptions = {
    redisUrl: process.env["REDIS_URL"]?.trim() || undefined,
    keyPrefix: process.env["REDIS_KEY_PREFIX"]?.trim() || undefined,
  };
  return listenOnPort(portFromEnv(DEFAULT_PORT), {
    start: (port) => createChatServer({ ...options, port }),
    what: "the chat",
    command: "npm run server -w examples/chat",
  });
}

/** A ready-to-paste `curl` command that posts a message to `room`. */
export function curlPostCommand(origin: string, room = "lobby", from = "curl", text = "hello from curl"): string {
  const body = JSON.stringify({ from, text }).replaceAll("'", "'\\''");
  return `curl -X POST -H 'content-type: application/json' -d '${body}' ${new URL(messagesPath(room), origin)}`;
}

/** Prints where the page, the stream and the API are, and which broker holds the rooms. */
export function printChatBanner(chat: ChatServer): void {
  printBanner("Rivulet chat", {
    page: chat.url,
    broker: chat.brokerDescription,
    stream: curlCommand(chat.sseUrl, "room", { room: "lobby", name: "curl" }),
    post: curlPostCommand(chat.url),
    client: `CHAT_URL=${chat.url} npm run client -w examples/chat -- lobby <your name>`,
  });
}

if (isMain(import.meta.url)) {
  const chat = await listenFromEnv().catch(exitOnError);
  printChatBanner(chat);
  closeOnSignals(chat);
}
