import { CONTENDERS, streamPath, type Contender } from "../contenders/index.js";
import { startServer, type ServerChild } from "../lib/servers.js";
import { summarize } from "../lib/stats.js";
import { makeEvent, type EventSize } from "../payload.js";
import { countEvents } from "../readers/count-events.js";
import { readWithTypedClient } from "../readers/typed-client.js";
import type { ThroughputResults, ThroughputRow, TypedClientRow } from "../results.js";
import type { ScenarioContext } from "./context.js";

const SIZES: readonly EventSize[] = ["small", "large"];

export function throughputSteps({ config }: Pick<ScenarioContext, "config">): number {
  const { rounds } = config.throughput;
  return CONTENDERS.length + rounds * SIZES.length * (CONTENDERS.length + 1);
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
  const typed = new Map<EventSize, { eventsPerSec: number[]; datesExact: boolean }>();
  try {
    for (const contender of CONTENDERS) {
      progress.next(`throughput · start + warm up ${contender.label}`);
      const server = await startServer(contender.id);
      servers.set(contender.id, server);
      // Warm-up: let the JIT see both event sizes before anything is timed.
      for (const size of SIZES) await measure(contender, server, size, Math.ceil(roundN(contender, n[size]) / 4), timeoutMs);
    }
    // The typed client is warmed up as every contender is, on the server it reads in the rounds.
    for (const size of SIZES) await readWithTypedClient(typedClientServer(servers).info.port, Math.ceil(n[size] / 4), size);
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
        progress.next(`throughput ${size} · Rivulet typed client reading · round ${round}/${rounds}`);
        const result = await readWithTypedClient(typedClientServer(servers).info.port, n[size], size);
        const entry = typed.get(size) ?? { eventsPerSec: [], datesExact: true };
        entry.eventsPerSec.push((result.events / result.ms) * 1000);
        entry.datesExact &&= result.datesExact && result.events === n[size];
        typed.set(size, entry);
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
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
    return entry ? [{ size, n: n[size], eventsPerSec: summarize(entry.eventsPerSec), datesExact: entry.datesExact }] : [];
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
 * The server the typed client reads from: the emitting Rivulet server, which writes the same bytes as
 * the default row (validation on, superjson, a `meta:` line per event) and is the fastest Rivulet
 * writer, so that the row measures the client rather than the server's speed (a reader cannot read
 * faster than its server writes); the default Rivulet server when the emit row is not run.
 */
function typedClientServer(servers: Map<string, ServerChild>): ServerChild {
  return (servers.get("rivulet-emit") ?? servers.get("rivulet")) as ServerChild;
}
