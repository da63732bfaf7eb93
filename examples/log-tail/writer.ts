import { appendFile, stat, truncate } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { closeOnSignals, exitOnError, isMain, printBanner } from "@rivulet/example-kit/cli";
import { formatLogLine, type Level } from "./log-line.js";
import { logFileFromEnv } from "./server.js";

/** What the demo's made-up service logs, by level; the weights make `debug` and `info` common and `error` rare. */
const MESSAGES: ReadonlyArray<readonly [Level, number, readonly string[]]> = [
  ["debug", 4, ["cache lookup for user 4211", "pool has 3 idle connections", "GET /health 200 in 1 ms"]],
  ["info", 6, ["GET /api/orders 200 in 42 ms", "user 4211 signed in", "order 9134 shipped", "nightly report written"]],
  ["warn", 2, ["GET /api/search took 1840 ms", "disk /var is 91% full", "retrying payment webhook (2/5)"]],
  ["error", 1, ["payment webhook failed: 502 from upstream", "could not reach the mail server", "order 9140: stock below zero"]],
];

/** One made-up line, picked with the weights above. */
export function randomLogLine(random: () => number = Math.random, at = new Date()): string {
  const total = MESSAGES.reduce((sum, [, weight]) => sum + weight, 0);
  let pick = random() * total;
  for (const [level, weight, texts] of MESSAGES) {
    pick -= weight;
    if (pick < 0) return formatLogLine(level, texts[Math.floor(random() * texts.length)] ?? texts[0] ?? "", at);
  }
  return formatLogLine("info", "nothing happened", at);
}

export interface LogWriterOptions {
  /** The file to append to (made when missing). */
  file: string;
  /**
   * Time between two lines, in ms.
   * @default 700
   */
  intervalMs?: number;
  /**
   * Past this size the file is cut back to empty before the next line, as a
   * rotation by `copytruncate` would: the demo file stays small, and an open
   * tail shows its `reset` notice.
   * @default 262144 (256 KiB)
   */
  maxBytes?: number;
}

/** A writer appending lines until `stop()`. */
export interface LogWriter {
  /** Settles when the writer stops: after `stop()`, or rejected by a write that failed (a file it may not write, say). */
  done: Promise<void>;
  /** Stops writing; resolves once the last write is over. */
  stop(): Promise<void>;
}

/**
 * Appends a made-up log line to `file` every `intervalMs`, so that the demo's
 * tail has something to show.
 *
 * @example
 * const writer = startLogWriter({ file: "/tmp/app.log", intervalMs: 500 });
 * await writer.stop();
 */
export function startLogWriter(options: LogWriterOptions): LogWriter {
  const { file, intervalMs = 700, maxBytes = 256 * 1024 } = options;
  const stopped = new AbortController();
  const write = async (): Promise<void> => {
    const size = await stat(file).then((s) => s.size, () => 0);
    if (size > maxBytes) await truncate(file, 0);
    await appendFile(file, randomLogLine());
  };
  // One write at a time: the next is scheduled once the last is done, so lines never interleave.
  const done = (async () => {
    while (!stopped.signal.aborted) {
      await write();
      // Aborted by stop(): the loop's condition ends it.
      await sleep(intervalMs, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    done,
    stop: () => {
      stopped.abort();
      return done;
    },
  };
}

if (isMain(import.meta.url)) {
  const file = logFileFromEnv();
  const writer = startLogWriter({ file });
  writer.done.catch(exitOnError);
  printBanner("Rivulet log-tail writer", { file, every: "700 ms", tail: "npm run server -w examples/log-tail" });
  closeOnSignals({ close: writer.stop }, { warnIfStillBusy: false });
}
