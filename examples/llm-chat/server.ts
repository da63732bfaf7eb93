import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { bundleScript } from "@rivulet/example-kit/bundle";
import { closeOnSignals, curlCommand, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";
import { staticFiles } from "@rivulet/example-kit/static-files";
import type { NodeHandler, RunStore } from "@rivulet/server";
import { checkOptions, option } from "@rivulet/shared/wire";
import { createAnswerRouter } from "./answer.js";
import { createGeneratorLog, type GeneratorLog } from "./generators.js";
import type { Pace } from "./model.js";
import { createAnswerStore } from "./run-store.js";
import { SESSION_COOKIE, newSessionCookie, sessionIdOf, sessionOf } from "./session.js";

/** Where the stream is served: `chat.ask` is at `/sse/chat/ask`. */
export const SSE_PREFIX = "/sse";

/** The page itself; its script, `public/app.ts` with the typed client, is bundled at start. */
const servePage = staticFiles({
  dir: new URL("./public/", import.meta.url),
  files: new Map([
    ["/", { file: "index.html", type: "text/html; charset=utf-8" }],
    ["/index.html", { file: "index.html", type: "text/html; charset=utf-8" }],
  ]),
  notFound: "Not found. The page is at / and the stream under /sse/.",
  name: "llm-chat",
});

export interface LlmChatServerOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 3000
   */
  port?: number;
  /**
   * Where answers keep their history; the server closes it on `close()`.
   * @default memoryRunStore(), or a redisRunStore() with `redisUrl`
   */
  store?: RunStore;
  /**
   * Share answers through this Redis with every other chat process that uses
   * it (a page served by one joins and stops answers run by another); ignored with `store`.
   */
  redisUrl?: string | undefined;
  /**
   * Prefix of the Redis keys (only with `redisUrl`).
   * @default "rivulet:llm-chat:"
   */
  keyPrefix?: string | undefined;
  /**
   * The model's pace: waits before each token. Tests hold it with a gate.
   * @default modelPace(): 15 to 60 ms a token
   */
  pace?: Pace;
  /**
   * An answer nobody watches for this long, in ms, is stopped; `false`: never.
   * Generous, so that a reload or a closed laptop lid does not lose the answer.
   * @default 60000
   */
  unwatchedMs?: number | false;
  /**
   * How long an ended answer can still be joined, in ms.
   * @default 600000 (10 minutes)
   */
  retentionMs?: number;
  /**
   * Events an answer's history holds; past it, the oldest tokens are folded into a `snapshot`.
   * @default 10000
   */
  historySize?: number;
  /**
   * Keep-alive comment interval on idle streams, in ms; `false` turns it off.
   * @default 15000
   */
  keepAliveMs?: number | false;
}

/** A listening chat server. */
export interface LlmChatServer {
  server: Server;
  port: number;
  /** The page: `http://localhost:3000/`. */
  url: string;
  /** The client's base URL: `http://localhost:3000/sse`. */
  sseUrl: string;
  /** Where the answers live, for people: `memory (this process only)` or the Redis URL. */
  storeDescription: string;
  /** The answer generators: which are running, and word of each one that finishes. */
  generators: GeneratorLog;
  /** Stops listening, stops the answers still running (their generators finish), closes the store. */
  close(): Promise<void>;
}

/** `port`, checked as the kit's `portFromEnv` checks `PORT`. */
const PORT_RULE = {
  expected: "a port number (0-65535)",
  test: (value: unknown) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65_535,
};

/**
 * Starts the chat: the durable stream `chat.ask` under `/sse`, owned by the
 * session cookie that the page (at `/`) sets, and the page's script at `/app.js`.
 *
 * @example
 * const chat = await createLlmChatServer({ port: 0 });
 * console.log(chat.url); // http://localhost:40123/
 * await chat.close();
 */
