/** What the parent asks the fan-out client child. */

export interface ConnectParams {
  port: number;
  path: string;
  count: number;
  /** Connections being opened at once. */
  concurrency: number;
}

export interface LatencyRound {
  /** Publish → receive, ms. */
  p50: number;
  p99: number;
  max: number;
  /** Events received on all connections, and how many were expected (publishes × connections). */
  received: number;
  expected: number;
  /** Latency samples (events on the sampled connections). */
  samples: number;
}

export type FanoutClientApi = {
  /** Opens `count` SSE connections and resolves when every response head arrived. */
  connect(params: ConnectParams): Promise<{ open: number; ms: number }>;
  /**
   * Keeps `count` connections, spread evenly over the open ones, for latency;
   * pauses the others (their bytes wait in the kernel) until a round is drained.
   */
  sample(params: { count: number }): number;
  /** Starts recording latencies for a round of `publishes` messages. */
  startRound(params: { publishes: number }): void;
  /**
   * Waits until the sampled connections have every event of the round, then
   * drains the paused ones to check that every event arrived everywhere
   * (each wait up to `graceMs`), and summarises the round.
   */
  endRound(params: { graceMs: number }): Promise<LatencyRound>;
  /** Closes every connection; resolves when the last one is closed. */
  closeAll(params: undefined): Promise<void>;
};

export const FANOUT_CLIENT_ENTRY = new URL("./fanout-client.ts", import.meta.url);
