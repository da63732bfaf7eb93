import { createClient } from "@rivulet/client";
import { afterAll, describe, expect, it } from "vitest";
import { killChild, startChildServer, type ChildServer } from "../helpers/child-server.js";
import { contract } from "../helpers/contract.js";

const COUNT = 1_000;
/** The client's count of received events at which the server process is killed. */
const KILL_AT = [250, 600];

const children: ChildServer[] = [];
afterAll(async () => {
  await Promise.all(children.map(killChild));
});

async function startServer(port: number): Promise<ChildServer> {
  const server = await startChildServer("./counting-server.ts", { PORT: String(port), COUNT: String(COUNT) });
  children.push(server);
  return server;
}

describe("the server process dies mid-stream", () => {
  it(`SIGKILL at events ${KILL_AT.join(" and ")}, a new process on the same port: every event exactly once, in order`, async () => {
    let server = await startServer(0);
    const port = server.port;
    const pids = [server.child.pid];

    const receivedWhenReconnecting: number[] = [];
    const received: number[] = [];
    const client = createClient(contract, {
      baseUrl: `http://127.0.0.1:${port}/sse`,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: (state) => {
        if (state === "reconnecting") receivedWhenReconnecting.push(received.length);
      },
    });

    let restarting: Promise<void> | undefined;
    let restartFailed: unknown;
    // Ends the subscription if a new server cannot be started, instead of retrying until the test times out.
    const giveUp = new AbortController();
    for await (const event of client.feed(undefined, { signal: giveUp.signal })) {
      received.push(event.data);
      if (KILL_AT.includes(received.length)) {
        // Killed while the client holds an event; the client keeps reading and retrying meanwhile.
        const dying = server;
        restarting = (async () => {
          await killChild(dying);
          server = await startServer(port);
          pids.push(server.child.pid);
        })().catch((error: unknown) => {
          restartFailed = error;
          giveUp.abort();
        });
      }
    }
    await restarting;
    if (restartFailed !== undefined) throw restartFailed;

    const duplicated = received.length - new Set(received).size;
    console.log(
      `[faults/kill] ${COUNT} events, ${KILL_AT.length} SIGKILLs (pids ${pids.join(" → ")}), ` +
        `reconnecting after ${receivedWhenReconnecting.join(", ")} events, received ${received.length}, ` +
        `lost ${COUNT - new Set(received).size}, duplicated ${duplicated}`,
    );
    expect(received).toStrictEqual(Array.from({ length: COUNT }, (_, n) => n));
    expect(new Set(pids).size).toBe(KILL_AT.length + 1);
    expect(children.slice(0, -1).map((child) => child.child.signalCode)).toStrictEqual(KILL_AT.map(() => "SIGKILL"));
    // Each kill broke a live stream: the client noticed before it had everything.
    expect(receivedWhenReconnecting).toHaveLength(KILL_AT.length);
    for (const [i, at] of receivedWhenReconnecting.entries()) {
      expect(at).toBeGreaterThanOrEqual(KILL_AT[i] as number);
      expect(at).toBeLessThan(COUNT);
    }
  });
});
