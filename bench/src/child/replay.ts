/**
 * Entry of the replay server child (see replay-api.ts). Its recordings come from the emit contender's
 * server started in this process, read over a loopback socket: the bytes the emitting server child of
 * the throughput scenario writes, which the scenario checks before it uses them.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import { rivuletEmit } from "../contenders/rivulet-emit.js";
import { readStreamInput, streamPath } from "../contenders/types.js";
import { drained, listen } from "../contenders/node-io.js";
import { serveIpc } from "../lib/ipc.js";
import type { ReplayApi, ReplayInfo } from "./replay-api.js";

/** Large writes: the body goes out in few syscalls, so the server costs next to nothing per event. */
const CHUNK_BYTES = 256 * 1024;

/** Headers of the recorded response that describe the body's transport, set here by node again. */
const TRANSPORT_HEADERS = new Set(["connection", "content-length", "date", "keep-alive", "transfer-encoding"]);

interface Recorded {
  headers: Record<string, string>;
  body: Buffer;
}

/** By `${n} ${size}`: a client may spell the query otherwise than `streamPath` does. */
const recordings = new Map<string, Recorded>();
const source = await rivuletEmit.serve({ key: "" });

async function record(path: string): Promise<Recorded> {
  const response = await fetch(`http://127.0.0.1:${source.port}${path}`);
  if (!response.ok) throw new Error(`recording ${path}: HTTP ${response.status}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) if (!TRANSPORT_HEADERS.has(name)) headers[name] = value;
  return { headers, body: Buffer.from(await response.arrayBuffer()) };
}

async function replay(recorded: Recorded, res: http.ServerResponse): Promise<void> {
  res.writeHead(200, recorded.headers);
  const { body } = recorded;
  for (let at = 0; at < body.length && !res.destroyed; at += CHUNK_BYTES) {
    if (!res.write(body.subarray(at, at + CHUNK_BYTES))) await drained(res);
  }
  res.end();
}

const server = http.createServer((req, res) => {
  const { n, size } = readStreamInput(req.url ?? "");
  const recorded = req.method === "GET" && req.url?.startsWith("/stream?") ? recordings.get(`${n} ${size}`) : undefined;
  if (recorded) void replay(recorded, res);
  else res.writeHead(404).end();
});

const api: ReplayApi = {
  async record({ n, size }) {
    const key = `${n} ${size}`;
    const recorded = recordings.get(key) ?? (await record(streamPath(n, size)));
    recordings.set(key, recorded);
    return { bytes: recorded.body.length, sha256: createHash("sha256").update(recorded.body).digest("hex") };
  },
};

serveIpc(api, { port: await listen(server) } satisfies ReplayInfo);
