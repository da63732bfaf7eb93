import { eventsourceClient } from "../clients/eventsource.js";
import { fetchEventSourceClient } from "../clients/fetch-event-source.js";
import { rivuletClient } from "../clients/rivulet.js";
import type { FirstEventClient } from "../clients/types.js";
import { CONNECT_CONTENDERS, contenderById, streamPath } from "../contenders/index.js";
import { startServer } from "../lib/servers.js";
import { quantileOfSorted, summarize } from "../lib/stats.js";
import { timeToFirstEvent } from "../readers/first-event.js";
import type { ConnectResults, ConnectRow } from "../results.js";
import type { ScenarioContext } from "./context.js";

const CLIENTS = 3;

export function connectSteps(_: Pick<ScenarioContext, "config">): number {
  return CONNECT_CONTENDERS.length + CLIENTS;
}

/**
 * Connection cost: connect → first event, over sequential connections, for
 * each server (raw socket reader) and for each client library against the
 * Rivulet server (defaults: validate on, superjson).
 */
export async function runConnect({ config, progress }: ScenarioContext): Promise<ConnectResults> {
  const { connections, warmup } = config.connect;
  const path = streamPath(1, "small");
  const rows: ConnectRow[] = [];
  const notes: string[] = [];

  for (const id of CONNECT_CONTENDERS) {
    const contender = contenderById(id);
    progress.next(`connect · ${contender.label} · ${connections} connections`);
    const server = await startServer(id);
    try {
      const samples = await sample(connections, warmup, () => timeToFirstEvent(server.info.port, path));
      rows.push(row("server", id, contender.label, samples));
    } finally {
      await server.stop();
    }
  }

  const server = await startServer("rivulet");
  try {
    const baseUrl = `http://127.0.0.1:${server.info.port}`;
    const clients: (() => FirstEventClient)[] = [() => rivuletClient(baseUrl), () => eventsourceClient, fetchEventSourceClient];
    for (const make of clients) {
      const client = make();
      progress.next(`connect · ${client.label} → Rivulet · ${connections} connections`);
      try {
        const samples = await sample(connections, warmup, () => client.firstEvent(`${baseUrl}${path}`));
        rows.push(row("client", client.id, client.label, samples));
        if (client.note) notes.push(`${client.label}: ${client.note}`);
      } finally {
        client.close?.();
      }
    }
  } finally {
    await server.stop();
  }
  return { connections, rows, notes };
}

async function sample(connections: number, warmup: number, once: () => Promise<number>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < connections; i++) samples.push(await once());
  return samples;
}

function row(kind: ConnectRow["kind"], id: string, label: string, samples: number[]): ConnectRow {
  const sorted = [...samples].sort((a, b) => a - b);
  return { kind, id, label, ms: summarize(samples), p90: quantileOfSorted(sorted, 0.9) };
}
