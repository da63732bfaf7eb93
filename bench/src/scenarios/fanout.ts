import { FANOUT_CLIENT_ENTRY, type FanoutClientApi, type LatencyRound } from "../child/fanout-api.js";
import type { BenchConfig } from "../config.js";
import { contenderById, FANOUT_CONTENDERS, TOPIC_PATH, type Contender, type ContenderId, type RunInfo } from "../contenders/index.js";
import { sleep } from "../lib/clock.js";
import { openFileLimit } from "../lib/fd-limit.js";
import type { ProcessStats } from "../child/server-api.js";
import { Child } from "../lib/ipc.js";
import { startServer, type ServerChild } from "../lib/servers.js";
import { summarize } from "../lib/stats.js";
import type { FanoutResults, FanoutRow } from "../results.js";
import type { ScenarioContext } from "./context.js";

type ClientChild = Child<FanoutClientApi, object>;

/** File descriptors a process needs besides its connections. */
const SPARE_FDS = 100;
/** Connections opened and closed before the baseline, so that compiled code is not counted as per-connection memory. */
const WARM_UP_CONNECTIONS = 50;
/**
 * The server starts with V8's young generation at the size (16 MB semi-spaces,
 * V8's maximum here) that opening thousands of connections grows it to anyway.
 * Left to grow during the measurement, it adds 10–17 MB of RSS to every
 * contender alike, which at 10,000 connections reads as 1–1.7 KB "per connection".
 */
const SERVER_FLAGS = ["--min-semi-space-size=16"];

/** The fan-out contenders of this run: all of them, or those `--fanout-contenders` names. */
function fanoutContenders(config: BenchConfig): ContenderId[] {
  const wanted = config.fanout.contenders;
  if (!wanted) return [...FANOUT_CONTENDERS];
  const unknown = wanted.filter((id) => !(FANOUT_CONTENDERS as readonly string[]).includes(id));
  if (unknown.length > 0) throw new Error(`Not fan-out contenders: ${unknown.join(", ")}; these are: ${FANOUT_CONTENDERS.join(", ")}`);
  return FANOUT_CONTENDERS.filter((id) => wanted.includes(id));
}

export function fanoutSteps({ config }: Pick<ScenarioContext, "config">): number {
  const { subscribers, rounds } = config.fanout;
  return subscribers.length * fanoutContenders(config).length * (1 + rounds);
}

/**
 * Fan-out: one server child holds N connections to one topic, opened by a
 * client child; the server publishes at a fixed rate, each message carrying
 * the monotonic time it was published at, and the client records its arrival
 * time minus that, on a sample of connections spread evenly over all of them
 * (see fanout-client.ts). Memory is the server's RSS with the connections
 * idle, minus its RSS before, per connection.
 */
export async function runFanout(context: ScenarioContext): Promise<FanoutResults> {
  const { config, progress, notes } = context;
  const { subscribers, rounds, publishesPerRound, intervalMs } = config.fanout;
  const rows: FanoutRow[] = [];
  const skipped = new Map<string, string | undefined>();
  const limit = openFileLimit();
  for (const count of subscribers) {
    if (count + SPARE_FDS > limit) {
      notes.push(`fan-out with ${count} connections skipped: the open-file limit is ${limit} (raise it with ulimit -n).`);
      progress.next(`fan-out ${count} · skipped (open-file limit ${limit})`);
      continue;
    }
    for (const id of fanoutContenders(config)) {
      const contender = contenderById(id);
      const reason = await unavailable(contender, skipped);
      if (reason !== undefined) {
        notes.push(`fan-out ${count} · ${contender.label}: skipped, ${reason}.`);
        for (let step = 0; step <= rounds; step++) progress.next(`fan-out ${count} · ${contender.label} · skipped`);
        continue;
      }
      progress.next(`fan-out ${count} · ${contender.label} · connecting`);
      const run: RunInfo = { key: `rivulet-bench:${process.pid}-${Date.now()}-${count}:` };
      const servers: ServerChild[] = [];
      let publisher: ServerChild | undefined;
      let client: ClientChild | undefined;
      try {
        for (let k = 0; k < (contender.processes ?? 1); k++) servers.push(await startServer(id, { nodeFlags: SERVER_FLAGS, run }));
        if (contender.publisher) publisher = await startServer(id, { role: "publisher", run });
        client = await Child.start<FanoutClientApi, object>(FANOUT_CLIENT_ENTRY, []);
        rows.push(await measure({ contender, servers, publisher, client, count, settings: config.fanout, context }));
      } finally {
        // The servers first: their side of every connection closes, so the client's ports are not held in TIME_WAIT.
        for (const server of servers) await server.stop();
        await publisher?.stop();
        await client?.stop();
        await contender.cleanUp?.(run).catch((error: unknown) => {
          notes.push(`fan-out ${count} · ${contender.label}: clean-up failed: ${String(error)}`);
        });
      }
    }
  }
  return { rounds, publishesPerRound, intervalMs, sampled: config.fanout.sampled, rows };
}

