import { RivuletError, createEventStreamParser, type ParsedEvent } from "@rivulet/shared";
import { toLastEventIdHeader } from "@rivulet/shared/wire";
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
  fetch: typeof fetch;
  session: Session;
  /** `end: "close"`: the server closing the response is the stream's normal end, not a broken connection. */
  endsOnClose: boolean;
  /** No bytes for this long (events or keep-alive comments) means the connection is dead. */
  idleTimeoutMs: number | false;
  /** The most an event (or a line still arriving) may take, in characters; past it, `EVENT_TOO_LARGE`. */
  maxEventBytes: number;
  /** Aborts the connection: the subscription's `close()`, the caller's signal, or the iteration's `return()`. */
  signal: AbortSignal;
}

/** One open event stream, read a chunk at a time. */
export interface Connection {
  /**
   * The events the next chunk completes, parsed, in order: often hundreds, or none
   * (a keep-alive, half an event). The array is the connection's own and is refilled by
   * the next call, so a caller reads it to the end before calling again. `undefined`
   * once the stream is over: closed by a server whose dialect ends on close, or `signal`
   * aborted.
   * @throws {Retryable} the connection broke, fell silent for `idleTimeoutMs`, or ended before the end event.
   * @throws {RivuletError} `EVENT_TOO_LARGE`: on the call after the one that returned the events before it.
   */
  read(): Promise<ParsedEvent[] | undefined>;
  /** Ends the request and cancels the body, which closes the socket. Calling it again does nothing. */
  close(): void;
}

/**
 * Opens one connection: fetch, then check the response. `undefined` for a
 * response with nothing to read (204, no body) or when `signal` aborted
 * first; either way nothing is left open.
 *
 * @throws {Retryable} for what another connection may fix (the network, a 5xx, a 429 that says when).
 * @throws {RivuletError} for what it cannot (4xx, not an event stream).
 */
export async function connect(args: ConnectArgs): Promise<Connection | undefined> {
  if (args.signal.aborted) return undefined;
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
  // Ends the request, whether the stream finished, failed, or the consumer left early.
  const end = (): void => {
    clearTimeout(idleTimer);
    args.signal.removeEventListener("abort", onAbort);
    controller.abort();
  };

  let response: Response;
  try {
    const headers = new Headers(args.init.headers);
    headers.set("accept", "text/event-stream");
    if (args.session.lastEventId !== "") headers.set("last-event-id", toLastEventIdHeader(args.session.lastEventId));
    touch();
    try {
      response = await args.fetch(args.url, { ...args.init, headers, signal: controller.signal });
    } catch (cause) {
      if (args.signal.aborted) {
        end();
        return undefined;
      }
      // Without the query: it holds the input, and whatever a caller put there (a token) stays out of messages and logs.
      throw broken(`Could not connect to ${args.url.origin}${args.url.pathname}.`, cause);
    }
    await checkResponse(response, Date.now());
  } catch (error) {
    end();
    throw error;
  }
  if (response.status === 204 || !response.body) {
    end();
    return undefined;
  }

  const events: ParsedEvent[] = [];
  const parser = createEventStreamParser(
    {
      onEvent: (event) => events.push(event),
      onRetry: (ms) => (args.session.retryMs = ms),
    },
    { lastEventId: args.session.lastEventId, maxEventLength: args.maxEventBytes },
  );
  const reader = response.body.getReader();
  // A custom fetch may ignore `signal`; cancelling the reader wakes a pending read all the same.
  const cancel = (): void => void reader.cancel().catch(() => undefined);
  if (controller.signal.aborted) cancel();
  else controller.signal.addEventListener("abort", cancel, { once: true });
  let tooLarge: RivuletError | undefined;

  return {
    async read() {
      // The parser threw it while feeding the chunk whose events went out last time: it is final,
      // since a server that sent it once will send it again.
      if (tooLarge !== undefined) throw tooLarge;
      events.length = 0;
      touch();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        if (args.signal.aborted) return undefined;
        throw broken("The connection broke.", cause);
      }
      // The time the consumer spends on these events is not the server's silence.
      clearTimeout(idleTimer);
      if (args.signal.aborted) return undefined;
      if (chunk.done) {
        // A partial event is dropped; the last event ID stays that of the last complete one.
        parser.end();
        args.session.lastEventId = parser.lastEventId;
        if (args.endsOnClose) return undefined;
        throw broken("The stream ended before the server's end event.");
      }
      // The parser throws only EVENT_TOO_LARGE, having dropped what it held; the events this chunk
      // completed before it still go out.
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
      return events;
    },
    close() {
      controller.signal.removeEventListener("abort", cancel);
      // Cancelling the body (not only aborting the fetch) also ends the stream
      // when a custom `fetch` ignores `signal`; on a finished body it is a no-op.
      reader.cancel().catch(() => undefined);
      end();
    },
  };
}
