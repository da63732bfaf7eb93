import { FANOUT_CLIENT_ENTRY, type FanoutClientApi, type LatencyRound } from "../child/fanout-api.js";
import { contenderById, streamPath, type Contender, type ContenderId, type RunInfo } from "../contenders/index.js";
import { DURABLE_QUEUE_SIZE, runPath, TICKS_PATH } from "../contenders/rivulet-durable.js";
import { sleep } from "../lib/clock.js";
import { Child } from "../lib/ipc.js";
import { startServer, type ServerChild } from "../lib/servers.js";
import { summarize } from "../lib/stats.js";
import { countEvents } from "../readers/count-events.js";
import { openRawStream } from "../readers/raw-http.js";
import type { DurableCostRow, DurableJoinersRow, DurableResults } from "../results.js";
import type { ScenarioContext } from "./context.js";

type ClientChild = Child<FanoutClientApi, object>;

/** The stores measured, each in a server child of its own; the plain stream is read from the memory one's. */
const STORES: ReadonlyArray<{ store: "memory" | "redis"; id: ContenderId }> = [
  { store: "memory", id: "rivulet-durable" },
  { store: "redis", id: "rivulet-durable-redis" },
];
/** As the fan-out servers: V8's young generation at its full size from the start, so that its growth is not counted per joiner. */
const SERVER_FLAGS = ["--min-semi-space-size=16"];

export function durableSteps({ config }: Pick<ScenarioContext, "config">): number {
  const { rounds, joinerRounds } = config.durable;
  return STORES.length + rounds * (STORES.length + 1) + STORES.length * (1 + joinerRounds);
}

/**
 * Durable runs: what durability costs per event (the throughput stream
 * plain, and the same generator durable on each store, read by the raw
 * reader), and one run joined by many clients (half from the run's start,
 * half live), with the fan-out client child measuring publish → receive.
 */
export async function runDurable(context: ScenarioContext): Promise<DurableResults> {
  const { config, notes: runNotes } = context;
  const settings = config.durable;
  const notes: string[] = [];
  const available: Array<{ store: "memory" | "redis"; contender: Contender }> = [];
  for (const { store, id } of STORES) {
    const contender = contenderById(id);
    const reason = await contender.unavailable?.();
    if (reason === undefined) {
      available.push({ store, contender });
      continue;
    }
    notes.push(`${contender.label}: skipped, ${reason}.`);
    // Its steps: start, a cost round each, connecting and a joiners round each.
    for (let step = 0; step < 2 + settings.rounds + settings.joinerRounds; step++) context.progress.next(`durable · ${contender.label} · skipped`);
  }
  const cost = await measureCost(context, available);
  const joiners: DurableJoinersRow[] = [];
  for (const { store, contender } of available) joiners.push(await measureJoiners(context, store, contender, notes));
  runNotes.push(...notes.map((note) => `durable · ${note}`));
  return {
    rounds: settings.rounds,
    n: settings.n,
    queueSize: DURABLE_QUEUE_SIZE,
    cost,
    joinerRounds: settings.joinerRounds,
    publishesPerRound: settings.publishesPerRound,
    intervalMs: settings.intervalMs,
    history: settings.history,
    joiners,
    notes,
  };
}

/** One way of reading the same `n` events: its server, path and what comes before the first event. */
interface CostTarget {
  store: DurableCostRow["store"];
  label: string;
  server: ServerChild;
  path: string;
  /** The run event comes before a run's events. */
  preamble: number;
}

async function measureCost(context: ScenarioContext, available: Array<{ store: "memory" | "redis"; contender: Contender }>): Promise<DurableCostRow[]> {
  const { config, progress } = context;
  const { n, rounds, timeoutMs } = config.durable;
  const servers: Array<{ server: ServerChild; contender: Contender; run: RunInfo }> = [];
  const targets: CostTarget[] = [];
  const samples = new Map<CostTarget, { eventsPerSec: number[]; cpuUs: number[] }>();
  try {
    for (const { store, contender } of available) {
      progress.next(`durable cost · start + warm up ${contender.label}`);
      const run: RunInfo = { key: `rivulet-bench:${process.pid}-${Date.now()}-durable-cost:` };
      const server = await startServer(contender.id, { run });
      servers.push({ server, contender, run });
      if (store === "memory") targets.push({ store: "plain", label: "Rivulet, plain stream", server, path: streamPath(n, "small"), preamble: 0 });
      targets.push({ store, label: contender.label, server, path: runPath(n, "small"), preamble: 1 });
    }
    for (const target of targets) await measure(target, Math.ceil(n / 4), timeoutMs);
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets) {
        progress.next(`durable cost · ${target.label} · round ${round}/${rounds}`);
        const result = await measure(target, n, timeoutMs);
        const sample = samples.get(target) ?? { eventsPerSec: [], cpuUs: [] };
        sample.eventsPerSec.push(result.eventsPerSec);
        sample.cpuUs.push(result.cpuUsPerEvent);
        samples.set(target, sample);
      }
    }
  } finally {
    for (const { server, contender, run } of servers) {
      await server.stop();
      await contender.cleanUp?.(run);
    }
  }
  return targets.flatMap((target) => {
    const sample = samples.get(target);
    return sample ? [{ store: target.store, label: target.label, n, eventsPerSec: summarize(sample.eventsPerSec), cpuUsPerEvent: summarize(sample.cpuUs) }] : [];
  });
}

