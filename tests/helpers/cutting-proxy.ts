import net from "node:net";
import type { AddressInfo } from "node:net";
/** The same seed gives the same cuts on every run. */
export { seededRandom } from "@rivulet/example-kit/random";

/**
 * Where to cut one connection, counted in bytes of the server → client
 * direction (status line, headers, chunk framing and body alike).
 * `at`: cut after exactly this many bytes. With `after`, the cut moves on to
 * just after the first occurrence of that text that ends at or past `at`:
 * `"\r"` cuts between the CR and the LF of a CRLF, `"\r\n\r"` right after the
 * CR of a blank line (the event is complete for the parser, its LF is not).
 */
export interface Cut {
  at: number;
  after?: string;
  /** End the client's side with a TCP reset (RST) instead of a FIN. */
  reset?: boolean;
}

/** What the proxy did to one connection it cut. */
export interface CutRecord {
  connection: number;
  /** Bytes of the server → client direction the client received. */
  offset: number;
  /** Whether the cut fell in the response head (status line and headers) or in the body. */
  region: "head" | "body";
  how: "fin" | "rst";
  /** The last bytes delivered before the cut and the first ones withheld (JSON strings, for the report). */
  before: string;
  after: string;
}

export interface CuttingProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  origin: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Every cut made so far, in order. */
  readonly cuts: readonly CutRecord[];
  /** How many times a CR was held back from the LF after it (`holdAfterCRMs`). */
  readonly holds: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 that forwards bytes both ways and cuts chosen
 * connections: after the planned number of server → client bytes it delivers
 * exactly those, then destroys both sockets (a FIN, or a reset, to the client
 * once the delivered bytes are flushed; the server's side is dropped at once).
 * `plan(n)` is asked once per accepted connection, `n` counting from 0.
 *
 * With `holdAfterCRMs`, every CR going to the client is flushed on its own and
 * what follows waits that long, so the client reads a CRLF in two pieces.
 */
export async function startCuttingProxy(
  target: { host: string; port: number },
  plan: (connection: number) => Cut | undefined,
  options: { holdAfterCRMs?: number } = {},
): Promise<CuttingProxy> {
  const sockets = new Set<net.Socket>();
  const cuts: CutRecord[] = [];
  let connections = 0;
  let holds = 0;

  /** Writes to the client, split after each CR when holding; resolves once flushed (or the socket is gone). */
  const send = async (socket: net.Socket, bytes: Buffer): Promise<void> => {
    const hold = options.holdAfterCRMs;
    for (const piece of hold === undefined ? [bytes] : splitAfterCR(bytes)) {
      if (socket.destroyed) return;
      await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
      if (hold !== undefined && piece.at(-1) === 13) {
        holds++;
        await new Promise((resolve) => setTimeout(resolve, hold));
      }
    }
  };

  const server = net.createServer((client) => {
    const index = connections++;
    const cut = plan(index);
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // ECONNRESET and friends are the point of this proxy; a socket error only ends the pair.
    const dropBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", dropBoth);
    upstream.on("error", dropBoth);
    client.on("close", () => {
      sockets.delete(client);
      upstream.destroy();
    });
    // Writes to the client in order; the server's side is paused while one is in flight.
    let sending = Promise.resolve();
    upstream.on("close", () => {
      sockets.delete(upstream);
      // The server closed: pass on the rest first (end, not destroy), as a real connection would.
      sending = sending.then(() => void (client.destroyed || client.end()));
    });

    client.pipe(upstream);
    let forwarded = 0;
    // The last bytes forwarded: for patterns split over two chunks, and for the report.
    let tail = Buffer.alloc(0);
    let headEnd = -1;
    let done = false;
    upstream.on("data", (chunk: Buffer) => {
      if (done) return;
      const combined = Buffer.concat([tail, chunk]);
      const base = forwarded - tail.length;
      if (headEnd === -1) {
        const found = combined.indexOf("\r\n\r\n");
        if (found !== -1) headEnd = base + found + 4;
      }
      const at = cut === undefined ? -1 : cutPoint(cut, combined, base, forwarded);
      if (at === -1) {
        forwarded += chunk.length;
        tail = combined.subarray(-TAIL);
        upstream.pause();
        sending = sending.then(async () => {
          await send(client, chunk);
          if (!done) upstream.resume();
        });
        return;
      }
      done = true;
      const delivered = chunk.subarray(0, at);
      const offset = forwarded + at;
      cuts.push({
        connection: index,
        offset,
        region: headEnd !== -1 && offset >= headEnd ? "body" : "head",
        how: cut?.reset ? "rst" : "fin",
        before: JSON.stringify(combined.subarray(0, tail.length + at).subarray(-TAIL).toString("latin1")),
        after: JSON.stringify(chunk.subarray(at, at + TAIL).toString("latin1")),
      });
      upstream.destroy();
      client.unpipe(upstream);
      // Destroyed only once the delivered bytes are flushed to the kernel, so the client really gets them
      // (with a reset, the client's kernel may still drop what its reader has not taken yet).
      sending = sending.then(async () => {
        await send(client, delivered);
        if (client.destroyed) return;
        if (cut?.reset) client.resetAndDestroy();
        else client.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    cuts,
    get holds() {
      return holds;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const TAIL = 16;

/** Splits right after every CR: `a\r\nb\r` → `a\r`, `\nb\r`. */
function splitAfterCR(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let cr = bytes.indexOf(13); cr !== -1; cr = bytes.indexOf(13, cr + 1)) {
    pieces.push(bytes.subarray(start, cr + 1));
    start = cr + 1;
  }
  if (start < bytes.length) pieces.push(bytes.subarray(start));
  return pieces;
}

/**
 * The index in the new chunk to cut at, or -1 when the cut lies beyond it.
 * `combined` is the chunk after the last few forwarded bytes; `base` is the
 * stream offset of its first byte, `forwarded` that of the chunk's first byte.
 */
function cutPoint(cut: Cut, combined: Buffer, base: number, forwarded: number): number {
  const chunkLength = combined.length - (forwarded - base);
  if (cut.after === undefined) {
    const at = Math.max(cut.at - forwarded, 0);
    return at <= chunkLength ? at : -1;
  }
  const pattern = Buffer.from(cut.after, "latin1");
  let from = Math.max(0, cut.at - pattern.length - base);
  for (;;) {
    const found = combined.indexOf(pattern, from);
    if (found === -1) return -1;
    const end = base + found + pattern.length;
    if (end >= cut.at && end > forwarded) return end - forwarded;
    from = found + 1;
  }
}
