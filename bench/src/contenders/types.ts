import type { EventSize, Tick } from "../payload.js";

/** The names of every server contender; a server child is started with one of them. */
export type ContenderId =
  | "raw"
  | "rivulet"
  | "rivulet-novalidate"
  | "rivulet-json"
  | "rivulet-json-novalidate"
  | "rivulet-emit"
  | "rivulet-yield"
  | "rivulet-redis"
  | "rivulet-redis-2"
  | "rivulet-durable"
  | "rivulet-durable-redis"
  | "trpc"
  | "rivulet-trpc"
  | "better-sse"
  | "hono";

/** A running server, in its child process. */
export interface ServerHandle {
  port: number;
  /** Sends one message to every subscriber of the fan-out topic; only for contenders that have a topic. */
  publish?: (tick: Tick) => void | Promise<void>;
}

/** What the processes of one measurement share. */
export interface RunInfo {
  /** Unique to the measurement (a Redis key prefix, say); the same in its server and publisher processes. */
  key: string;
}

/** One server under test: how it is addressed, and how it starts. */
export interface Contender {
  id: ContenderId;
  /** The name in tables and charts. */
  label: string;
  /** What its streaming loop does, for the report. */
  notes: string;
  /** Blocks (`\n\n`-terminated) it sends before its first event, such as tRPC's `connected`. */
  preamble: number;
  /** Whether it serves the fan-out topic at {@link TOPIC_PATH}. */
  fanout: boolean;
  /**
   * Throughput: the share of the run's N this contender streams per round (default 1). The slow rows
   * (a tenth to a quarter of raw's rate) take less, so that each of their rounds lasts a few seconds
   * like the others' instead of tens, and the suite stays in its wall-time budget; events/s is a rate
   * either way.
   */
  throughputShare?: number;
  /**
   * Fan-out: server processes holding the connections (default 1), each
   * started with `serve`; the client opens an equal share of them to each,
   * as a balancer in front would. More than one needs a `publisher`.
   */
  processes?: number;
  /** Starts the server on 127.0.0.1, on a free port. Runs in the server child. */
  serve(run: RunInfo): Promise<ServerHandle>;
  /**
   * For a contender whose fan-out messages come from another process (through
   * Redis, say): starts that publisher. Runs in a second child; the server's
   * own `publish` is then not used.
   */
  publisher?(run: RunInfo): Promise<Required<Pick<ServerHandle, "publish">>>;
  /** Why it cannot run on this machine (a service not reachable); checked in the parent before it starts. */
  unavailable?(): Promise<string | undefined>;
  /** Removes what a measurement left outside its processes (Redis keys); runs in the parent after both children stopped. */
  cleanUp?(run: RunInfo): Promise<void>;
}

/** The fan-out stream, on every contender that has one. */
export const TOPIC_PATH = "/topic";

/** The throughput stream: `n` events of one size, then the end of the response. */
export function streamPath(n: number, size: EventSize): string {
  return `/stream?input=${encodeURIComponent(JSON.stringify({ n, size }))}`;
}

/** Reads `streamPath`'s input back, for the servers that parse it by hand. */
export function readStreamInput(url: string): { n: number; size: EventSize } {
  const query = new URL(url, "http://127.0.0.1").searchParams.get("input") ?? "{}";
  const input = JSON.parse(query) as { n?: unknown; size?: unknown };
  const n = typeof input.n === "number" && input.n > 0 ? input.n : 1;
  return { n, size: input.size === "large" ? "large" : "small" };
}

/** The keep-alive interval of the contenders that have one, so that all of them ping alike. */
export const KEEP_ALIVE_MS = 15_000;
