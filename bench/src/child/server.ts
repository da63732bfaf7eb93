/**
 * Entry of a server child: `server.ts <contender id> [server|publisher] [run key]`.
 * As `publisher` it serves no HTTP, only `publish` (see `Contender.publisher`).
 */
import { contenderById } from "../contenders/index.js";
import type { ServerHandle } from "../contenders/types.js";
import { collectGarbage, monoMs, sleep } from "../lib/clock.js";
import { serveIpc } from "../lib/ipc.js";
import type { ProcessStats, ServerApi, ServerInfo, ServerRole } from "./server-api.js";

const [id = "", role = "server", key = ""] = process.argv.slice(2) as [string?, ServerRole?, string?];
const contender = contenderById(id);
const run = { key };

async function start(): Promise<ServerHandle> {
  if (role === "server") return contender.serve(run);
  if (!contender.publisher) throw new Error(`${contender.id} has no publisher process`);
  return { port: 0, ...(await contender.publisher(run)) };
}

const handle = await start();

function stats(): ProcessStats {
  const cpu = process.cpuUsage();
  return { rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed, cpuMicros: cpu.user + cpu.system, at: monoMs() };
}

const api: ServerApi = {
  stats,
  gc() {
    collectGarbage();
    return stats();
  },
  async publish({ count, intervalMs, firstSeq }) {
    const { publish } = handle;
    if (!publish) throw new Error(`${contender.id} has no fan-out topic`);
    const start = monoMs();
    for (let k = 0; k < count; k++) {
      // Scheduled against the start, so a slow publish does not push the later ones back.
      const wait = start + k * intervalMs - monoMs();
      if (wait > 0) await sleep(wait);
      await publish({ seq: firstSeq + k, sentAt: monoMs(), at: new Date() });
    }
    return { published: count };
  },
};

serveIpc(api, { port: handle.port } satisfies ServerInfo);
