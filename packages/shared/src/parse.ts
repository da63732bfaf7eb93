import { RivuletError } from "./errors.js";

/** An event as the WHATWG processing model dispatches it. */
export interface ParsedEvent {
  /** The event type; `"message"` when the block had no (or an empty) `event:` field. */
  event: string;
  /** The `data:` lines joined with LF. */
  data: string;
  /** The last event ID at dispatch: sticky across blocks, `""` when none. */
  id: string;
  /** Rivulet's `meta:` field (the codec's side channel), when the block had one. */
  meta?: string;
}

export interface EventStreamHandlers {
  onEvent(event: ParsedEvent): void;
  /** A valid `retry:` field (ASCII digits only), in ms. */
  onRetry?(ms: number): void;
  /** A comment line, without the colon and one leading space. */
  onComment?(text: string): void;
}

export interface EventStreamParserOptions {
  /**
   * The last event ID to start from. A reconnecting client passes the ID it
   * already has, so events without an `id:` keep carrying it.
   * @default ""
   */
  lastEventId?: string;
  /**
   * The most text one event may take: the lines of a block (everything between
   * two blank lines, field names and comments included, line ends not), the
   * line still arriving included. Past it, `feed` throws `EVENT_TOO_LARGE` and
   * the parser drops what it held, as `end()` does. Counted in UTF-16 code
   * units (`string.length`), which are never more than the UTF-8 bytes.
   * Set it for a stream you do not trust: without it a server that never ends
   * a line makes the parser hold everything it sends.
   * @default Infinity
   */
  maxEventLength?: number;
}

