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
const D = 100;
const E = 101;
const I = 105;

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
  return new StreamParser(handlers, options);
}

/**
 * The parser's state and steps as a class, not closures: its methods are
 * compiled once for every parser, where closures made per parser (one per
 * connection) would each be optimised again.
 */
class StreamParser implements EventStreamParser {
  readonly #onEvent: (event: ParsedEvent) => void;
  readonly #onRetry: ((ms: number) => void) | undefined;
  readonly #onComment: ((text: string) => void) | undefined;
  readonly #maxEventLength: number;
  #decoder = newDecoder();
  #atStart = true;
  #skipLF = false;
  #partial: string[] = [];
  /** The length of `#partial`'s parts together. */
  #partialLength = 0;
  /** The length of the current block's complete lines: what `maxEventLength` bounds, with `#partialLength`. */
  #blockLength = 0;
  #lastEventId: string;
  #idBuffer: string;
  #eventType = "";
  /** The last `event:` value read, given again for the same name: a stream of few types makes few strings. */
  #lastType = "";
  #data = "";
  #hasData = false;
  #meta: string | undefined = undefined;

  constructor(handlers: EventStreamHandlers, options: EventStreamParserOptions) {
    this.#onEvent = handlers.onEvent;
    this.#onRetry = handlers.onRetry;
    this.#onComment = handlers.onComment;
    this.#maxEventLength = options.maxEventLength ?? Number.POSITIVE_INFINITY;
    this.#lastEventId = options.lastEventId ?? "";
    this.#idBuffer = this.#lastEventId;
  }

  feed(chunk: Uint8Array | string): void {
    this.#feedText(typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    // A truncated UTF-8 sequence would only have become U+FFFD in the unterminated line, which is dropped anyway.
    this.#reset();
  }

  get lastEventId(): string {
    return this.#lastEventId;
  }

