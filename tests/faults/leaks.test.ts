import { describe, expect, it } from "vitest";
import { runChildScript } from "../helpers/child-server.js";

const CYCLES = 1_000;
const HEAP_BOUND = 10 * 1024 * 1024;

/** What tests/helpers/leak-check.ts prints. */
interface LeakFigures {
  cycles: number;
  warmup: number;
  concurrency: number;
  modes: Record<"break" | "abort" | "close" | "destroy" | "stuck", number>;
  durationMs: number;
  endless: { started: number; finished: number };
  running: number;
  stuck: { started: number; socketsClosed: number };
  serverConnections: number;
  servingSocketsOpen: number;
  unusedPoolSocketsClosed: { warmup: number; cycles: number };
  signalsAliveAfterGc: { endless: number; stuck: number };
  heap: { baseline: number; after: number; delta: number };
  resources: { baseline: Record<string, number>; after: Record<string, number> };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

describe("1,000 connect/disconnect cycles leave nothing behind", () => {
  // In a child process with --expose-gc: its heap and handles are the server's and client's
  // alone (no vitest worker around them), and gc() makes the heap figures mean something.
  it("break, abort, close(), socket destroy and stuck generators: no generator, socket, handle or heap left", async () => {
    const run = await runChildScript("./leak-check.ts", {
      nodeArgs: ["--expose-gc"],
      env: { CYCLES: String(CYCLES) },
      timeoutMs: 50_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const figures = JSON.parse(run.stdout.trim().split("\n").at(-1) as string) as LeakFigures;

    console.log(
      [
        `[faults/leaks] ${figures.cycles} cycles after ${figures.warmup} warm-up ones, ${figures.concurrency} at a time, ${figures.durationMs} ms`,
        `  endings: ${Object.entries(figures.modes).map(([mode, n]) => `${mode} ${n}`).join(", ")} (warm-up included)`,
        `  endless generators: started ${figures.endless.started}, finished ${figures.endless.finished}, still running ${figures.running}`,
        `  stuck generators (finally can never run): ${figures.stuck.started}, their sockets closed ${figures.stuck.socketsClosed}`,
        `  handler signals still reachable after gc: endless ${figures.signalsAliveAfterGc.endless}, stuck ${figures.signalsAliveAfterGc.stuck}`,
        `  server connections: ${figures.serverConnections} (serving sockets open ${figures.servingSocketsOpen}; ` +
          `unused undici pool sockets closed: ${figures.unusedPoolSocketsClosed.cycles})`,
        `  heap after gc: baseline ${mb(figures.heap.baseline)}, after ${mb(figures.heap.after)}, delta ${mb(figures.heap.delta)}`,
        `  active resources: baseline ${JSON.stringify(figures.resources.baseline)}, after ${JSON.stringify(figures.resources.after)}`,
      ].join("\n"),
    );

    const perMode = CYCLES / 5;
    expect(figures.endless).toStrictEqual({ started: perMode * 4, finished: perMode * 4 });
    expect(figures.running).toBe(0);
    expect(figures.stuck).toStrictEqual({ started: perMode, socketsClosed: perMode });
    expect(figures.serverConnections).toBe(0);
    expect(figures.servingSocketsOpen).toBe(0);
    // Nothing keeps the handlers' state alive, the stuck ones included (a strong leak would keep them all).
    expect(figures.signalsAliveAfterGc.endless).toBeLessThanOrEqual(figures.concurrency);
    expect(figures.signalsAliveAfterGc.stuck).toBeLessThanOrEqual(figures.concurrency);
    expect(figures.resources.after).toStrictEqual(figures.resources.baseline);
    expect(figures.heap.delta).toBeLessThan(HEAP_BOUND);
  });
});
