import { monoMs } from "../lib/clock.js";
import { openRawStream } from "./raw-http.js";

/** Every payload event carries it; control blocks (tRPC's `connected`, `retry:`) do not. */
const MARKER = '"seq":';

/** Time from opening the connection to the end of the first payload event, in ms. */
export function timeToFirstEvent(port: number, path: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = monoMs();
    let text = "";
    let done = false;
    const finish = (result: number | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const scan = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      const at = text.indexOf(MARKER);
      if (at !== -1 && text.indexOf("\n\n", at) !== -1) finish(monoMs() - startedAt);
    };
    const socket = openRawStream(port, path, {
      onHead(status) {
        if (status !== 200) finish(new Error(`${path}: HTTP ${status}`));
      },
      onBody: scan,
      onClose: (error) => finish(error ?? new Error(`${path}: closed before the first event`)),
    });
    const timer = setTimeout(() => finish(new Error(`${path}: no event within ${timeoutMs} ms`)), timeoutMs);
  });
}