/** One read of `n` events; the server's CPU until the reader has them, and until the run has ended (its generator outruns the reader). */
async function measure({ server, path, preamble }: CostTarget, n: number, timeoutMs: number): Promise<{ eventsPerSec: number; cpuUsPerEvent: number }> {
  const before = await server.call("stats", undefined);
  const result = await countEvents(server.info.port, path, { n, preamble, timeoutMs });
  const after = await server.call("stats", undefined);
  return { eventsPerSec: (result.events / result.ms) * 1000, cpuUsPerEvent: (after.cpuMicros - before.cpuMicros) / n };
}

/** Starts a run of ticks with a raw request, reads its run event, hangs up (the run goes on) and returns its id. */
function startTicksRun(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    const socket = openRawStream(port, TICKS_PATH, {
      onHead: (status) => {
        if (status !== 200) reject(new Error(`${TICKS_PATH} answered ${status}`));
      },
      onBody: (chunk) => {
        body += chunk.toString("utf8");
        const match = /"runId":"([A-Za-z0-9_-]+)"/.exec(body);
        if (match) {
          resolve(match[1] as string);
          socket.destroy();
        }
      },
      onClose: (error) => reject(error ?? new Error(`${TICKS_PATH} closed before its run event`)),
    });
  });
}

async function measureJoiners(context: ScenarioContext, store: "memory" | "redis", contender: Contender, notes: string[]): Promise<DurableJoinersRow> {
  const { progress } = context;
  const { joiners, joinerRounds, publishesPerRound, intervalMs, history } = context.config.durable;
  const { label } = contender;
  progress.next(`durable joiners · ${label} · connecting`);
  const run: RunInfo = { key: `rivulet-bench:${process.pid}-${Date.now()}-durable-joiners:` };
  const server = await startServer(contender.id, { nodeFlags: SERVER_FLAGS, run });
  let client: ClientChild | undefined;
  try {
    client = await Child.start<FanoutClientApi, object>(FANOUT_CLIENT_ENTRY, []);
    const { port } = server.info;
    const runId = await startTicksRun(port);
    // A history for those who join from the start to replay: ticks 1…history (seq = tick number).
    await server.call("publish", { count: history, intervalMs: 5, firstSeq: 0 });
    await sleep(200);
    const before = await server.call("gc", undefined);
    const concurrency = 100;
    const half = Math.floor(joiners / 2);
    const fromStart = await client.call("connect", { port, path: `${TICKS_PATH}?run=${runId}`, count: half, concurrency });
    // Live: after the run's next-to-last event, so that the last one opens the response at once.
    const live = await client.call("connect", { port, path: `${TICKS_PATH}?run=${runId}&lastEventId=${runId}:${history - 1}`, count: joiners - half, concurrency });
    // `open` counts every connection the client holds: after the second call, both halves.
    const { open } = live;
    if (open < joiners) notes.push(`joiners · ${label}: only ${open} of ${joiners} opened.`);
    await sleep(1000);
    const idle = await server.call("gc", undefined);
    // Every joiner is read: a thousand sockets are few enough for the client child to keep up with.
    await client.call("sample", { count: open });
    const latencies: LatencyRound[] = [];
    const cpuPerDelivery: number[] = [];
    for (let round = 1; round <= joinerRounds; round++) {
      progress.next(`durable joiners · ${label} · round ${round}/${joinerRounds}`);
      await client.call("startRound", { publishes: publishesPerRound });
      const start = await server.call("stats", undefined);
      await server.call("publish", { count: publishesPerRound, intervalMs, firstSeq: history + (round - 1) * publishesPerRound });
      const latency = await client.call("endRound", { graceMs: 10_000 });
      const drained = await server.call("stats", undefined);
      latencies.push(latency);
      cpuPerDelivery.push((drained.cpuMicros - start.cpuMicros) / Math.max(1, latency.received));
    }
    const delivered = latencies.reduce((sum, round) => sum + round.received, 0);
    const expected = latencies.reduce((sum, round) => sum + round.expected, 0);
    if (delivered !== expected) notes.push(`joiners · ${label}: ${delivered} of ${expected} events arrived.`);
    return {
      store,
      label,
      joiners,
      open,
      connectMs: fromStart.ms + live.ms,
      p50: summarize(latencies.map((round) => round.p50)),
      p99: summarize(latencies.map((round) => round.p99)),
      max: summarize(latencies.map((round) => round.max)),
      delivered,
      expected,
      rssPerJoiner: (idle.rss - before.rss) / Math.max(1, open),
      cpuUsPerDelivery: summarize(cpuPerDelivery),
    };
  } finally {
    await server.stop();
    await client?.stop();
    await contender.cleanUp?.(run);
  }
}
