import { RivuletError } from "./errors.js";
import { MAX_EVENT_ID_BYTES, eventIdFits } from "./event-id.js";

/** One SSE message, before framing. */
export interface EventMessage {
  /** The `event:` field; omitted means the client's default type, `message`. */
  event?: string | undefined;
  /** Written as one `data:` line per line; CR, LF and CRLF all split lines. */
  data: string;
  /** The `id:` field: no CR, LF or NUL, at most `MAX_EVENT_ID_BYTES` of UTF-8. `""` resets the client's last event ID. */
  id?: string | undefined;
  /** Reconnection time hint in ms: a non-negative integer. */
  retry?: number | undefined;
  /** Comment lines written before the fields; clients ignore them. */
  comment?: string | undefined;
  /** Rivulet's `meta:` field: the codec's side channel (one line, no CR/LF). Other clients ignore it. */
  meta?: string | undefined;
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Frames one message as `text/event-stream`. Every field is written as
 * `name: value` (one space, so a value that starts with a space survives) and
 * the message ends with a blank line.
 *
 * @throws {RivuletError} `INVALID_FIELD` for an `event`/`id` the format cannot carry or a bad `retry`.
 * @example
 * encodeEvent({ event: "price", id: "7", data: '{"p":1}' });
 * // "event: price\nid: 7\ndata: {\"p\":1}\n\n"
 */
export function encodeEvent(message: EventMessage): string {
  let out = message.comment === undefined ? "" : encodeComment(message.comment);
  if (message.event !== undefined) {
    if (hasLineBreak(message.event)) throw invalid("event", message.event, "CR or LF");
    out += `event: ${message.event}\n`;
  }
  if (message.id !== undefined) {
    // A NUL makes clients ignore the whole field (WHATWG 9.2.6), so refuse it here.
    if (hasLineBreak(message.id) || message.id.includes("\0")) throw invalid("id", message.id, "CR, LF or NUL");
    if (!eventIdFits(message.id)) throw idTooLong(message.id);
    out += `id: ${message.id}\n`;
  }
  if (message.retry !== undefined) {
    if (!Number.isSafeInteger(message.retry) || message.retry < 0) {
      throw invalid("retry", String(message.retry), "anything but a non-negative integer");
    }
    out += `retry: ${message.retry}\n`;
  }
  if (message.meta !== undefined) {
    if (hasLineBreak(message.meta)) throw invalid("meta", message.meta, "CR or LF");
    out += `meta: ${message.meta}\n`;
  }
  return `${out}${encodeData(message.data)}\n`;
}

/** `data:` lines for a payload. JSON never holds a raw line break, so the common case is one line. */
export function encodeData(data: string): string {
  if (!hasLineBreak(data)) return `data: ${data}\n`;
  let out = "";
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return out;
}

/** Comment lines (`: text`), one per line of `text`. */
export function encodeComment(text: string): string {
  let out = "";
  for (const line of text.split(LINE_BREAK)) out += `: ${line}\n`;
  return out;
}

function hasLineBreak(value: string): boolean {
  return value.includes("\n") || value.includes("\r");
}

/** An ID the client could not send back: see event-id.ts. */
function idTooLong(id: string): RivuletError {
  return new RivuletError(
    "INVALID_FIELD",
    `An event ID may be at most ${MAX_EVENT_ID_BYTES} bytes of UTF-8, as it comes back in the Last-Event-ID header: ${JSON.stringify(id.slice(0, 40))}… is longer.`,
  );
}

function invalid(field: string, value: string, what: string): RivuletError {
  return new RivuletError("INVALID_FIELD", `SSE field "${field}" cannot contain ${what}: ${JSON.stringify(value)}`);
}
