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
/** The first letters of `data:`, `event:` and `id:`, which the LF-only loop tells apart in place. */
const LOWER_A = 97;
const LOWER_D = 100;
const LOWER_E = 101;
const LOWER_I = 105;
const LOWER_N = 110;
const LOWER_T = 116;
const LOWER_V = 118;
/** One options object for every `decode` call of every parser: it is only read. */
const STREAM: TextDecodeOptions = Object.freeze({ stream: true });

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
 * The steps are functions of the module over a plain state object, not
 * closures made per parser: V8 keeps a closure's optimised code only while a
 * closure holding it lives, so every new parser (one per connection) would
 * run its first thousands of lines unoptimised, and the optimiser would
 * compile them all again. For the same reason one state that is never fed
 * lives as long as the module (see `shapeKeeper`).
 *
 * @example
 * const parser = createEventStreamParser({ onEvent: (e) => console.log(e.event, e.data) });
 * parser.feed("event: price\ndata: 1\n\n");
 */
export function createEventStreamParser(
  handlers: EventStreamHandlers,
  options: EventStreamParserOptions = {},
): EventStreamParser {
  shapeKeeper ??= newState({ onEvent: ignoreEvent }, {});
  const state = newState(handlers, options);
  return {
    feed(chunk) {
      feedText(state, typeof chunk === "string" ? chunk : state.decoder.decode(chunk, STREAM));
    },
    end() {
      // A truncated UTF-8 sequence would only have become U+FFFD in the unterminated line, which is dropped anyway.
      reset(state);
    },
    get lastEventId() {
      return state.lastEventId;
    },
  };
}

/**
 * A state that is never fed, made with the first parser: it keeps the states'
 * shape alive. V8 keeps an object's hidden class (map) only while an object
 * with it lives, and the optimised code of every step below checks states
 * against it, holding it weakly: when the last parser was collected (a stream
 * ended, a client between two connections) the class died with it, that code
 * was thrown away (`--trace-deopt`: "weak objects") and the next parser ran
 * its first megabytes unoptimised while V8 compiled every step again.
 */
let shapeKeeper: ParserState | undefined;

function ignoreEvent(): void {}

/** Every state is made by this one literal, so that all of them, the keeper's too, share one hidden class. */
function newState(handlers: EventStreamHandlers, options: EventStreamParserOptions): ParserState {
  const lastEventId = options.lastEventId ?? "";
  return {
    onEvent: handlers.onEvent,
    onRetry: handlers.onRetry,
    onComment: handlers.onComment,
    maxEventLength: options.maxEventLength ?? Number.POSITIVE_INFINITY,
    decoder: newDecoder(),
    atStart: true,
    skipLF: false,
    partial: [],
    partialLength: 0,
    blockLength: 0,
    lastEventId,
    idBuffer: lastEventId,
    eventType: "",
    lastType: "",
    data: "",
    hasData: false,
    meta: undefined,
  };
}

/** One parser's handlers, options and progress through its stream. */
interface ParserState {
  readonly onEvent: (event: ParsedEvent) => void;
  readonly onRetry: ((ms: number) => void) | undefined;
  readonly onComment: ((text: string) => void) | undefined;
  readonly maxEventLength: number;
  decoder: TextDecoder;
  atStart: boolean;
  skipLF: boolean;
  /** The parts of a line begun in earlier chunks. */
  partial: string[];
  /** The length of `partial`'s parts together. */
  partialLength: number;
  /** The length of the current block's complete lines: what `maxEventLength` bounds, with `partialLength`. */
  blockLength: number;
  lastEventId: string;
  idBuffer: string;
  eventType: string;
  /** The last `event:` value read, given again for the same name: a stream of few types makes few strings. */
  lastType: string;
  data: string;
  hasData: boolean;
  meta: string | undefined;
}

function feedText(p: ParserState, text: string): void {
  const length = text.length;
  let pos = 0;
  if (p.atStart && length > 0) {
    p.atStart = false;
    if (text.charCodeAt(0) === BOM) pos = 1;
  }
  if (p.skipLF && pos < length) {
    if (text.charCodeAt(pos) === LF) pos++;
    p.skipLF = false;
  }
  // One scan a chunk for a CR: a chunk without one (the usual stream) is read by the LF-only loop.
  const cr = text.indexOf("\r", pos);
  if (p.partial.length > 0) pos = finishPartial(p, text, pos, cr);
  if (pos < length) pos = cr === -1 ? linesLF(p, text, pos) : linesAny(p, text, pos, cr);
  if (pos < length) {
    p.partialLength += length - pos;
    if (p.blockLength + p.partialLength > p.maxEventLength) tooLarge(p);
    p.partial.push(text.slice(pos));
  }
}

/**
 * Ends the line begun in earlier chunks at `text`'s first line end at or
 * after `pos` (`cr`: the chunk's first CR), if it has one; returns where
 * reading goes on, `text.length` when the whole chunk was kept.
 */