/** Why a contender cannot run here (asked once per run), or `undefined`. */
async function unavailable(contender: Contender, known: Map<string, string | undefined>): Promise<string | undefined> {
  if (!contender.unavailable) return undefined;
  if (!known.has(contender.id)) known.set(contender.id, await contender.unavailable());
  return known.get(contender.id);
}

interface FanoutRun {
  contender: Contender;
  /** The processes holding the connections (one, or `Contender.processes`). */
  servers: ServerChild[];
  /** Where the messages are published from when not the server (see `Contender.publisher`). */
  publisher: ServerChild | undefined;
  client: ClientChild;
  count: number;
  settings: BenchConfig["fanout"];
  context: ScenarioContext;
}

/** Every server's stats, summed: RSS, heap and CPU time are the fan-out's whole cost, whatever the processes. */
async function statsOf(servers: readonly ServerChild[], method: "stats" | "gc"): Promise<ProcessStats> {
  const all = await Promise.all(servers.map((server) => server.call(method, undefined)));
  return all.reduce((sum, stats) => ({
    rss: sum.rss + stats.rss,
    heapUsed: sum.heapUsed + stats.heapUsed,
    cpuMicros: sum.cpuMicros + stats.cpuMicros,
    at: Math.max(sum.at, stats.at),
  }));
}

/** Opens `count` connections, an equal share to each server (the first ones take the remainder), in turn. */
async function connectAll(client: ClientChild, servers: readonly ServerChild[], count: number, concurrency: number): Promise<{ open: number; ms: number }> {
  let open = 0;
  let ms = 0;
  for (const [k, server] of servers.entries()) {
    const share = Math.floor(count / servers.length) + (k < count % servers.length ? 1 : 0);
    const result = await client.call("connect", { port: server.info.port, path: TOPIC_PATH, count: share, concurrency });
    open = result.open;
    ms += result.ms;
  }
  return { open, ms };
}

async function measure({ contender, servers, publisher, client, count, settings, context }: FanoutRun): Promise<FanoutRow> {
  const { rounds, publishesPerRound, intervalMs, concurrency, sampled } = settings;
  const { label } = contender;
  const source = publisher ?? (servers[0] as ServerChild);
  await connectAll(client, servers, WARM_UP_CONNECTIONS * servers.length, concurrency);
  await client.call("closeAll", undefined);
  await sleep(200);
  const before = await statsOf(servers, "gc");
  const connected = await connectAll(client, servers, count, concurrency);
  if (connected.open < count) context.notes.push(`fan-out ${count} · ${label}: only ${connected.open} connections opened.`);
  // Let the handlers settle (subscriptions registered, timers armed) before measuring.
  await sleep(1000);
  const idle = await statsOf(servers, "gc");
  const sampledConnections = await client.call("sample", { count: sampled });

  const latencies: LatencyRound[] = [];
  const cpu: number[] = [];
  const cpuPerDelivery: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    context.progress.next(`fan-out ${count} · ${label} · round ${round}/${rounds}`);
    await client.call("startRound", { publishes: publishesPerRound });
    const start = await statsOf(servers, "stats");
    await source.call("publish", { count: publishesPerRound, intervalMs, firstSeq: (round - 1) * publishesPerRound });
    const end = await statsOf(servers, "stats");
    const latency = await client.call("endRound", { graceMs: 10_000 });
    // Every delivery is done once the client has every event: the servers' CPU up to here is what they cost.
    const drained = await statsOf(servers, "stats");
    latencies.push(latency);
    cpu.push(((end.cpuMicros - start.cpuMicros) / 1000 / (end.at - start.at)) * 100);
    cpuPerDelivery.push((drained.cpuMicros - start.cpuMicros) / Math.max(1, latency.received));
  }
  const delivered = latencies.reduce((sum, round) => sum + round.received, 0);
  const expected = latencies.reduce((sum, round) => sum + round.expected, 0);
  if (delivered !== expected) context.notes.push(`fan-out ${count} · ${label}: ${delivered} of ${expected} events arrived.`);
  return {
    id: contender.id,
    label,
    subscribers: count,
    ...(servers.length > 1 ? { processes: servers.length } : {}),
    open: connected.open,
    connectMs: connected.ms,
    p50: summarize(latencies.map((round) => round.p50)),
    p99: summarize(latencies.map((round) => round.p99)),
    max: summarize(latencies.map((round) => round.max)),
    delivered,
    expected,
    rssPerConnection: (idle.rss - before.rss) / Math.max(1, connected.open),
    heapPerConnection: (idle.heapUsed - before.heapUsed) / Math.max(1, connected.open),
    rssIdle: idle.rss,
    sampledConnections,
    latencySamples: latencies.reduce((sum, round) => sum + round.samples, 0),
    cpuPercent: summarize(cpu),
    cpuUsPerDelivery: summarize(cpuPerDelivery),
  };
}
