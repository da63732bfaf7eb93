import http from "node:http";
import type { AddressInfo } from "node:net";

/** What a flooding response sends: a head once, then one piece again and again. */
export interface Flood {
  /** @default 200 */
  status?: number;
  /** @default "text/event-stream" */
  contentType?: string;
  /** Written first, once. */
  head: string;
  /** Written after the head, again and again, until `totalBytes` went out or the client left. */
  piece: string;
  /** The body's size, head included, if the client stays to the end. */
  totalBytes: number;
}

/** One response of a flood server, as the server saw it. */
export interface FloodResponse {
  /** Body bytes handed to node so far (`res.write` took them): what the client could have been sent. */
  written: number;
  /** Resolves once the connection closed; `left` is true when that was before the whole body was written. */
  closed: Promise<{ left: boolean }>;
}

export interface FloodServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** One per request, in order. */
  responses: FloodResponse[];
  /** Drops every connection and closes the server. */
  close(): Promise<void>;
}

/** The size of each write: large enough to flood quickly, small enough that the server holds nothing. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A server on 127.0.0.1, port 0, that answers every request with `flood`:
 * generated as it goes, one reused chunk at a time and only as fast as the
 * socket drains, so the server itself holds almost nothing however large the
 * body. It stops writing as soon as the client goes away.
 */
export async function startFloodServer(flood: Flood): Promise<FloodServer> {
  const piece = Buffer.from(flood.piece);
  const chunk = Buffer.alloc(Math.max(1, Math.floor(CHUNK_BYTES / piece.length)) * piece.length);
  for (let at = 0; at < chunk.length; at += piece.length) piece.copy(chunk, at);

  const responses: FloodResponse[] = [];
  const server = http.createServer((_req, res) => {
    let open = true;
    let finished = false;
    const record: FloodResponse = {
      written: 0,
      closed: new Promise((resolve) =>
        res.once("close", () => {
          open = false;
          resolve({ left: !finished });
        }),
      ),
    };
    responses.push(record);
    /** Resolves on `drain`, or on `close`: then the loop sees `open` false and stops. */
    const drained = (): Promise<void> =>
      new Promise((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    const pour = async (): Promise<void> => {
      res.writeHead(flood.status ?? 200, { "content-type": flood.contentType ?? "text/event-stream" });
      const head = Buffer.from(flood.head);
      record.written += head.length;
      let flowing = res.write(head);
      while (open && record.written < flood.totalBytes) {
        if (!flowing) {
          await drained();
          if (!open) return;
        }
        const part = chunk.subarray(0, Math.min(chunk.length, flood.totalBytes - record.written));
        record.written += part.length;
        flowing = res.write(part);
      }
      finished = true;
      res.end();
    };
    pour().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    responses,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