function finishPartial(p: ParserState, text: string, pos: number, cr: number): number {
  let end = text.indexOf("\n", pos);
  if (cr !== -1 && (end === -1 || cr < end)) end = cr;
  if (end === -1) {
    // No line end: kept whole, with no slice and no second scan.
    p.partialLength += text.length - pos;
    if (p.blockLength + p.partialLength > p.maxEventLength) tooLarge(p);
    p.partial.push(pos === 0 ? text : text.slice(pos));
    return text.length;
  }
  // Checked before the parts are joined: a line over the limit is never made.
  if ((p.blockLength += p.partialLength + end - pos) > p.maxEventLength) tooLarge(p);
  p.partial.push(text.slice(pos, end));
  const joined = p.partial.join("");
  p.partial = [];
  p.partialLength = 0;
  const next = lineEnd(p, text, end);
  line(p, joined, 0, joined.length);
  return next;
}

/**
 * The lines of a chunk that holds no CR: the usual stream. `data:`/`event:`/
 * `id:` are told apart by their letters in place (each read checked against
 * the text's length: an out-of-range `charCodeAt` would make V8 compile every
 * call of it as a slow one), and each finds its line end the cheapest way:
 * - a `data:` line with one `indexOf`; right before the blank line it is
 *   dispatched at once, without a round for the blank line;
 * - an `event:` line that names the type of the last one is compared in
 *   place and its end known from it: a stream of few types searches for none;
 * - an `id:` line (short) is read in place, its end and any NUL in one pass,
 *   where `indexOf` and `includes` would cost ≈ 250 instructions a call each.
 * Every other line goes to `line` after one `indexOf`.
 */
function linesLF(p: ParserState, text: string, pos: number): number {
  const length = text.length;
  const max = p.maxEventLength;
  while (pos < length) {
    const first = text.charCodeAt(pos);
    if (first === LF) {
      p.blockLength = 0;
      dispatch(p);
      pos++;
      continue;
    }
    let end: number;
    if (
      first === LOWER_D &&
      pos + 4 < length &&
      text.charCodeAt(pos + 1) === LOWER_A &&
      text.charCodeAt(pos + 2) === LOWER_T &&
      text.charCodeAt(pos + 3) === LOWER_A &&
      text.charCodeAt(pos + 4) === COLON
    ) {
      end = text.indexOf("\n", pos + 5);
      if (end === -1) break;
      if ((p.blockLength += end - pos) > max) tooLarge(p);
      const value = valueOf(text, pos + 5, end);
      if (!p.hasData && end + 1 < length && text.charCodeAt(end + 1) === LF) {
        p.blockLength = 0;
        dispatchData(p, value);
        pos = end + 2;
        continue;
      }
      addData(p, value);
    } else if (
      first === LOWER_E &&
      pos + 6 < length &&
      text.charCodeAt(pos + 1) === LOWER_V &&
      text.charCodeAt(pos + 2) === LOWER_E &&
      text.charCodeAt(pos + 3) === LOWER_N &&
      text.charCodeAt(pos + 4) === LOWER_T &&
      text.charCodeAt(pos + 5) === COLON
    ) {
      const from = text.charCodeAt(pos + 6) === SPACE ? pos + 7 : pos + 6;
      const last = p.lastType;
      // `last` holds no LF, so an LF right after a match of it is this line's end.
      end = from + last.length;
      const same = end < length && text.charCodeAt(end) === LF && sameText(text, from, last);
      if (!same) {
        end = text.indexOf("\n", from);
        if (end === -1) break;
      }
      if ((p.blockLength += end - pos) > max) tooLarge(p);
      p.eventType = same ? last : (p.lastType = text.slice(from, end));
    } else if (first === LOWER_I && pos + 3 < length && text.charCodeAt(pos + 1) === LOWER_D && text.charCodeAt(pos + 2) === COLON) {
      const from = text.charCodeAt(pos + 3) === SPACE ? pos + 4 : pos + 3;
      let nul = false;
      end = from;
      for (let code = 0; end < length && (code = text.charCodeAt(end)) !== LF; end++) if (code === 0) nul = true;
      if (end === length) break;
      if ((p.blockLength += end - pos) > max) tooLarge(p);
      if (!nul) p.idBuffer = from === end ? "" : text.slice(from, end);
    } else {
      end = text.indexOf("\n", pos);
      if (end === -1) break;
      if ((p.blockLength += end - pos) > max) tooLarge(p);
      line(p, text, pos, end);
    }
    pos = end + 1;
  }
  return pos;
}

