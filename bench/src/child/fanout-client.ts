/**
 * Entry of the fan-out client child: holds thousands of raw SSE connections
 * and records, for every event on the sampled ones, its arrival time minus
 * the `sentAt` the server put in it (both on the machine's monotonic clock).
 *
 * The client must not be what is measured. Reading 10,000 sockets per
 * publish would take it longer than the server takes to write them, so
 * latency is sampled on a few hundred connections spread evenly over the
 * others, which stay paused (the kernel holds their few KB) until the round
 * is over and are then drained, to check that every event reached every
 * connection. Sockets read into one shared buffer (`onread`: no Buffer or
 * stream event per read) and events are scanned as bytes.
 */
import net from "node:net";
import { monoMs, sleep } from "../lib/clock.js";
import { serveIpc } from "../lib/ipc.js";
import { quantileOfSorted } from "../lib/stats.js";
import type { FanoutClientApi, LatencyRound } from "./fanout-api.js";

const MARKER = Buffer.from('"sentAt":');
const BLANK_LINE = Buffer.from("\n\n");
const HEAD_END = Buffer.from("\r\n\r\n");
const COMMA = 44;
const BRACE = 125;

interface Connection {
  socket: net.Socket;
  sampled: boolean;
}

const connections: Connection[] = [];
const readBuffer = Buffer.alloc(64 * 1024);
let samples = new Float64Array(0);
let sampled = 0;
let delivered = 0;

/** Counts every complete event in `data` (it ends with a blank line), and records latencies of sampled ones. */
function record(data: Buffer, at: number, connection: Connection): void {
  let from = data.indexOf(MARKER);
  while (from !== -1) {
    const start = from + MARKER.length;
    let end = start;
    while (end < data.length && data[end] !== COMMA && data[end] !== BRACE) end++;
    delivered++;
    if (connection.sampled) {
      if (sampled < samples.length) samples[sampled] = at - Number(data.toString("latin1", start, end));
      sampled++;
    }
    from = data.indexOf(MARKER, end);
  }
}

/** One connection: an HTTP/1.0 GET, then whole events (`\n\n`) are recorded as they complete. */
function open(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let connection: Connection | undefined;
    // Bytes of an unfinished head or event, copied out of the shared buffer.
    let tail: Buffer | undefined;
    const fail = (error: Error): false => {
      reject(error);
      socket.destroy();
      return false;
    };
    const onRead = (length: number, buffer: Buffer): boolean => {
      const at = monoMs();
      let data = buffer.subarray(0, length);
      if (tail) {
        data = Buffer.concat([tail, data]);
        tail = undefined;
      }
      if (!connection) {
        const end = data.indexOf(HEAD_END);
        if (end === -1) {
          tail = Buffer.from(data);
          return true;
        }
        const head = data.toString("latin1", 0, end);
        if (!/^HTTP\/1\.[01] 200/.test(head)) return fail(new Error(head.split("\r\n")[0]));
        if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return fail(new Error("the fan-out reader does not take chunked responses"));
        connection = { socket, sampled: true };
        connections.push(connection);
        resolve();
        data = data.subarray(end + HEAD_END.length);
      }
      const last = data.lastIndexOf(BLANK_LINE);
      if (last === -1) {
        if (data.length > 0) tail = Buffer.from(data);
        return true;
      }
      record(data.subarray(0, last + 2), at, connection);
      if (last + 2 < data.length) tail = Buffer.from(data.subarray(last + 2));
      return true;
    };
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true, onread: { buffer: readBuffer, callback: onRead } });
    socket.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    socket.on("error", () => {});
    socket.on("close", () => {
      const at = connection ? connections.indexOf(connection) : -1;
      if (at !== -1) connections.splice(at, 1);
      if (!connection) reject(new Error("closed before the response head"));
    });
  });
}

async function waitFor(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && monoMs() < deadline) await sleep(5);
}

const sampledCount = (): number => connections.filter((connection) => connection.sampled).length;
let expectedPerConnection = 0;

const api: FanoutClientApi = {
  async connect({ port, path, count, concurrency }) {
    const startedAt = monoMs();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        next++;
        await open(port, path);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { open: connections.length, ms: monoMs() - startedAt };
  },
  sample({ count }) {
    const n = connections.length;
    const k = Math.min(count, n);
    connections.forEach((connection, i) => {
      // Exactly k connections, evenly spread over the connection order (which is the server's write order).
      connection.sampled = Math.floor((i * k) / n) !== Math.floor(((i - 1) * k) / n);
      if (connection.sampled) connection.socket.resume();
      else connection.socket.pause();
    });
    return sampledCount();
  },
  startRound({ publishes }) {
    expectedPerConnection = publishes;
    samples = new Float64Array(publishes * sampledCount());
    sampled = 0;
    delivered = 0;
  },
  async endRound({ graceMs }) {
    const expected = expectedPerConnection * connections.length;
    await waitFor(() => sampled >= samples.length, monoMs() + graceMs);
    const sorted = samples.subarray(0, Math.min(sampled, samples.length)).sort();
    const round: LatencyRound = {
      p50: quantileOfSorted(sorted, 0.5),
      p99: quantileOfSorted(sorted, 0.99),
      max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
      received: 0,
      expected,
      samples: sorted.length,
    };
    const paused = connections.filter((connection) => !connection.sampled);
    for (const connection of paused) connection.socket.resume();
    await waitFor(() => delivered >= expected, monoMs() + graceMs);
    for (const connection of paused) connection.socket.pause();
    round.received = delivered;
    return round;
  },
  async closeAll() {
    const closing = connections.map(({ socket }) => new Promise((resolve) => socket.once("close", resolve)));
    for (const { socket } of connections) socket.destroy();
    await Promise.all(closing);
  },
};

serveIpc(api, {});
