import type { ScenarioName } from "./config.js";
import type { Summary } from "./lib/stats.js";
import type { EventSize } from "./payload.js";

/** Everything one run measured; saved as `results/latest.json` and rendered into the docs. */
export interface BenchResults {
  meta: RunMeta;
  throughput?: ThroughputResults;
  fanout?: FanoutResults;
  parser?: ParserResults;
  connect?: ConnectResults;
  durable?: DurableResults;
  bundle?: BundleResults;
  /** Sections measured by another run than `meta`'s, merged in by a partial run with `--docs` (see {@link mergeResults}). */
  sectionRuns?: Partial<Record<ScenarioName, SectionRun>>;
}

/** The run that measured one section, as its section says it. */
export type SectionRun = Pick<RunMeta, "command" | "date" | "node" | "commit" | "cpu" | "cores" | "os">;

/**
 * `into` (a whole run's results) with the `sections` of `from` (a partial
 * run's) in place of its own, each noted in `sectionRuns` with the run that
 * measured it; every other section, and `into`'s meta, kept.
 */
export function mergeResults(into: BenchResults, from: BenchResults, sections: readonly ScenarioName[]): BenchResults {
  const { command, date, node, commit, cpu, cores, os } = from.meta;
  const run: SectionRun = { command, date, node, ...(commit === undefined ? {} : { commit }), cpu, cores, os };
  const merged: BenchResults = { ...into, sectionRuns: { ...into.sectionRuns } };
  for (const name of sections) {
    Object.assign(merged, { [name]: from[name] });
    (merged.sectionRuns as NonNullable<BenchResults["sectionRuns"]>)[name] = run;
  }
  return merged;
}

export interface RunMeta {
  command: string;
  /** ISO date of the start of the run. */
  date: string;
  node: string;
  /** The commit of the packages measured, `+changes` when packages/ had uncommitted changes (absent in older results). */
  commit?: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  quick: boolean;
  /** Wall time of the whole run, seconds. */
  seconds: number;
  /** Installed versions of the peers. */
  versions: Record<string, string>;
  /** Anything that did not run as planned. */
  notes: string[];
}

export interface ThroughputRow {
  id: string;
  label: string;
  size: EventSize;
  n: number;
  /** Events per second, per round. */
  eventsPerSec: Summary;
  /** MB (10^6 bytes) per second of body, per round. */
  mbPerSec: Summary;
  /** Average bytes on the wire per event. */
  bytesPerEvent: number;
  /** Server CPU time per event, µs (median of rounds). */
  serverCpuUsPerEvent: number;
}

export interface ThroughputResults {
  rounds: number;
  n: Record<EventSize, number>;
  /** Bytes of each event's JSON. */
  jsonBytes: Record<EventSize, number>;
  rows: ThroughputRow[];
  /** Rivulet's typed client as the reader (validate on, superjson); not part of the server ratios. */
  typedClient: TypedClientRow[];
  /** What each contender's streaming loop does. */
  notes: Record<string, string>;
}

export interface TypedClientRow {
  size: EventSize;
  n: number;
  /**
   * The client reading the replay server (the emitting Rivulet server's bytes, recorded once and written
   * in large chunks), so that the client is what is measured. In results without `fromServer` (before
   * the replay server) it read the emitting Rivulet server.
   */
  eventsPerSec: Summary;
  /** The same client reading the emitting Rivulet server itself, in the same rounds. */
  fromServer?: Summary;
  /** Every event's Date came back as a Date with the exact time the server put in (in both readings). */
  datesExact: boolean;
}

