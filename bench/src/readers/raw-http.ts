import net from "node:net";

export interface RawStreamHandlers {
  /** The response head arrived. */
  onHead(status: number): void;
  /** Body bytes, with any chunked transfer coding already removed. */
  onBody(chunk: Buffer): void;
  onClose(error: Error | undefined): void;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

/**
 * The same client for every server: a bare TCP socket sending an HTTP/1.0
 * GET, so that node answers without chunked encoding and the body is the
 * event stream byte for byte. No parser, no allocation per event. A server
 * that sets `Transfer-Encoding: chunked` itself (Hono's `streamSSE` does) gets
 * its chunks unwrapped.
 */
export function openRawStream(port: number, path: string, handlers: RawStreamHandlers): net.Socket {
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  let head: Buffer | undefined = Buffer.alloc(0);
  let body: ((chunk: Buffer) => void) | undefined;
  let failure: Error | undefined;
  socket.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  socket.on("data", (chunk: Buffer) => {
    if (body) return body(chunk);
    head = head === undefined || head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf(HEAD_END);
    if (end === -1) return;
    const headText = head.toString("latin1", 0, end);
    const rest = head.subarray(end + HEAD_END.length);
    head = undefined;
    body = /\r\ntransfer-encoding:\s*chunked/i.test(headText) ? dechunker(handlers.onBody) : handlers.onBody;
    handlers.onHead(Number(headText.slice(9, 12)));
    if (rest.length > 0) body(rest);
  });
  socket.on("error", (error) => {
    failure = error;
  });
  socket.on("close", () => handlers.onClose(failure));
  return socket;
}

/** Unwraps `Transfer-Encoding: chunked`, passing the payload on as it arrives. */
function dechunker(onBody: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let remaining = 0; // payload bytes left in the current chunk
  let skip = 0; // CRLF after a chunk's payload still to drop
  let sizeLine: Buffer = Buffer.alloc(0);
  return (input) => {
    let at = 0;
    while (at < input.length) {
      if (skip > 0) {
        const n = Math.min(skip, input.length - at);
        skip -= n;
        at += n;
      } else if (remaining > 0) {
        const n = Math.min(remaining, input.length - at);
        onBody(input.subarray(at, at + n));
        remaining -= n;
        at += n;
        if (remaining === 0) skip = 2;
      } else {
        const buffered = Buffer.concat([sizeLine, input.subarray(at)]);
        const end = buffered.indexOf(CRLF);
        if (end === -1) {
          sizeLine = buffered;
          return;
        }
        remaining = parseInt(buffered.toString("latin1", 0, end), 16);
        at += end + 2 - sizeLine.length;
        sizeLine = Buffer.alloc(0);
        // The last chunk (size 0): the rest is trailers, which we ignore.
        if (remaining === 0) return;
      }
    }
  };
}
