import { FANOUT_CLIENT_ENTRY, type FanoutClientApi, type LatencyRound } from "../child/fanout-api.js";
import type { BenchConfig } from "../config.js";
import { contenderById, FANOUT_CONTENDERS, TOPIC_PATH, type Contender } from "../contenders/index.js";
import { sleep } from "../lib/clock.js";
import { openFileLimit } from "../lib/fd-limit.js";
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

export function fanoutSteps({ config }: Pick<ScenarioContext, "config">): number {
  const { subscribers, rounds } = config.fanout;
  return subscribers.length * FANOUT_CONTENDERS.length * (1 + rounds);
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
  const limit = openFileLimit();
  for (const count of subscribers) {
    if (count + SPARE_FDS > limit) {
      notes.push(`fan-out with ${count} connections skipped: the open-file limit is ${limit} (raise it with ulimit -n).`);
      progress.next(`fan-out ${count} · skipped (open-file limit ${limit})`);
      continue;
    }
    for (const id of FANOUT_CONTENDERS) {
      const contender = contenderById(id);
      progress.next(`fan-out ${count} · ${contender.label} · connecting`);
      const server = await startServer(id, SERVER_FLAGS);
      const client = await Child.start<FanoutClientApi, object>(FANOUT_CLIENT_ENTRY, []);
      try {
        rows.push(await measure({ contender, server, client, count, settings: config.fanout, context }));
      } finally {
        // The server first: its side of every connection closes, so the client's ports are not held in TIME_WAIT.
        await server.stop();
        await client.stop();
      }
    }
  }
  return { rounds, publishesPerRound, intervalMs, sampled: config.fanout.sampled, rows };
}

interface FanoutRun {
  contender: Contender;
  server: ServerChild;
  client: ClientChild;
  count: number;
  settings: BenchConfig["fanout"];
  context: ScenarioContext;
}

async function measure({ contender, server, client, count, settings, context }: FanoutRun): Promise<FanoutRow> {
  const { rounds, publishesPerRound, intervalMs, concurrency, sampled } = settings;
  const { label } = contender;
  const { port } = server.info;
  await client.call("connect", { port, path: TOPIC_PATH, count: WARM_UP_CONNECTIONS, concurrency });
  await client.call("closeAll", undefined);
  await sleep(200);
  const before = await server.call("gc", undefined);
  const connected = await client.call("connect", { port, path: TOPIC_PATH, count, concurrency });
  if (connected.open < count) context.notes.push(`fan-out ${count} · ${label}: only ${connected.open} connections opened.`);
  // Let the handlers settle (subscriptions registered, timers armed) before measuring.
  await sleep(1000);
  const idle = await server.call("gc", undefined);
  const sampledConnections = await client.call("sample", { count: sampled });

  const latencies: LatencyRound[] = [];
  const cpu: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    context.progress.next(`fan-out ${count} · ${label} · round ${round}/${rounds}`);
    await client.call("startRound", { publishes: publishesPerRound });
    const start = await server.call("stats", undefined);
    await server.call("publish", { count: publishesPerRound, intervalMs, firstSeq: (round - 1) * publishesPerRound });
    const end = await server.call("stats", undefined);
    latencies.push(await client.call("endRound", { graceMs: 10_000 }));
    cpu.push(((end.cpuMicros - start.cpuMicros) / 1000 / (end.at - start.at)) * 100);
  }
  const delivered = latencies.reduce((sum, round) => sum + round.received, 0);
  const expected = latencies.reduce((sum, round) => sum + round.expected, 0);
  if (delivered !== expected) context.notes.push(`fan-out ${count} · ${label}: ${delivered} of ${expected} events arrived.`);
  return {
    id: contender.id,
    label,
    subscribers: count,
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
  };
}
