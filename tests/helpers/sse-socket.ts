import net from "node:net";
import { createEventStreamParser } from "@rivulet/shared";
import { preciseNow } from "./scale-contract.js";

/** An event as a raw connection received it, with the time its bytes arrived. */
export interface RawEvent {
  event: string;
  data: string;
  id: string;
  receivedAt: number;
}

export interface SseSocket {
  readonly socket: net.Socket;
  /** The response's status; 0 until the head arrived. */
  status: number;
  /** The response head (status line and headers). */
  head: string;
  events: RawEvent[];
  /** `retry:` hints, in ms. */
  retries: number[];
  /** Resolves when the response head has arrived. */
  opened: Promise<void>;
  /** Resolves when the connection is closed. */
  closed: Promise<void>;
  isClosed: boolean;
  /** Stops reading from the socket: the server's writes pile up in the kernel, then in node. */
  pause(): void;
  resume(): void;
  destroy(): void;
}

export interface SseSocketOptions {
  lastEventId?: string;
  /** Called for each event as it is parsed. */
  onEvent?: (event: RawEvent) => void;
}

/**
 * The lightest SSE client: a raw TCP connection that sends an HTTP/1.0
 * request, so that the node server answers without chunked encoding and
 * the body is the event stream as is, fed to the shared parser.
 */
export function openSse(port: number, path: string, options: SseSocketOptions = {}): SseSocket {
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  let resolveOpened!: () => void;
  let rejectOpened!: (error: Error) => void;
  const opened = new Promise<void>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  // Nobody may be waiting on `opened` when the connection fails later.
  opened.catch(() => {});
  const sse: SseSocket = {
    socket,
    status: 0,
    head: "",
    events: [],
    retries: [],
    opened,
    closed: new Promise<void>((resolve) => socket.once("close", () => resolve())),
    isClosed: false,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
  let receivedAt = 0;
  const parser = createEventStreamParser({
    onEvent: (parsed) => {
      const event: RawEvent = { event: parsed.event, data: parsed.data, id: parsed.id, receivedAt };
      sse.events.push(event);
      options.onEvent?.(event);
    },
    onRetry: (ms) => sse.retries.push(ms),
  });
  let pending: Buffer | undefined = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    receivedAt = preciseNow();
    if (pending === undefined) return parser.feed(chunk);
    pending = Buffer.concat([pending, chunk]);
    const end = pending.indexOf("\r\n\r\n");
    if (end === -1) return;
    sse.head = pending.subarray(0, end).toString("latin1");
    sse.status = Number(/^HTTP\/1\.\d (\d{3})/.exec(sse.head)?.[1] ?? -1);
    const rest = pending.subarray(end + 4);
    pending = undefined;
    resolveOpened();
    if (rest.length > 0) parser.feed(rest);
  });
  socket.once("error", (error) => rejectOpened(error));
  socket.once("close", () => {
    sse.isClosed = true;
    parser.end();
    rejectOpened(new Error(`The connection closed before a response head: ${path}`));
  });
  const lastEventId = options.lastEventId === undefined ? "" : `Last-Event-ID: ${options.lastEventId}\r\n`;
  socket.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n${lastEventId}\r\n`);
  return sse;
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Resolves once `check()` holds; rejects with `what` after `timeoutMs`. Polls every 5 ms. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
