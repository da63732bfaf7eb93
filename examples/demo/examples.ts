import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArticleServer } from "../article/server.js";
import { createChatServer } from "../chat/server.js";
import { createLlmChatServer } from "../llm-chat/server.js";
import { createLogTailServer } from "../log-tail/server.js";
import { startLogWriter } from "../log-tail/writer.js";
import { createDemoServer } from "../text-stream/server.js";
import { createTickerServer } from "../ticker/server.js";
import { createTrpcServer } from "../trpc/server.js";

/** One example, started on a free port by the demo. */
export interface RunningExample {
  /** Its page. */
  url: string;
  /** Where its Rivulet streams are served (the devtools page is under it), when it has a Rivulet adapter of its own. */
  sseUrl?: string;
  close(): Promise<void>;
}

/** An example as the index shows it, and how the demo starts it. */
export interface ExampleEntry {
  /** Its folder under `examples/`. */
  name: string;
  title: string;
  /** One sentence: what to look at. */
  summary: string;
  /** Starts it on a free port, on the embedded defaults (no Redis, no Flask, no Go). */
  start(): Promise<RunningExample>;
}

/** The file the demo's log writer appends to and its log tail follows. */
export const DEMO_LOG_FILE = join(tmpdir(), "rivulet-demo-log-tail.log");

/** Every example with a page, in the order the index lists them. */
export const EXAMPLES: readonly ExampleEntry[] = [
  {
    name: "text-stream",
    title: "Text stream",
    summary: "The classic SSE demo: a paragraph sent one sentence a second, read by the browser's own EventSource.",
    start: () => createDemoServer({ port: 0 }),
  },
  {
    name: "ticker",
    title: "Ticker",
    summary: "Simulated prices broadcast to every subscriber through a broker, with a live chart.",
    start: () => createTickerServer({ port: 0 }),
  },
  {
    name: "chat",
    title: "Chat",
    summary: "Rooms, messages and a live member count; open it in two tabs. In memory here: with REDIS_URL, processes share rooms.",
    start: () => createChatServer({ port: 0 }),
  },
  {
    name: "llm-chat",
    title: "LLM chat",
    summary: "A ChatGPT-style answer streamed as a durable run: reload mid-answer and it goes on, open a second tab and it streams there too, Stop ends it for both.",
    start: () => createLlmChatServer({ port: 0 }),
  },
  {
    name: "log-tail",
    title: "Log tail",
    summary: "tail -f over SSE: a growing log file, the byte offset as the event id, filtered by level.",
    start: async () => {
      const tail = await createLogTailServer({ file: DEMO_LOG_FILE, port: 0 });
      const writer = startLogWriter({ file: DEMO_LOG_FILE });
      writer.done.catch((error: unknown) => console.error("[log-tail] the writer stopped:", error));
      return { url: tail.url, sseUrl: tail.sseUrl, close: async () => void (await Promise.all([writer.stop(), tail.close()])) };
    },
  },
  {
    name: "article",
    title: "The SSE article",
    summary: "The classic SSE article's own page, its stream served by Rivulet (npm run demo:article adds its Flask and Go servers).",
    start: () => createArticleServer({ port: 0 }),
  },
  {
    name: "trpc",
    title: "tRPC",
    summary: "A tRPC app whose subscriptions are Rivulet streams (toTRPC), read by tRPC's own client.",
    start: () => createTrpcServer({ port: 0 }),
  },
];