export async function createLlmChatServer(options: LlmChatServerOptions = {}): Promise<LlmChatServer> {
  checkOptions("createLlmChatServer()", options, {
    port: PORT_RULE,
    store: option.object,
    redisUrl: option.string,
    keyPrefix: option.string,
    pace: option.function,
  });
  const script = await bundleScript(new URL("./public/app.ts", import.meta.url));
  const { store, description } = options.store
    ? { store: options.store, description: "the store given" }
    : await createAnswerStore({ redisUrl: options.redisUrl, keyPrefix: options.keyPrefix });
  const log = createGeneratorLog();
  let sse: NodeHandler;
  try {
    sse = createAnswerRouter({
      store,
      log,
      pace: options.pace,
      unwatchedMs: options.unwatchedMs ?? 60_000,
      retentionMs: options.retentionMs ?? 600_000,
      historySize: options.historySize ?? 10_000,
    }).node({
      prefix: SSE_PREFIX,
      context: sessionOf,
      keepAliveMs: options.keepAliveMs ?? 15_000,
      // The devtools page, at /sse/_devtools; an adapter refuses it in production (docs/devtools.md).
      devtools: process.env["NODE_ENV"] !== "production",
    });
  } catch (error) {
    // An option out of range (INVALID_OPTION): the store is not left open behind the error.
    await store.close();
    throw error;
  }
  const server = createServer((req, res) =>
    sse(req, res, () => {
      const { pathname } = new URL(req.url ?? "/", "http://localhost");
      if (pathname === "/app.js" && (req.method === "GET" || req.method === "HEAD")) {
        res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" });
        return res.end(req.method === "HEAD" ? undefined : script);
      }
      // The page gives the browser its session: every tab of it shares the cookie, another browser has its own.
      if (sessionIdOf(req) === undefined && (pathname === "/" || pathname === "/index.html")) {
        res.setHeader("set-cookie", newSessionCookie());
      }
      void servePage(req, res);
    }),
  );
  const close = async (): Promise<void> => {
    await closeServer(server);
    // A run outlives its connections, so closing the server does not end it: stopping does, and runs its `finally`.
    // One that cannot be stopped (its store is gone, it was lost) is left to the store's close.
    await Promise.all([...log.running].map((runId) => store.stop(runId).catch(() => undefined)));
    await store.close();
  };
  try {
    await listen(server, options.port ?? DEFAULT_PORT);
  } catch (error) {
    await store.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const origin = `http://localhost:${port}`;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    url: `${origin}/`,
    sseUrl: `${origin}${SSE_PREFIX}`,
    storeDescription: description,
    generators: log,
    close: () => (closing ??= close()),
  };
}

/** The port when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

/**
 * Starts the chat from the environment: `PORT` (3000), `REDIS_URL` (set:
 * answers shared through Redis; unset: in memory) and `REDIS_KEY_PREFIX`. A
 * port that is taken is an error when `PORT` chose it; the default 3000 being
 * taken falls back to a free port, printed in the banner.
 */
export function listenFromEnv(): Promise<LlmChatServer> {
  const options: LlmChatServerOptions = {
    redisUrl: process.env["REDIS_URL"]?.trim() || undefined,
    keyPrefix: process.env["REDIS_KEY_PREFIX"]?.trim() || undefined,
  };
  return listenOnPort(portFromEnv(DEFAULT_PORT), {
    start: (port) => createLlmChatServer({ ...options, port }),
    what: "the LLM chat",
    command: "npm run start -w examples/llm-chat",
  });
}

if (isMain(import.meta.url)) {
  const chat = await listenFromEnv().catch(exitOnError);
  printBanner("Rivulet LLM chat", {
    page: chat.url,
    answers: chat.storeDescription,
    // Any 22 characters of base64url make a session: curl's answers are its own.
    stream: `${curlCommand(chat.sseUrl, "chat/ask", { prompt: "What is a durable run?" })} -b ${SESSION_COOKIE}=from-the-terminal-0001`,
    devtools: `${chat.sseUrl}/_devtools`,
  });
  closeOnSignals(chat);
}
