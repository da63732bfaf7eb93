/**
 * The replay server: a child process that serves, for GET of a throughput stream path, the bytes the
 * emitting Rivulet server wrote for it, recorded once — so that a reader of it measures the reader, with
 * next to nothing spent writing.
 */
import { createHash } from "node:crypto";
import type { EventSize } from "../payload.js";

export interface RecordParams {
  n: number;
  size: EventSize;
}

export interface Recording {
  /** The body's length, bytes. */
  bytes: number;
  /** Its SHA-256, hex. */
  sha256: string;
}

export type ReplayApi = {
  /** Streams `streamPath(n, size)` from a Rivulet server in the child (the emit contender) and keeps its headers and body for GET of that path. */
  record(params: RecordParams): Promise<Recording>;
};

export interface ReplayInfo {
  port: number;
}

export const REPLAY_ENTRY = new URL("./replay.ts", import.meta.url);

/** GETs `path` and digests the body, for checking a replay against a server. */
export async function fetchRecording(port: number, path: string): Promise<Recording> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!response.ok || !response.body) throw new Error(`GET ${path} on port ${port}: HTTP ${response.status}`);
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest("hex") };
}