export interface EventStreamParser {
  /**
   * Feeds bytes (decoded as streaming UTF-8) or already-decoded text, split anywhere.
   * @throws {RivuletError} `EVENT_TOO_LARGE` past `maxEventLength`; the events before it were dispatched.
   */
  feed(chunk: Uint8Array | string): void;
  /** End of stream: an event without its closing blank line is discarded. Resets for a new stream. */
  end(): void;
  /** The last event ID string: what to send as `Last-Event-ID` on reconnect (`""` means none). */
  readonly lastEventId: string;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;

/**
 * A streaming parser for `text/event-stream`, following WHATWG HTML §9.2.5–9.2.6.
 *
 * The hot path stays in this one file on purpose. The traps it handles:
 * - a CR that ends a chunk may be the first half of a CRLF, so a following LF
 *   at the start of the next chunk is skipped, not read as a blank line;
 * - a line split over many chunks is kept as parts and joined once, so long
 *   lines cost O(N), not O(N²);
 * - only one BOM, at the very start of the stream, is dropped, whether it came
 *   as bytes or as text; a U+FEFF anywhere else is data;
 * - a server that never ends a line or an event would make the parser hold
 *   all it sends: `maxEventLength` is counted per line and per chunk, never
 *   per character, so the bound costs the hot loop one addition a line.
 *
 * @example
 * const parser = createEventStreamParser({ onEvent: (e) => console.log(e.event, e.data) });
 * parser.feed("event: price\ndata: 1\n\n");
 */
export function createEventStreamParser(
  handlers: EventStreamHandlers,
  options: EventStreamParserOptions = {},
): EventStreamParser {
  const { onEvent, onRetry, onComment } = handlers;
  const maxEventLength = options.maxEventLength ?? Number.POSITIVE_INFINITY;
  let decoder = newDecoder();
  let atStart = true;
  let skipLF = false;
  let partial: string[] = [];
  /** The length of `partial`'s parts together. */
  let partialLength = 0;
  /** The length of the current block's complete lines: what `maxEventLength` bounds, with `partialLength`. */
  let blockLength = 0;

  let lastEventId = options.lastEventId ?? "";
  let idBuffer = lastEventId;
  let eventType = "";
  let data = "";
  let hasData = false;
  let meta: string | undefined;

  function dispatch(): void {
    lastEventId = idBuffer;
    if (hasData) {
      const event: ParsedEvent = { event: eventType === "" ? "message" : eventType, data, id: lastEventId };
      if (meta !== undefined) event.meta = meta;
      data = "";
      hasData = false;
      eventType = "";
      meta = undefined;
      onEvent(event);
      return;
    }
    eventType = "";
    meta = undefined;
  }

  /** One line, `text[start, end)`, read in place: only the value is ever copied. */
  function line(text: string, start: number, end: number): void {
    if (start === end) return dispatch();
    if (text.charCodeAt(start) === COLON) {
      if (onComment) onComment(text.slice(text.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end));
      return;
    }
    let colon = text.indexOf(":", start);
    if (colon === -1 || colon > end) colon = end;
    let from = colon + 1;
    if (from < end && text.charCodeAt(from) === SPACE) from++;
    const value = from >= end ? "" : text.slice(from, end);
    // Field names are compared by length first, then in place: no string is made for them.
    switch (colon - start) {
      case 4:
        if (text.startsWith("data", start)) {
          if (hasData) data += `\n${value}`;
          else {
            data = value;
            hasData = true;
          }
        } else if (text.startsWith("meta", start)) meta = value;
        return;
      case 5:
        if (text.startsWith("event", start)) eventType = value;
        else if (text.startsWith("retry", start) && onRetry && isDigits(value)) onRetry(Number.parseInt(value, 10));
        return;
      case 2:
        if (text.startsWith("id", start) && !value.includes("\0")) idBuffer = value;
        return;
      default:
      // Unknown fields are ignored (WHATWG 9.2.6).
    }
  }

  function feedText(text: string): void {
    let pos = 0;
    if (atStart && text.length > 0) {
      atStart = false;
      if (text.charCodeAt(0) === BOM) pos = 1;
    }
    if (skipLF && pos < text.length) {
      if (text.charCodeAt(pos) === LF) pos++;
      skipLF = false;
    }
    const length = text.length;
    let nextLF = -1;
    let nextCR = -1;
    while (pos < length) {
      if (nextLF < pos && nextLF !== -2) nextLF = indexOrNone(text, "\n", pos);
      if (nextCR < pos && nextCR !== -2) nextCR = indexOrNone(text, "\r", pos);
      const end = nextLF === -2 ? nextCR : nextCR === -2 ? nextLF : Math.min(nextLF, nextCR);
      if (end === -2) break;
      const start = pos;
      pos = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (pos === length) skipLF = true;
        else if (text.charCodeAt(pos) === LF) pos++;
      }
      // Checked before the parts are joined: a line over the limit is never made.
      const size = partialLength + end - start;
      if (size === 0) blockLength = 0;
      else if ((blockLength += size) > maxEventLength) tooLarge();
      if (partial.length > 0) {
        partial.push(text.slice(start, end));
        const joined = partial.join("");
        partial = [];
        partialLength = 0;
        line(joined, 0, joined.length);
      } else {
        line(text, start, end);
      }
    }
    if (pos < length) {
      partialLength += length - pos;
      if (blockLength + partialLength > maxEventLength) tooLarge();
      partial.push(text.slice(pos));
    }
  }

  /** Drops everything a stream left pending; the last event ID stays. */
  function reset(): void {
    decoder = newDecoder();
    atStart = true;
    skipLF = false;
    partial = [];
    partialLength = 0;
    blockLength = 0;
    idBuffer = lastEventId;
    eventType = "";
    data = "";
    hasData = false;
    meta = undefined;
  }

  function tooLarge(): never {
    reset();
    throw new RivuletError(
      "EVENT_TOO_LARGE",
      `The event stream sent an event or a line of more than ${maxEventLength} characters (the limit).`,
    );
  }

  return {
    feed(chunk) {
      if (typeof chunk === "string") feedText(chunk);
      else feedText(decoder.decode(chunk, { stream: true }));
    },
    end() {
      // A truncated UTF-8 sequence would only have become U+FFFD in the unterminated line, which is dropped anyway.
      reset();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

/** Keeps the BOM, so that bytes and text go through the same one-BOM rule in `feedText`. */
function newDecoder(): TextDecoder {
  return new TextDecoder("utf-8", { ignoreBOM: true });
}

/** `indexOf`, with -2 for "not in this chunk" so -1 can mean "not searched yet". */
function indexOrNone(text: string, search: string, from: number): number {
  const index = text.indexOf(search, from);
  return index === -1 ? -2 : index;
}

function isDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}
