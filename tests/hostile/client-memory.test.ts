/**
 * A server that floods the client: a line that never ends, an event that
 * never ends, an error body of 200 MiB. The client reads about
 * `maxEventBytes` (or a 64 KiB error-body prefix), ends with a RivuletError
 * and leaves, so the server can write no more than that plus what the socket
 * buffers hold. Heap figures need `gc()`: the last test gets it in a child
 * process; the others assert on bytes, which need nothing.
 */
import { createClient } from "@rivulet/client";
import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { runChildScript } from "../helpers/child-server.js";
import { recordingFetch } from "../helpers/fake-clock.js";
import { startFloodServer, type Flood, type FloodServer } from "../helpers/hostile-server.js";
import { rejection } from "../helpers/servers.js";

const MiB = 1024 * 1024;
/** The limit the tests set: small, so that the bound is far below what the server would send. */
const MAX_EVENT_BYTES = 1 * MiB;
/**
 * What the socket may hold on top of what the client read: the server's and
 * the client's kernel buffers and undici's queue. About 3 MiB here on
 * loopback; the bound leaves room for buffers grown larger on another machine.
 */
const SOCKET_SLACK = 16 * MiB;
/** Client reads arrive in chunks of up to 64 KiB; one more read than needed is allowed for. */
const READ_SLACK = 1 * MiB;

const contract = defineContract({ feed: stream({ events: { tick: z.string() } }) });

const servers: FloodServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function flood(spec: Flood): Promise<FloodServer> {
  const server = await startFloodServer(spec);
  servers.push(server);
  return server;
}

/** Retries would show as more requests: 2 more at most, 1 ms apart, before `NETWORK_ERROR`. */
function clientOf(server: FloodServer) {
  const net = recordingFetch();
  const client = createClient(contract, {
    baseUrl: server.origin,
    fetch: net.fetch,
    maxEventBytes: MAX_EVENT_BYTES,
    reconnect: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 },
  });
  return { client, net };
}

/** Runs the subscription to its end: the data it delivered, and the RivuletError it ended with. */
async function runToError(client: ReturnType<typeof clientOf>["client"]): Promise<{ received: string[]; error: RivuletError }> {
  const received: string[] = [];
  const error = await rejection(
    (async () => {
      for await (const event of client.feed()) received.push(event.data);
    })(),
  );
  expect(error).toBeInstanceOf(RivuletError);
  return { received, error: error as RivuletError };
}

describe("a server that floods the client with one event", () => {
  const TOTAL = 100 * MiB;

  it.each<[string, Flood]>([
    [
      "`data: ` and then 100 MiB without a line end",
      { head: 'event: tick\ndata: "before"\n\ndata: ', piece: "x".repeat(1024), totalBytes: TOTAL },
    ],
    [
      "one event of 100 MiB in short data: lines",
      { head: 'event: tick\ndata: "before"\n\nevent: tick\n', piece: `data: ${"x".repeat(90)}\n`, totalBytes: TOTAL },
    ],
  ])("%s: EVENT_TOO_LARGE after the events before it, no retry; the client leaves having read about maxEventBytes", async (_n, spec) => {
    const server = await flood(spec);
    const { client, net } = clientOf(server);
    const { received, error } = await runToError(client);

    expect(received).toStrictEqual(["before"]);
    expect(error.code).toBe("EVENT_TOO_LARGE");
    expect(error.message).toBe(`The server sent an event or a line over maxEventBytes (${MAX_EVENT_BYTES}).`);
    expect(server.responses).toHaveLength(1);
    expect(await server.responses[0]?.closed).toStrictEqual({ left: true });
    const written = server.responses[0]?.written ?? Number.NaN;
    expect(written).toBeLessThanOrEqual(MAX_EVENT_BYTES + SOCKET_SLACK);
    expect(net.attempts[0]?.bytesRead).toBeLessThanOrEqual(MAX_EVENT_BYTES + READ_SLACK);
    expect(net.attempts[0]?.signal.aborted).toBe(true);
  });
});

describe("a server that answers 500 with a 200 MiB body", () => {
  it("reads at most a 64 KiB prefix of each attempt's body and gives up with BAD_RESPONSE 500 as the cause", async () => {
    const server = await flood({
      status: 500,
      contentType: "application/json",
      head: '{"error":{"code":"INTERNAL_SERVER_ERROR","message":"',
      piece: "x".repeat(1024),
      totalBytes: 200 * MiB,
    });
    const { client, net } = clientOf(server);
    const { error } = await runToError(client);

    // A 5xx is retried: the three attempts of maxAttempts: 2, each read in part only.
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.message).toMatch(/^Gave up after 2 reconnection attempts: /);
    const cause = error.cause as RivuletError;
    expect(cause).toBeInstanceOf(RivuletError);
    expect(cause.code).toBe("BAD_RESPONSE");
    expect(cause.status).toBe(500);
    expect(cause.message).toBe("HTTP 500: an error body over 65536 bytes, not read");
    expect(server.responses).toHaveLength(3);
    for (const [i, response] of server.responses.entries()) {
      expect(await response.closed, `response ${i}`).toStrictEqual({ left: true });
      expect(response.written, `response ${i}`).toBeLessThanOrEqual(64 * 1024 + SOCKET_SLACK);
      expect(net.attempts[i]?.bytesRead, `attempt ${i}`).toBeLessThanOrEqual(64 * 1024 + READ_SLACK);
    }
  });

  it("still reads an error body of just under 64 KiB whole: the server's code and message", async () => {
    // The JSON, then spaces (still JSON) up to 64 KiB.
    const server = await flood({
      status: 403,
      contentType: "application/json",
      head: JSON.stringify({ error: { code: "FORBIDDEN", message: "no" } }),
      piece: " ",
      totalBytes: 64 * 1024,
    });
    const { client } = clientOf(server);
    const { error } = await runToError(client);
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toBe("no");
    expect(error.status).toBe(403);
    expect(await server.responses[0]?.closed).toStrictEqual({ left: false });
  });
});

describe("the client process's memory", () => {
  // In a child with --expose-gc: the heap is the client's (and its in-process flood server's,
  // which holds one 64 KiB chunk), and the kernel's RSS high-water mark is a true peak.
  it("peaks at a few MiB against 100 MiB without a line end, and gc() gets it all back", async () => {
    const run = await runChildScript("../hostile/client-memory-probe.ts", {
      nodeArgs: ["--expose-gc"],
      env: { CASE: "line", TOTAL_MB: "100", MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) },
      timeoutMs: 25_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const figures = JSON.parse(run.stdout.trim().split("\n").at(-1) as string) as {
      outcome: string;
      serverWroteMiB: number;
      peakMiB: { rss: number; heapUsed: number };
      heapAfterGcMiB: number;
    };
    console.log(`[hostile/client-memory] 100 MiB line, maxEventBytes 1 MiB: ${JSON.stringify(figures)}`);
    expect(figures.outcome).toMatch(/^RivuletError EVENT_TOO_LARGE/);
    // Before the bound, the same run peaked at +157–174 MiB of RSS and +103 MiB of heap.
    expect(figures.peakMiB.rss).toBeLessThan(48);
    expect(figures.heapAfterGcMiB).toBeLessThan(8);
  });
});
