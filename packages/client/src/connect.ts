import { RivuletError, createEventStreamParser, type ParsedEvent } from "@rivulet/shared";
import { toLastEventIdHeader } from "@rivulet/shared/wire";
import type { EventReader } from "./dialect.js";
import { Retryable, checkResponse } from "./response.js";

/** What outlives one connection of a subscription. */
export interface Session {
  /** The last event ID string (WHATWG): sent as `Last-Event-ID`; `""` sends none. */
  lastEventId: string;
  /** The server's last `retry:` hint, in ms. */
  retryMs: number | undefined;
}

export interface ConnectArgs {
  url: URL;
  init: RequestInit;
  /** The stream's dialect: whether the server closing the response is the stream's end. */
  reader: EventReader;
  fetch: typeof fetch;
  session: Session;
  /** No bytes for this long (events or keep-alive comments) means the connection is dead. */
  idleTimeoutMs: number | false;
  /** The most an event (or a line still arriving) may take, in characters; past it, `EVENT_TOO_LARGE`. */
  maxEventBytes: number;
  /** Called once the server answered with an event stream. */
  onOpen: () => void;
  /** Aborts the connection: the subscription's `close()` or the caller's signal. */
  signal: AbortSignal;
}

/**
 * One connection: fetch, check the response, and parse its body, a chunk at a
 * time: each yield is the events one chunk completed (often hundreds), in the
 * parser's own array, which the next chunk refills; the consumer reads them,
 * decodes them and finds the stream's end (by its dialect: the end event, a
 * sentinel, an event name) before it asks for more. It ends by itself only
 * when `signal` aborts or the server closes the stream (its end by
 * `end: "close"`). Returning early (the consumer left) aborts the fetch and
 * cancels the body, which closes the socket.
 *
 * Throws `Retryable` for what another connection may fix, a `RivuletError`
 * for what it cannot (4xx, not an event stream, an event over `maxEventBytes`);
 * what the consumer throws into it (the server's error event, an event that
 * breaks the contract) closes the connection and comes out again.
 */
export async function* connect(args: ConnectArgs): AsyncGenerator<readonly ParsedEvent[], void, undefined> {
  if (args.signal.aborted) return;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  args.signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const touch = (): void => {
    if (args.idleTimeoutMs === false) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, args.idleTimeoutMs);
  };
  const broken = (message: string, cause?: unknown): Retryable =>
    new Retryable(
      new RivuletError(
        "NETWORK_ERROR",
        timedOut ? `No data for ${String(args.idleTimeoutMs)} ms: the connection is dead.` : message,
        cause === undefined ? {} : { cause },
      ),
    );

  try {
    const headers = new Headers(args.init.headers);
    headers.set("accept", "text/event-stream");
    if (args.session.lastEventId !== "") headers.set("last-event-id", toLastEventIdHeader(args.session.lastEventId));
    touch();
    let response: Response;
    try {
      response = await args.fetch(args.url, { ...args.init, headers, signal: controller.signal });
    } catch (cause) {
      if (args.signal.aborted) return;
      // Without the query: it holds the input, and whatever a caller put there (a token) stays out of messages and logs.
      throw broken(`Could not connect to ${args.url.origin}${args.url.pathname}.`, cause);
    }
    await checkResponse(response, Date.now());
    if (response.status === 204 || !response.body) return;
    args.onOpen();

    const queue: ParsedEvent[] = [];
    const parser = createEventStreamParser(
      {
        onEvent: (event) => queue.push(event),
        onRetry: (ms) => (args.session.retryMs = ms),
      },
      { lastEventId: args.session.lastEventId, maxEventLength: args.maxEventBytes },
    );
    const reader = response.body.getReader();
    // A custom fetch may ignore `signal`; cancelling the reader wakes a pending read all the same.
    const cancel = (): void => void reader.cancel().catch(() => undefined);
    controller.signal.addEventListener("abort", cancel, { once: true });
    try {
      for (;;) {
        touch();
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          if (args.signal.aborted) return;
          throw broken("The connection broke.", cause);
        }
        // The time the consumer spends on these events is not the server's silence.
        clearTimeout(idleTimer);
        if (args.signal.aborted) return;
        if (chunk.done) {
          // A partial event is dropped; the last event ID stays that of the last complete one.
          parser.end();
          args.session.lastEventId = parser.lastEventId;
          if (args.reader.endsOnClose) return;
          throw broken("The stream ended before the server's end event.");
        }
        // The parser throws only EVENT_TOO_LARGE, having dropped what it held. It is final: a server
        // that sent it once will send it again. The events this chunk completed before it still go out.
        let tooLarge: RivuletError | undefined;
        try {
          parser.feed(chunk.value);
        } catch (cause) {
          tooLarge = new RivuletError(
            "EVENT_TOO_LARGE",
            `The server sent an event or a line over maxEventBytes (${args.maxEventBytes}).`,
            { cause },
          );
        }
        args.session.lastEventId = parser.lastEventId;
        if (queue.length > 0) yield queue;
        queue.length = 0;
        if (tooLarge !== undefined) throw tooLarge;
      }
    } finally {
      controller.signal.removeEventListener("abort", cancel);
      // Cancelling the body (not only aborting the fetch) also ends the stream
      // when a custom `fetch` ignores `signal`; on a finished body it is a no-op.
      reader.cancel().catch(() => undefined);
    }
  } finally {
    clearTimeout(idleTimer);
    args.signal.removeEventListener("abort", onAbort);
    // Ends the request whether we finished, failed, or the consumer left early.
    controller.abort();
  }
}
