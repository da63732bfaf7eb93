import { CONTENDERS, streamPath, type Contender } from "../contenders/index.js";
import { fetchRecording } from "../child/replay-api.js";
import { startReplay, startServer, type ReplayChild, type ServerChild } from "../lib/servers.js";
import { summarize } from "../lib/stats.js";
import { makeEvent, type EventSize } from "../payload.js";
import { countEvents } from "../readers/count-events.js";
import { readWithTypedClient } from "../readers/typed-client.js";
import type { ThroughputResults, ThroughputRow, TypedClientRow } from "../results.js";
import type { ScenarioContext } from "./context.js";

const SIZES: readonly EventSize[] = ["small", "large"];

export function throughputSteps({ config }: Pick<ScenarioContext, "config">): number {
  const { rounds } = config.throughput;
  return CONTENDERS.length + 1 + rounds * SIZES.length * (CONTENDERS.length + 2);
}

interface Sample {
  eventsPerSec: number[];
  mbPerSec: number[];
  bytes: number[];
  cpuUs: number[];
}

/**
 * Single-stream throughput: every server child streams `n` events as fast as
 * its API allows to the same raw socket reader. Rounds are interleaved
 * (round 1 of every contender, then round 2, …) so that drift of the machine
 * spreads over all of them.
 */
export async function runThroughput({ config, progress }: ScenarioContext): Promise<ThroughputResults> {
  const { rounds, n, timeoutMs } = config.throughput;
  const servers = new Map<string, ServerChild>();
  const samples = new Map<string, Sample>();
  const typed = new Map<EventSize, { eventsPerSec: number[]; fromServer: number[]; datesExact: boolean }>();
  let replay: ReplayChild | undefined;
  try {
    for (const contender of CONTENDERS) {
      progress.next(`throughput · start + warm up ${contender.label}`);
      const server = await startServer(contender.id);
      servers.set(contender.id, server);
      // Warm-up: let the JIT see both event sizes before anything is timed.
      for (const size of SIZES) await measure(contender, server, size, Math.ceil(roundN(contender, n[size]) / 4), timeoutMs);
    }
    progress.next("throughput · record the replay server's streams, check them, warm up the typed client");
    replay = await startReplay();
    const source = typedClientServer(servers);
    for (const size of SIZES) {
      for (const count of [Math.ceil(n[size] / 4), n[size]]) await recordAndCheck(replay, source, count, size);
    }
    // The typed client is warmed up as every contender is, on both servers it reads in the rounds.
    for (const size of SIZES) {
      await readWithTypedClient(replay.info.port, Math.ceil(n[size] / 4), size);
      await readWithTypedClient(source.info.port, Math.ceil(n[size] / 4), size);
    }
    for (let round = 1; round <= rounds; round++) {
      for (const size of SIZES) {
        for (const contender of CONTENDERS) {
          progress.next(`throughput ${size} · ${contender.label} · round ${round}/${rounds}`);
          const result = await measure(contender, servers.get(contender.id) as ServerChild, size, roundN(contender, n[size]), timeoutMs);
          const key = `${contender.id}/${size}`;
          const sample = samples.get(key) ?? { eventsPerSec: [], mbPerSec: [], bytes: [], cpuUs: [] };
          sample.eventsPerSec.push(result.eventsPerSec);
          sample.mbPerSec.push(result.mbPerSec);
          sample.bytes.push(result.bytesPerEvent);
          sample.cpuUs.push(result.cpuUsPerEvent);
          samples.set(key, sample);
        }
        const entry = typed.get(size) ?? { eventsPerSec: [], fromServer: [], datesExact: true };
        typed.set(size, entry);
        progress.next(`throughput ${size} · Rivulet typed client reading the replay server · round ${round}/${rounds}`);
        const alone = await readWithTypedClient(replay.info.port, n[size], size);
        progress.next(`throughput ${size} · Rivulet typed client reading the emitting server · round ${round}/${rounds}`);
        const fromServer = await readWithTypedClient(source.info.port, n[size], size);
        entry.eventsPerSec.push((alone.events / alone.ms) * 1000);
        entry.fromServer.push((fromServer.events / fromServer.ms) * 1000);
        entry.datesExact &&= [alone, fromServer].every((result) => result.datesExact && result.events === n[size]);
      }
    }
  } finally {
    await Promise.all([...servers.values(), ...(replay ? [replay] : [])].map((child) => child.stop()));
  }

  const rows: ThroughputRow[] = [];
  for (const size of SIZES) {
    for (const contender of CONTENDERS) {
      const sample = samples.get(`${contender.id}/${size}`);
      if (!sample) continue;
      rows.push({
        id: contender.id,
        label: contender.label,
        size,
        n: roundN(contender, n[size]),
        eventsPerSec: summarize(sample.eventsPerSec),
        mbPerSec: summarize(sample.mbPerSec),
        bytesPerEvent: summarize(sample.bytes).median,
        serverCpuUsPerEvent: summarize(sample.cpuUs).median,
      });
    }
  }
  const typedClient: TypedClientRow[] = SIZES.flatMap((size) => {
    const entry = typed.get(size);
    return entry
      ? [{ size, n: n[size], eventsPerSec: summarize(entry.eventsPerSec), fromServer: summarize(entry.fromServer), datesExact: entry.datesExact }]
      : [];
  });
  return {
    rounds,
    n,
    jsonBytes: { small: JSON.stringify(makeEvent("small", 0)).length, large: JSON.stringify(makeEvent("large", 0)).length },
    rows,
    typedClient,
    notes: Object.fromEntries(CONTENDERS.map((contender) => [contender.label, contender.notes])),
  };
}

