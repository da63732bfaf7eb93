import { RivuletError, createEventStreamParser, type ParsedEvent } from "@rivulet/shared";
import { END_EVENT, ERROR_EVENT, toLastEventIdHeader, type CompiledStream } from "@rivulet/shared/wire";

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
  /** The stream, compiled for the client's codec: it decodes and checks each event. */
  compiled: CompiledStream;
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

export interface ReceivedEvent {
  event: string;
  data: unknown;
  id: string;
}

/** A failure worth another connection: the network, a dead connection, a 5xx. */
export class Retryable extends Error {
  constructor(readonly error: RivuletError) {
    super(error.message, { cause: error });
  }
}

/**
 * One connection: fetch, check the response, parse and decode its events
 * until the server's end event. Returning early (the consumer left the loop)
 * aborts the fetch and cancels the body, which closes the socket.
 *
 * Throws `Retryable` for what another connection may fix, a `RivuletError`
 * for what it cannot (4xx, not an event stream, the server's error event,
 * an event that breaks the contract, an event over `maxEventBytes`).
 */
export async function* connect(args: ConnectArgs): AsyncGenerator<ReceivedEvent, void, undefined> {
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
      throw broken(`Could not connect to ${args.url.href}.`, cause);
    }
    await checkResponse(response);
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
        for (let i = 0; i < queue.length; i++) {
          // close() or the caller's signal while the consumer held an event: drop what is still queued.
          if (args.signal.aborted) return;
          const event = queue[i] as ParsedEvent;
          if (event.event === END_EVENT) return;
          if (event.event === ERROR_EVENT) throw RivuletError.fromJSON(parseJSON(event.data));
          yield { event: event.event, data: args.compiled.decode(event.event, event.data, event.meta), id: event.id };
        }
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

/**
 * The most of an error response's body the client reads: Rivulet's JSON error body
 * is far smaller, and a larger one is not read at all, on any attempt.
 */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Refuses what is not a 200 event stream; 5xx responses are worth a retry, the rest is final. */
async function checkResponse(response: Response): Promise<void> {
  if (response.status === 204) return;
  if (!response.ok) {
    const text = await readPrefix(response, MAX_ERROR_BODY_BYTES);
    const body = text === undefined ? undefined : parseJSON(text);
    const error = typeof body === "object" && body !== null && "error" in body ? body.error : undefined;
    const detail =
      text === undefined
        ? `an error body over ${MAX_ERROR_BODY_BYTES} bytes, not read`
        : text.slice(0, 200) || response.statusText;
    const rivuletError =
      typeof error === "object" && error !== null && "code" in error
        ? RivuletError.fromJSON(error, response.status)
        : new RivuletError("BAD_RESPONSE", `HTTP ${response.status}: ${detail}`, { status: response.status });
    throw response.status >= 500 ? new Retryable(rivuletError) : rivuletError;
  }
  const type = response.headers.get("content-type") ?? "";
  if (type.split(";")[0]?.trim().toLowerCase() !== "text/event-stream") {
    await response.body?.cancel();
    throw new RivuletError("BAD_RESPONSE", `Expected text/event-stream, got "${type}".`, { status: response.status });
  }
}

/**
 * The body as text when it is at most `maxBytes`, read chunk by chunk; `undefined`
 * as soon as it is longer, and the rest is cancelled unread. A body that breaks
 * off reads as what arrived.
 */
async function readPrefix(response: Response, maxBytes: number): Promise<string | undefined> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      bytes += value.byteLength;
      if (bytes > maxBytes) return undefined;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return text;
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
