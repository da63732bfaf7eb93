/** What the parent asks a server child. */

export interface ProcessStats {
  /** Resident set size, bytes. */
  rss: number;
  heapUsed: number;
  /** User + system CPU time, µs. */
  cpuMicros: number;
  /** When it was taken, on the monotonic clock (ms). */
  at: number;
}

export interface PublishParams {
  /** Messages to publish, one every `intervalMs`. */
  count: number;
  intervalMs: number;
  firstSeq: number;
}

export type ServerApi = {
  stats(params: undefined): ProcessStats;
  /** Runs the garbage collector, then reports. */
  gc(params: undefined): ProcessStats;
  /** Publishes to the fan-out topic at a fixed rate; resolves when the last message is out. */
  publish(params: PublishParams): Promise<{ published: number }>;
};

/** A server child serves HTTP; a publisher child only publishes (to a broker the server reads from). */
export type ServerRole = "server" | "publisher";

export interface ServerInfo {
  port: number;
}

export const SERVER_ENTRY = new URL("./server.ts", import.meta.url);
