import {
  END_EVENT,
  ERROR_EVENT,
  RivuletError,
  createEventStreamParser,
  toIssues,
  type AnyStream,
  type DataCodec,
  type ParsedEvent,
} from "@rivulet/shared";

export interface ConnectArgs {
  url: URL;
  init: RequestInit;
  stream: AnyStream;
  fetch: typeof fetch;
  codec: DataCodec;
  validate: boolean;
  lastEventId: string | undefined;
  /** Aborts the connection: the subscription's `close()` or the caller's signal. */
  signal: AbortSignal;
}

export interface ReceivedEvent {
  event: string;
  data: unknown;
  id: string;
}

/**
 * One connection: fetch, check the response, parse and decode its events
 * until the server's end event. Returning early (the consumer left the loop)
 * aborts the fetch, which closes the socket.
 */
export async function* connect(args: ConnectArgs): AsyncGenerator<ReceivedEvent, void, undefined> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (args.signal.aborted) return;
  args.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const headers = new Headers(args.init.headers);
    headers.set("accept", "text/event-stream");
    if (args.lastEventId) headers.set("last-event-id", args.lastEventId);
    let response: Response;
    try {
      response = await args.fetch(args.url, { ...args.init, headers, signal: controller.signal });
    } catch (cause) {
      if (controller.signal.aborted) return;
      throw new RivuletError("NETWORK_ERROR", `Could not connect to ${args.url.href}.`, { cause });
    }
    await checkResponse(response);
    if (response.status === 204 || !response.body) return;

    const queue: ParsedEvent[] = [];
    const parser = createEventStreamParser(
      { onEvent: (event) => queue.push(event) },
      args.lastEventId === undefined ? {} : { lastEventId: args.lastEventId },
    );
    const reader = response.body.getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          if (controller.signal.aborted) return;
          throw new RivuletError("NETWORK_ERROR", "The connection broke.", { cause });
        }
        if (chunk.done) {
          parser.end();
          throw new RivuletError("NETWORK_ERROR", "The stream ended before the server's end event.");
        }
        parser.feed(chunk.value);
        for (let i = 0; i < queue.length; i++) {
          // close() or the caller's signal while the consumer held an event: drop what is still queued.
          if (controller.signal.aborted) return;
          const event = queue[i] as ParsedEvent;
          if (event.event === END_EVENT) return;
          if (event.event === ERROR_EVENT) throw RivuletError.fromJSON(parseJSON(event.data));
          yield decode(event, args);
        }
        queue.length = 0;
      }
    } finally {
      // Cancelling the body (not only aborting the fetch) also ends the stream
      // when a custom `fetch` ignores `signal`; on a finished body it is a no-op.
      reader.cancel().catch(() => undefined);
    }
  } finally {
    args.signal.removeEventListener("abort", onAbort);
    // Ends the request whether we finished, failed, or the consumer left early.
    controller.abort();
  }
}

function decode(event: ParsedEvent, args: ConnectArgs): ReceivedEvent {
  const schema = args.stream.events[event.event];
  if (!schema) {
    throw new RivuletError("INVALID_EVENT", `The server sent an event "${event.event}" that the contract does not have.`);
  }
  let data: unknown;
  try {
    data = args.codec.decode(event.data, event.meta);
  } catch (cause) {
    throw new RivuletError("INVALID_EVENT", `Event "${event.event}" could not be decoded.`, { cause });
  }
  if (args.validate) {
    const result = schema.safeParse(data);
    if (!result.success) {
      throw new RivuletError("INVALID_EVENT", `Event "${event.event}" does not match the contract.`, {
        cause: result.error,
        issues: toIssues(result.error.issues),
      });
    }
    data = result.data;
  }
  return { event: event.event, data, id: event.id };
}

async function checkResponse(response: Response): Promise<void> {
  if (response.status === 204) return;
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    const body = parseJSON(text);
    const error = typeof body === "object" && body !== null && "error" in body ? body.error : undefined;
    if (typeof error === "object" && error !== null && "code" in error) throw RivuletError.fromJSON(error, response.status);
    throw new RivuletError("BAD_RESPONSE", `HTTP ${response.status}: ${text.slice(0, 200) || response.statusText}`, {
      status: response.status,
    });
  }
  const type = response.headers.get("content-type") ?? "";
  if (type.split(";")[0]?.trim().toLowerCase() !== "text/event-stream") {
    await response.body?.cancel();
    throw new RivuletError("BAD_RESPONSE", `Expected text/event-stream, got "${type}".`, { status: response.status });
  }
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
