import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { closeOnSignals, curlCommand, exitOnError, isMain, listenOnPort, portFromEnv, printBanner } from "@rivulet/example-kit/cli";
import { closeServer } from "@rivulet/example-kit/close-server";
import { listen } from "@rivulet/example-kit/listen";
import { staticFiles } from "@rivulet/example-kit/static-files";
import { implement } from "@rivulet/server";
import { contract, DEFAULT_HISTORY } from "./contract.js";
import { atLeast, parseLogLine } from "./log-line.js";
import { tailFile, type TailStart } from "./tail-file.js";

/** Where the streams are served: `tail` is at `/sse/tail`. */
export const SSE_PREFIX = "/sse";

/** The file the demo writes and tails when `LOG_FILE` is not set. */
export const DEFAULT_LOG_FILE = join(tmpdir(), "rivulet-log-tail.log");

/** The page and its script, from `public/`. */
const serveStatic = staticFiles({
  dir: new URL("./public/", import.meta.url),
  notFound: "Not found. The page is at / and the stream under /sse/.",
  name: "log-tail",
});

export interface LogTailServerOptions {
  /** The log file to tail; it need not exist yet. */
  file: string;
  /**
   * Port to listen on; `0` picks a free one.
   * @default 3000
   */
  port?: number;
  /**
   * How often an open stream looks at the file for new lines, in ms.
   * @default 200
   */
  pollMs?: number;
  /**
   * Keep-alive comment interval on idle streams, in ms; `false` turns it off.
   * @default 15000
   */
  keepAliveMs?: number | false;
}

/** A listening log-tail server. */
export interface LogTailServer {
  server: Server;
  port: number;
  /** The page: `http://localhost:3000/`. */
  url: string;
  /** The client's base URL: `http://localhost:3000/sse`. */
  sseUrl: string;
  /** The file it tails. */
  file: string;
  /** Ends open streams and stops listening. */
  close(): Promise<void>;
}

/**
 * The `tail` handler. Each line's id is the offset just past it, so a resume
 * reads the file from the client's `Last-Event-ID` on: the lines the filter
 * skipped are read again and skipped again, and none of those it sent is
 * sent twice. The wait between two looks at the file honours `signal`.
 */
export function createLogTailRouter(file: string, pollMs: number) {
  return implement(contract, {
    tail: async function* ({ input, lastEventId, signal }) {
      const min = input?.level ?? "debug";
      const start: TailStart = resumeOffset(lastEventId) ?? { lastLines: input?.history ?? DEFAULT_HISTORY };
      for await (const item of tailFile({ path: file, start, wait: () => sleep(pollMs, undefined, { signal }) })) {
        if (item.kind === "reset") {
          // Its id is 0, where the tail starts over: a cut right after it resumes from there.
          yield { event: "reset", id: "0", data: { reason: item.reason, size: item.size } };
          continue;
        }
        if (item.text.trim() === "") continue;
        const line = parseLogLine(item.text);
        if (!atLeast(line.level, min)) continue;
        yield { event: "line", id: String(item.next), data: { offset: item.offset, ...line } };
      }
    },
  });
}

/** The offset a `Last-Event-ID` names; anything else (none, or not an offset) is a first connection. */
function resumeOffset(lastEventId: string | undefined): { offset: number } | undefined {
  if (lastEventId === undefined || !/^\d{1,15}$/.test(lastEventId)) return undefined;
  return { offset: Number(lastEventId) };
}

/**
 * Starts the tail of `file`: the stream under `/sse` and the page (`public/`) at `/`.
 *
 * @example
 * const tail = await createLogTailServer({ file: "/var/log/app.log", port: 0 });
 * console.log(tail.url); // http://localhost:40123/
 * await tail.close();
 */
export async function createLogTailServer(options: LogTailServerOptions): Promise<LogTailServer> {
  const sse = createLogTailRouter(options.file, options.pollMs ?? 200).node({
    prefix: SSE_PREFIX,
    keepAliveMs: options.keepAliveMs ?? 15_000,
  });
  const server = createServer((req, res) => sse(req, res, () => void serveStatic(req, res)));
  await listen(server, options.port ?? DEFAULT_PORT);
  const { port } = server.address() as AddressInfo;
  const origin = `http://localhost:${port}`;
  return { server, port, url: `${origin}/`, sseUrl: `${origin}${SSE_PREFIX}`, file: options.file, close: () => closeServer(server) };
}

/** The port when `PORT` is not set. */
export const DEFAULT_PORT = 3000;

/** The file from `LOG_FILE`, or {@link DEFAULT_LOG_FILE}. */
export function logFileFromEnv(): string {
  return process.env["LOG_FILE"]?.trim() || DEFAULT_LOG_FILE;
}

/**
 * Starts the tail of `LOG_FILE` on `PORT` (3000). A port that is taken is an
 * error when `PORT` chose it; the default 3000 being taken falls back to a
 * free port, printed in the banner.
 */
export function listenFromEnv(options: Omit<LogTailServerOptions, "port" | "file"> = {}): Promise<LogTailServer> {
  const file = logFileFromEnv();
  return listenOnPort(portFromEnv(DEFAULT_PORT), {
    start: (port) => createLogTailServer({ ...options, file, port }),
    what: "the log tail",
    command: "npm run start -w examples/log-tail",
  });
}

/** Prints where the page, the stream and the file are. */
export function printLogTailBanner(tail: LogTailServer): void {
  printBanner("Rivulet log tail", {
    page: tail.url,
    stream: curlCommand(tail.sseUrl, "tail", { level: "warn" }),
    file: tail.file,
    append: `echo "$(date -u +%FT%TZ) ERROR something broke" >> ${tail.file}`,
  });
}

if (isMain(import.meta.url)) {
  const tail = await listenFromEnv().catch(exitOnError);
  printLogTailBanner(tail);
  closeOnSignals(tail, { warnIfStillBusy: false });
}
