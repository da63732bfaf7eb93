/**
 * Event IDs travel back to the server in a `Last-Event-ID` header, which
 * limits them twice: a header value is bytes, and servers and proxies cap a
 * request's headers (node: 16 KiB for all of them, then 431). So an ID is
 * sent as its UTF-8 bytes, as a browser's `EventSource` sends it, and is at
 * most {@link MAX_EVENT_ID_BYTES} long.
 */

/** The longest event ID, in UTF-8 bytes, a stream or broker accepts. */
export const MAX_EVENT_ID_BYTES = 1024;

const ASCII = /^[\x00-\x7f]*$/;

/** Whether `id` is at most {@link MAX_EVENT_ID_BYTES} long in UTF-8. */
export function eventIdFits(id: string): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: an ordinary ID needs no counting.
  return id.length * 3 <= MAX_EVENT_ID_BYTES || utf8Length(id) <= MAX_EVENT_ID_BYTES;
}

/**
 * `id` as a `Last-Event-ID` header value: one character per UTF-8 byte.
 * `fetch` takes only characters up to U+00FF in a header, and sends each as
 * one byte, so the server receives the UTF-8 bytes an `EventSource` sends.
 */
export function toLastEventIdHeader(id: string): string {
  if (ASCII.test(id)) return id;
  let value = "";
  for (const byte of new TextEncoder().encode(id)) value += String.fromCharCode(byte);
  return value;
}

/**
 * The event ID a `Last-Event-ID` header value carries. Servers hand header
 * values over one character per byte (latin1); the bytes are UTF-8, as a
 * browser and Rivulet's client send them. A value that is not UTF-8 (an older
 * client that sent a latin1 ID) is kept as it was read.
 */
export function fromLastEventIdHeader(value: string): string {
  if (ASCII.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // Not one character per byte: a runtime that decoded the header itself.
    if (code > 0xff) return value;
    bytes[i] = code;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return value;
  }
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    // A surrogate pair is one 4-byte character: 2 + 2 for its two units.
    else if (code >= 0xd800 && code <= 0xdfff) bytes += 2;
    else bytes += 3;
  }
  return bytes;
}