/** The events a contender streams per round: its share of the run's N. */
function roundN(contender: Contender, n: number): number {
  return Math.round(n * (contender.throughputShare ?? 1));
}

interface Measured {
  eventsPerSec: number;
  mbPerSec: number;
  bytesPerEvent: number;
  cpuUsPerEvent: number;
}

/** One round: the reader reads `n` events; the server child reports the CPU time it spent. */
async function measure(contender: Contender, server: ServerChild, size: EventSize, n: number, timeoutMs: number): Promise<Measured> {
  const before = await server.call("stats", undefined);
  const result = await countEvents(server.info.port, streamPath(n, size), {
    n,
    preamble: contender.preamble,
    timeoutMs,
  });
  const after = await server.call("stats", undefined);
  return {
    eventsPerSec: (result.events / result.ms) * 1000,
    mbPerSec: result.bytes / result.ms / 1000,
    bytesPerEvent: result.bytes / result.events,
    cpuUsPerEvent: (after.cpuMicros - before.cpuMicros) / n,
  };
}

/**
 * Has the replay server record `n` events of `size` and checks, before any of them is timed, that it
 * serves exactly the bytes the emitting server child writes for them.
 */
async function recordAndCheck(replay: ReplayChild, source: ServerChild, n: number, size: EventSize): Promise<void> {
  const recorded = await replay.call("record", { n, size });
  const path = streamPath(n, size);
  const [served, written] = await Promise.all([fetchRecording(replay.info.port, path), fetchRecording(source.info.port, path)]);
  for (const [what, got] of [["served by the replay server", served], ["written by the emitting server", written]] as const) {
    if (got.sha256 !== recorded.sha256 || got.bytes !== recorded.bytes) {
      throw new Error(`replay of ${n} ${size} events: recorded ${recorded.bytes} bytes (${recorded.sha256}), ${what} ${got.bytes} (${got.sha256})`);
    }
  }
}

/**
 * The server the typed client's second figure reads, whose bytes the replay server must serve: the
 * emitting Rivulet server, which writes the same bytes as the default row (validation on, superjson, a
 * `meta:` line per event) and is the fastest Rivulet writer; the default Rivulet server when the emit
 * row is not run. A reader cannot read faster than its server writes, hence the replay server too.
 */
function typedClientServer(servers: Map<string, ServerChild>): ServerChild {
  return (servers.get("rivulet-emit") ?? servers.get("rivulet")) as ServerChild;
}