export interface FanoutRow {
  id: string;
  label: string;
  subscribers: number;
  /** Server processes sharing the connections, when more than one; RSS, heap and CPU are their sums. */
  processes?: number;
  /** Connections that opened. */
  open: number;
  /** Time to open them all, ms. */
  connectMs: number;
  /** Per round, ms. */
  p50: Summary;
  p99: Summary;
  max: Summary;
  /** Events received / expected, over all rounds. */
  delivered: number;
  expected: number;
  /** Server RSS growth per idle connection, bytes. */
  rssPerConnection: number;
  heapPerConnection: number;
  /** Server RSS with the connections open, bytes. */
  rssIdle: number;
  /** Connections whose latency was recorded, and how many latencies that made over all rounds. */
  sampledConnections: number;
  latencySamples: number;
  /** Server CPU while publishing, % of one core (per round). */
  cpuPercent: Summary;
  /**
   * Server CPU time per delivered event, µs (per round): from the first publish
   * until the client has every event of the round, over the events received.
   * Absent in results of runs before it was measured.
   */
  cpuUsPerDelivery?: Summary;
}

export interface FanoutResults {
  rounds: number;
  /** Connections sampled for latency (at most). */
  sampled: number;
  publishesPerRound: number;
  intervalMs: number;
  rows: FanoutRow[];
}

export interface ParserRow {
  parser: "rivulet" | "eventsource-parser";
  label: string;
  chunkBytes: number;
  mbPerSec: Summary;
  events: number;
}

export interface ParserResults {
  megabytes: number;
  events: number;
  rounds: number;
  rows: ParserRow[];
}

export interface ConnectRow {
  kind: "server" | "client";
  id: string;
  label: string;
  /** Connect → first event, ms, over all connections. */
  ms: Summary;
  p90: number;
}

export interface ConnectResults {
  connections: number;
  rows: ConnectRow[];
  notes: string[];
}

export interface DurableCostRow {
  /** `plain`: the stream as it is; `memory` and `redis`: the same stream durable, on that run store. */
  store: "plain" | "memory" | "redis";
  label: string;
  n: number;
  /** Events per second at the reader, per round. */
  eventsPerSec: Summary;
  /** Server CPU time per event, µs (per round): the runner's and the watcher's work together. */
  cpuUsPerEvent: Summary;
}

export interface DurableJoinersRow {
  store: "memory" | "redis";
  label: string;
  /** Joiners opened: half from the run's start (`?run=`), half live (after its latest event). */
  joiners: number;
  open: number;
  /** Time to open them all, ms. */
  connectMs: number;
  /** Publish → receive, ms, over every joiner (per round). */
  p50: Summary;
  p99: Summary;
  /** The slowest joiner: when every one of them has the event (per round). */
  max: Summary;
  delivered: number;
  expected: number;
  /** Server RSS growth per idle joiner, bytes. */
  rssPerJoiner: number;
  /** Server CPU time per delivered event, µs (per round). */
  cpuUsPerDelivery: Summary;
}

export interface DurableResults {
  rounds: number;
  /** Events of each cost run (small events). */
  n: number;
  /** The run stores' watcher queue size, raised for the cost runs (see rivulet-durable.ts). */
  queueSize: number;
  cost: DurableCostRow[];
  joinerRounds: number;
  publishesPerRound: number;
  intervalMs: number;
  /** Ticks published before the joiners come, so that those from the start replay a history. */
  history: number;
  joiners: DurableJoinersRow[];
  /** What did not run as planned (a store not reachable). */
  notes: string[];
}

/** One module of the client's bundle. */
export interface BundleModule {
  /** Its path (inside node_modules, or in the repository). */
  path: string;
  /** Minified bytes it puts in the bundle (esbuild's metafile, before gzip). */
  bytes: number;
}

/** What `@rivulet/client` (with superjson) adds to a browser app beyond zod. */
export interface BundleResults {
  /** Bytes the app's minified bundle grows by. */
  minified: number;
  /** Bytes its minified + gzipped bundle grows by. */
  gzipped: number;
  /** The heaviest modules of the app's bundle with the client, largest first. */
  modules: BundleModule[];
  /** Modules in that bundle, all told. */
  moduleCount: number;
}
