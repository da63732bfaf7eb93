import { monoMs } from "../lib/clock.js";
import { openRawStream } from "./raw-http.js";

export interface CountResult {
  /** Events read, without the contender's preamble. */
  events: number;
  /** Body bytes read up to the last counted event. */
  bytes: number;
  /** From the response head to the last counted event. */
  ms: number;
}

export interface CountOptions {
  /** Stop after this many events. */
  n: number;
  /** Blocks sent before the first event (tRPC's `connected`, better-sse's `retry:`). */
  preamble: number;
  timeoutMs: number;
}

const LF = 10;
const BLANK_LINE = Buffer.from("\n\n");

/**
 * Reads a stream of `n` events with the raw socket reader, counting
 * `\n\n`-terminated blocks and bytes, and hangs up at the `n`-th.
 */
export function countEvents(port: number, path: string, { n, preamble, timeoutMs }: CountOptions): Promise<CountResult> {
  return new Promise((resolve, reject) => {
    const target = n + preamble;
    let blocks = 0;
    let bytes = 0;
    let pendingLF = false;
    let startedAt = 0;
    let finished = false;
    const finish = (error?: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) return reject(error);
      if (blocks < target) return reject(new Error(`${path}: stream ended after ${blocks - preamble} of ${n} events`));
      resolve({ events: blocks - preamble, bytes, ms: monoMs() - startedAt });
    };
    const count = (chunk: Buffer): void => {
      if (finished || chunk.length === 0) return;
      let from = 0;
      // A blank line split across two chunks.
      if (pendingLF && chunk[0] === LF) {
        from = 1;
        if (++blocks === target) {
          bytes += 1;
          return finish();
        }
      }
      let end = from; // where the last counted blank line ends
      let at = chunk.indexOf(BLANK_LINE, from);
      while (at !== -1) {
        end = at + 2;
        if (++blocks === target) {
          bytes += end;
          return finish();
        }
        at = chunk.indexOf(BLANK_LINE, end);
      }
      bytes += chunk.length;
      // A LF that already closed a blank line cannot open another one (tRPC writes `\n\n\n`).
      pendingLF = chunk[chunk.length - 1] === LF && end !== chunk.length;
    };
    const socket = openRawStream(port, path, {
      onHead(status) {
        if (status !== 200) return finish(new Error(`${path}: HTTP ${status}`));
        startedAt = monoMs();
      },
      onBody: count,
      onClose: (error) => finish(error),
    });
    const timer = setTimeout(() => finish(new Error(`${path}: timed out after ${blocks} blocks`)), timeoutMs);
  });
}