/** The lines of a chunk that holds a CR (the first at `cr`): each ends at CR, LF or CRLF, whichever comes first. */
function linesAny(p: ParserState, text: string, pos: number, cr: number): number {
  const length = text.length;
  let nextLF = -1;
  let nextCR = cr;
  while (pos < length) {
    if (nextLF < pos && nextLF !== -2) nextLF = indexOrNone(text, "\n", pos);
    if (nextCR < pos && nextCR !== -2) nextCR = indexOrNone(text, "\r", pos);
    const end = nextLF === -2 ? nextCR : nextCR === -2 ? nextLF : Math.min(nextLF, nextCR);
    if (end === -2) break;
    const start = pos;
    pos = lineEnd(p, text, end);
    const size = end - start;
    if (size === 0) p.blockLength = 0;
    else if ((p.blockLength += size) > p.maxEventLength) tooLarge(p);
    line(p, text, start, end);
  }
  return pos;
}

/** Where reading goes on after the line end at `end`: past a CRLF; a CR that ends the chunk may yet be one. */
function lineEnd(p: ParserState, text: string, end: number): number {
  const next = end + 1;
  if (text.charCodeAt(end) === CR) {
    if (next === text.length) p.skipLF = true;
    else if (text.charCodeAt(next) === LF) return next + 1;
  }
  return next;
}

/** One line, `text[start, end)`, read in place: only the value is ever copied. */
function line(p: ParserState, text: string, start: number, end: number): void {
  if (start === end) return dispatch(p);
  if (text.charCodeAt(start) === COLON) {
    const onComment = p.onComment;
    if (onComment) onComment(text.slice(text.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end));
    return;
  }
  let colon = text.indexOf(":", start);
  if (colon === -1 || colon > end) colon = end;
  // Field names are compared by length first, then in place: no string is made for them.
  switch (colon - start) {
    case 4:
      if (text.startsWith("data", start)) addData(p, valueOf(text, colon + 1, end));
      else if (text.startsWith("meta", start)) p.meta = valueOf(text, colon + 1, end);
      return;
    case 5:
      if (text.startsWith("event", start)) p.eventType = typeOf(p, text, colon + 1, end);
      else if (text.startsWith("retry", start)) {
        const onRetry = p.onRetry;
        const value = valueOf(text, colon + 1, end);
        if (onRetry && isDigits(value)) onRetry(Number.parseInt(value, 10));
      }
      return;
    case 2:
      if (text.startsWith("id", start)) setId(p, valueOf(text, colon + 1, end));
      return;
    default:
    // Unknown fields are ignored (WHATWG 9.2.6).
  }
}

function dispatch(p: ParserState): void {
  if (p.hasData) {
    const data = p.data;
    p.data = "";
    p.hasData = false;
    dispatchData(p, data);
  } else {
    // A block without data is no event (WHATWG 9.2.6), but it ends all the same.
    p.lastEventId = p.idBuffer;
    p.eventType = "";
    p.meta = undefined;
  }
}

/** Dispatches the block with `data`, given, not kept in the state: a one-line event stores none (each store a write barrier). */
function dispatchData(p: ParserState, data: string): void {
  const id = (p.lastEventId = p.idBuffer);
  const type = p.eventType;
  const meta = p.meta;
  p.eventType = "";
  p.meta = undefined;
  const event: ParsedEvent = { event: type === "" ? "message" : type, data, id };
  if (meta !== undefined) event.meta = meta;
  // Through `call`, with no receiver, as the handler was given. Called directly, V8 would inline this
  // parser's handler into the hot loop, and the loop's optimised code would be thrown away when the
  // handler (one closure per connection) is collected; `call`'s feedback names no handler.
  p.onEvent.call(undefined, event);
}

function addData(p: ParserState, value: string): void {
  if (p.hasData) p.data += `\n${value}`;
  else {
    p.data = value;
    p.hasData = true;
  }
}

/** An `event:` value, `text[from, end)` less one leading space: the last one again when it is the same. */
function typeOf(p: ParserState, text: string, from: number, end: number): string {
  if (from < end && text.charCodeAt(from) === SPACE) from++;
  const last = p.lastType;
  if (end - from === last.length && sameText(text, from, last)) return last;
  return (p.lastType = text.slice(from, end));
}

/** Whether `text` holds `short` at `from` (the caller has checked it fits): compared in place, for the few characters of a type. */
function sameText(text: string, from: number, short: string): boolean {
  for (let i = 0; i < short.length; i++) if (text.charCodeAt(from + i) !== short.charCodeAt(i)) return false;
  return true;
}

function setId(p: ParserState, value: string): void {
  if (!value.includes("\0")) p.idBuffer = value;
}

/** Drops everything a stream left pending; the last event ID stays. */
function reset(p: ParserState): void {
  p.decoder = newDecoder();
  p.atStart = true;
  p.skipLF = false;
  p.partial = [];
  p.partialLength = 0;
  p.blockLength = 0;
  p.idBuffer = p.lastEventId;
  p.eventType = "";
  p.data = "";
  p.hasData = false;
  p.meta = undefined;
}

function tooLarge(p: ParserState): never {
  reset(p);
  throw new RivuletError(
    "EVENT_TOO_LARGE",
    `The event stream sent an event or a line of more than ${p.maxEventLength} characters (the limit).`,
  );
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