  #dispatch(): void {
    this.#lastEventId = this.#idBuffer;
    const type = this.#eventType;
    const meta = this.#meta;
    this.#eventType = "";
    this.#meta = undefined;
    if (!this.#hasData) return;
    const event: ParsedEvent = { event: type === "" ? "message" : type, data: this.#data, id: this.#lastEventId };
    if (meta !== undefined) event.meta = meta;
    this.#data = "";
    this.#hasData = false;
    // Called as a function, as the handler was given: not as a method of the parser.
    const onEvent = this.#onEvent;
    onEvent(event);
  }

  #feedText(text: string): void {
    let pos = 0;
    if (this.#atStart && text.length > 0) {
      this.#atStart = false;
      if (text.charCodeAt(0) === BOM) pos = 1;
    }
    if (this.#skipLF && pos < text.length) {
      if (text.charCodeAt(pos) === LF) pos++;
      this.#skipLF = false;
    }
    // A line begun in an earlier chunk is finished first; the rest of the chunk then starts on a line of its own.
    if (this.#partial.length > 0) pos = this.#finishPartial(text, pos);
    if (pos < text.length) pos = text.indexOf("\r", pos) === -1 ? this.#linesLF(text, pos) : this.#linesAny(text, pos);
    if (pos < text.length) {
      this.#partialLength += text.length - pos;
      if (this.#blockLength + this.#partialLength > this.#maxEventLength) this.#tooLarge();
      this.#partial.push(text.slice(pos));
    }
  }

  /** Ends the pending line at `text`'s first line end at or after `pos`, if it has one; returns where reading goes on. */
  #finishPartial(text: string, pos: number): number {
    // The first CR is looked for only before the first LF: a scan of the whole chunk is left to `#feedText`.
    let end = text.indexOf("\n", pos);
    if (end === -1) end = text.indexOf("\r", pos);
    else if (text.lastIndexOf("\r", end) >= pos) end = text.indexOf("\r", pos);
    if (end === -1) return pos;
    const next = this.#lineEnd(text, end);
    // Checked before the parts are joined: a line over the limit is never made.
    if ((this.#blockLength += this.#partialLength + end - pos) > this.#maxEventLength) this.#tooLarge();
    this.#partial.push(text.slice(pos, end));
    const joined = this.#partial.join("");
    this.#partial = [];
    this.#partialLength = 0;
    this.#line(joined, 0, joined.length);
    return next;
  }

  /**
   * The lines of a chunk that holds no CR: the usual stream. One `indexOf` a
   * line, the common fields told apart by their first characters, and a
   * `data:` line right before the blank line dispatched at once.
   */
  #linesLF(text: string, pos: number): number {
    const max = this.#maxEventLength;
    let end = text.indexOf("\n", pos);
    while (end !== -1) {
      const size = end - pos;
      if (size === 0) {
        this.#blockLength = 0;
        this.#dispatch();
      } else {
        if ((this.#blockLength += size) > max) this.#tooLarge();
        const first = text.charCodeAt(pos);
        if (first === D && text.startsWith("data:", pos)) {
          const value = valueOf(text, pos + 5, end);
          if (!this.#hasData && end + 1 < text.length && text.charCodeAt(end + 1) === LF) {
            // A one-line event whole in this chunk: dispatched without a round for its blank line.
            this.#blockLength = 0;
            this.#data = value;
            this.#hasData = true;
            this.#dispatch();
            pos = end + 2;
            end = text.indexOf("\n", pos);
            continue;
          }
          this.#addData(value);
        } else if (first === E && text.startsWith("event:", pos)) {
          this.#eventType = this.#typeOf(text, pos + 6, end);
        } else if (first === I && text.startsWith("id:", pos)) {
          this.#setId(valueOf(text, pos + 3, end));
        } else {
          this.#line(text, pos, end);
        }
      }
      pos = end + 1;
      end = text.indexOf("\n", pos);
    }
    return pos;
  }

  /** The lines of a chunk that holds a CR: each ends at CR, LF or CRLF, whichever comes first. */
  #linesAny(text: string, pos: number): number {
    const length = text.length;
    let nextLF = -1;
    let nextCR = -1;
    while (pos < length) {
      if (nextLF < pos && nextLF !== -2) nextLF = indexOrNone(text, "\n", pos);
      if (nextCR < pos && nextCR !== -2) nextCR = indexOrNone(text, "\r", pos);
      const end = nextLF === -2 ? nextCR : nextCR === -2 ? nextLF : Math.min(nextLF, nextCR);
      if (end === -2) break;
      const start = pos;
      pos = this.#lineEnd(text, end);
      const size = end - start;
      if (size === 0) this.#blockLength = 0;
      else if ((this.#blockLength += size) > this.#maxEventLength) this.#tooLarge();
      this.#line(text, start, end);
    }
    return pos;
  }

  /** Where reading goes on after the line end at `end`: past a CRLF; a CR that ends the chunk may yet be one. */
  #lineEnd(text: string, end: number): number {
    const next = end + 1;
    if (text.charCodeAt(end) === CR) {
      if (next === text.length) this.#skipLF = true;
      else if (text.charCodeAt(next) === LF) return next + 1;
    }
    return next;
  }

  /** One line, `text[start, end)`, read in place: only the value is ever copied. */
  #line(text: string, start: number, end: number): void {
    if (start === end) return this.#dispatch();
    if (text.charCodeAt(start) === COLON) {
      const onComment = this.#onComment;
      if (onComment) onComment(text.slice(text.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end));
      return;
    }
    let colon = text.indexOf(":", start);
    if (colon === -1 || colon > end) colon = end;
    // Field names are compared by length first, then in place: no string is made for them.
    switch (colon - start) {
      case 4:
        if (text.startsWith("data", start)) this.#addData(valueOf(text, colon + 1, end));
        else if (text.startsWith("meta", start)) this.#meta = valueOf(text, colon + 1, end);
        return;
      case 5:
        if (text.startsWith("event", start)) this.#eventType = this.#typeOf(text, colon + 1, end);
        else if (text.startsWith("retry", start)) {
          const onRetry = this.#onRetry;
          const value = valueOf(text, colon + 1, end);
          if (onRetry && isDigits(value)) onRetry(Number.parseInt(value, 10));
        }
        return;
      case 2:
        if (text.startsWith("id", start)) this.#setId(valueOf(text, colon + 1, end));
        return;
      default:
      // Unknown fields are ignored (WHATWG 9.2.6).
    }
  }

  /** An `event:` value, `text[from, end)` less one leading space: the last one again when it is the same. */
  #typeOf(text: string, from: number, end: number): string {
    if (from < end && text.charCodeAt(from) === SPACE) from++;
    const last = this.#lastType;
    if (end - from === last.length && text.startsWith(last, from)) return last;
    return (this.#lastType = text.slice(from, end));
  }

  #addData(value: string): void {
    if (this.#hasData) this.#data += `\n${value}`;
    else {
      this.#data = value;
      this.#hasData = true;
    }
  }

  #setId(value: string): void {
    if (!value.includes("\0")) this.#idBuffer = value;
  }

  /** Drops everything a stream left pending; the last event ID stays. */
  #reset(): void {
    this.#decoder = newDecoder();
    this.#atStart = true;
    this.#skipLF = false;
    this.#partial = [];
    this.#partialLength = 0;
    this.#blockLength = 0;
    this.#idBuffer = this.#lastEventId;
    this.#eventType = "";
    this.#data = "";
    this.#hasData = false;
    this.#meta = undefined;
  }

  #tooLarge(): never {
    this.#reset();
    throw new RivuletError(
      "EVENT_TOO_LARGE",
      `The event stream sent an event or a line of more than ${this.#maxEventLength} characters (the limit).`,
    );
  }
}

/** A field's value, `text[from, end)` less one leading space. */
function valueOf(text: string, from: number, end: number): string {
  if (from < end && text.charCodeAt(from) === SPACE) from++;
  return from >= end ? "" : text.slice(from, end);
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
