import { RivuletError, type AnyStream, type ParsedEvent } from "@rivulet/shared";
import { END_EVENT, ERROR_EVENT, type EventDecoder } from "@rivulet/shared/wire";
import { parseJSON, upstreamError } from "./response.js";

/** One event as the loop delivers it. */
export interface ReceivedEvent {
  event: string;
  data: unknown;
  id: string;
}

/** `read`'s answer for an event the stream ignores (`unknownEvents: "ignore"`). */
export const SKIP: unique symbol = Symbol("skip");
/** `read`'s answer for the stream's normal end that is not itself delivered (`rivulet:end`, a sentinel). */
export const END: unique symbol = Symbol("end");

/**
 * How the client reads one stream's events, by the dialect its contract
 * declares (docs/foreign-endpoints.md): what ends it, what is an error, what
 * is skipped. Made once per stream, with its decoder.
 */
export interface EventReader {
  /**
   * One parsed event: the event to deliver, `SKIP` or `END`.
   * @throws {RivuletError} the server's error event (`rivulet:error`, or the contract's `errorEvent`);
   * `INVALID_EVENT` for an event that breaks the contract.
   */
  read(event: ParsedEvent): ReceivedEvent | typeof SKIP | typeof END;
  /** `end: { event }` for an event the contract lists: it is delivered, then the stream ends. */
  readonly endEvent: string | undefined;
  /** `end: "close"`: the server closing the response is the normal end, not a broken connection. */
  readonly endsOnClose: boolean;
}

export function createEventReader(decoder: EventDecoder): EventReader {
  const stream: AnyStream = decoder.stream;
  const { end, errorEvent } = stream;
  const endData = typeof end === "object" && "data" in end ? end.data : undefined;
  const endName = typeof end === "object" && "event" in end ? end.event : undefined;
  const listed = (name: string): boolean => Object.hasOwn(stream.events, name);
  // An end event the contract does not list has no schema to decode it with: it only ends the stream.
  const endEvent = endName !== undefined && listed(endName) ? endName : undefined;
  const ignoreUnknown = stream.unknownEvents === "ignore";
  // Rivulet's own dialect skips the lookup: `decode` refuses an unknown name with INVALID_EVENT itself.
  const screen = ignoreUnknown || (endName !== undefined && endEvent === undefined);

  return {
    endEvent,
    endsOnClose: end === "close",
    read(event) {
      // `rivulet:` names are reserved, so whatever the dialect, only a Rivulet server sends these two.
      if (event.event === END_EVENT) return END;
      if (event.event === ERROR_EVENT) throw RivuletError.fromJSON(parseJSON(event.data));
      if (event.event === errorEvent) throw upstreamError(event.event, event.data);
      // The sentinel is not data of the stream's type: it is neither decoded nor delivered.
      if (event.data === endData) return END;
      if (screen && !listed(event.event)) {
        if (event.event === endName) return END;
        if (ignoreUnknown) return SKIP;
      }
      return { event: event.event, data: decoder.decode(event.event, event.data, event.meta), id: event.id };
    },
  };
}
