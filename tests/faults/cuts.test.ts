import net from "node:net";
import type { AddressInfo } from "node:net";
import { createClient } from "@rivulet/client";
import { implement, resumeAfter } from "@rivulet/server";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "../helpers/contract.js";
import { seededRandom, startCuttingProxy, type Cut, type CuttingProxy, type CutRecord } from "../helpers/cutting-proxy.js";
import { createServerPool } from "../helpers/servers.js";

/** Change it (FAULT_SEED=…) to explore other cuts; the default keeps CI reproducible. */
const SEED = Number(process.env["FAULT_SEED"] ?? 20_240_611);

const pool = createServerPool();
const proxies: CuttingProxy[] = [];
const rawServers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(
    rawServers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  await pool.closeAll();
});

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Lost and duplicated numbers of a run that should have delivered exactly `0..count-1` once each. */
function tally(received: readonly number[], count: number): { lost: number; duplicated: number } {
  const seen = new Set(received);
  return { lost: range(count).filter((n) => !seen.has(n)).length, duplicated: received.length - seen.size };
}

function report(title: string, proxy: CuttingProxy, received: readonly number[], count: number): void {
  const { lost, duplicated } = tally(received, count);
  const between = proxy.cuts.filter((cut) => cut.before.endsWith('\\r"') && cut.after.startsWith('"\\n')).length;
  const inBody = proxy.cuts.filter((cut) => cut.region === "body").length;
  const resets = proxy.cuts.filter((cut) => cut.how === "rst").length;
  console.log(
    `[faults/cuts] ${title} (seed ${SEED}): ${count} events, ${proxy.cuts.length} cuts ` +
      `(${inBody} in the body, ${proxy.cuts.length - inBody} in the response head, ${between} between a CR and its LF; ${resets} by TCP reset), ` +
      `${proxy.connections} connections, events received ${received.length}, lost ${lost}, duplicated ${duplicated}`,
  );
  console.log(proxy.cuts.map(describeCut).join("\n"));
}

const describeCut = (cut: CutRecord): string =>
  `  #${cut.connection} at byte ${cut.offset} (${cut.region}, ${cut.how}): …${cut.before} ✂ ${cut.after}…`;

describe("a proxy that cuts the connection at random bytes", () => {
  it("1,000 events through 25 cuts: every number exactly once, in order (0 lost, 0 duplicated)", async () => {
    const COUNT = 1_000;
    const CUTS = 25;
    let handlerRuns = 0;
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* ({ lastEventId }) {
        handlerRuns++;
        yield* resumeAfter(
          lastEventId,
          range(COUNT).map((n) => ({ event: "tick" as const, id: String(n), data: n })),
        );
      },
    });
    const origin = await pool.start(router.node({ prefix: "/sse" }));

    // A connection carries ~37 bytes per event (chunk framing included) after ~190 bytes of head:
    // cuts within the first 1,600 bytes always fall before the stream's end, and some fall in the head.
    const random = seededRandom(SEED);
    const plan = (connection: number): Cut | undefined => {
      if (connection >= CUTS) return undefined;
      const at = 1 + Math.floor(random() * 1_600);
      // A third of the cuts between a CR and its LF (in the head, or in the chunked framing);
      // a quarter of them end with a TCP reset instead of a FIN.
      const cut: Cut = random() < 1 / 3 ? { at, after: "\r" } : { at };
      if (random() < 1 / 4) cut.reset = true;
      return cut;
    };
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port: Number(new URL(origin).port) }, plan);
    proxies.push(proxy);

    const states: string[] = [];
    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: (state) => states.push(state),
    });
    const received: number[] = [];
    for await (const event of client.feed()) received.push(event.data);

    report("Rivulet server", proxy, received, COUNT);
    expect(tally(received, COUNT)).toStrictEqual({ lost: 0, duplicated: 0 });
    expect(received).toStrictEqual(range(COUNT));
    expect(proxy.cuts).toHaveLength(CUTS);
    expect(proxy.connections).toBeGreaterThanOrEqual(CUTS + 1);
    expect(proxy.cuts.some((cut) => cut.region === "body")).toBe(true);
    expect(handlerRuns).toBeGreaterThanOrEqual(CUTS);
    expect(states.at(-1)).toBe("closed");
  });

  it("cuts on top of maxDurationMs rotations: still every number exactly once, in order", async () => {
    const COUNT = 500;
    const CUTS = 6;
    let handlerRuns = 0;
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* ({ lastEventId }) {
        handlerRuns++;
        // Starts after lastEventId itself (no skipping), so a resume costs no time against the rotation.
        for (let n = lastEventId === undefined ? 0 : Number(lastEventId) + 1; n < COUNT; n++) {
          yield { event: "tick", id: String(n), data: n };
          if (n % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 1));
        }
      },
    });
    const handler = router.node({ prefix: "/sse", maxDurationMs: 25 });
    let rotations = 0;
    const origin = await pool.start((req, res) => {
      // Counts the rotations: the `retry:` hint the server writes when maxDurationMs ends a response.
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (typeof chunk === "string" && chunk.startsWith("retry:")) rotations++;
        return write(chunk, ...rest);
      }) as typeof res.write;
      handler(req, res);
    });
    const random = seededRandom(SEED + 2);
    // A rotation ends its response normally, so the client's next request may reuse the TCP connection:
    // the proxy counts bytes per connection, over however many responses it carries. 6 cuts within
    // 2,200 bytes each always come before the ~18 kB of the stream are through.
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port: Number(new URL(origin).port) }, (n) =>
      n < CUTS ? { at: 200 + Math.floor(random() * 2_000) } : undefined,
    );
    proxies.push(proxy);
    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
    });

    const received: number[] = [];
    for await (const event of client.feed()) received.push(event.data);

    console.log(
      `[faults/cuts] rotations + cuts: ${COUNT} events, ${proxy.cuts.length} cuts, ${rotations} rotations ` +
        `(${handlerRuns} requests served on ${proxy.connections} connections), lost ${tally(received, COUNT).lost}, duplicated ${tally(received, COUNT).duplicated}`,
    );
    expect(received).toStrictEqual(range(COUNT));
    expect(proxy.cuts).toHaveLength(CUTS);
    // The last connection alone streams ≥ 140 events with a ≥ 1 ms pause every 5: longer than 25 ms.
    expect(rotations).toBeGreaterThan(0);
    // Every cut connection served at least one request, and so did the last one.
    expect(handlerRuns).toBeGreaterThanOrEqual(1 + CUTS);
  });

  it("cuts inside multi-byte characters, and right after the last event: the resume gets 204 and ends", async () => {
    const COUNT = 50;
    const statuses: number[] = [];
    const router = implement(contract, {
      ledger: async function* () {},
      feed: async function* () {},
      prices: {
        quote: async function* ({ input, lastEventId }) {
          const prices = range(COUNT).map((n) => ({
            event: "price" as const,
            id: String(n),
            data: { symbol: `${input.symbol}-${n}`, price: n + 1 },
          }));
          yield* resumeAfter(lastEventId, prices);
        },
      },
    });
    const handler = router.node({ prefix: "/sse" });
    const origin = await pool.start((req, res) => {
      res.once("close", () => statuses.push(res.statusCode));
      handler(req, res);
    });
    // As latin1, "\u00e6" is the first byte of 日 (E6 97 A5) and "\u00f0" that of 😀 (F0 9F 98 80).
    const plan: Cut[] = [
      { at: 400, after: "\u00e6" },
      { at: 300, after: "\u00f0\u009f" },
      { at: 1, after: `"price":${COUNT}}\n\n` },
    ];
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port: Number(new URL(origin).port) }, (n) => plan[n]);
    proxies.push(proxy);

    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
    });
    const symbols: string[] = [];
    for await (const price of client.prices.quote({ symbol: "日本😀" }).events.price) symbols.push(price.symbol);

    console.log(proxy.cuts.map(describeCut).join("\n"));
    expect(symbols).toStrictEqual(range(COUNT).map((n) => `日本😀-${n}`));
    expect(proxy.cuts).toHaveLength(plan.length);
    expect(proxy.cuts.map((cut) => cut.after.charCodeAt(1) & 0xc0)).toStrictEqual([0x80, 0x80, expect.any(Number)]);
    // The last connection was a resume of a stream with nothing left: 204, and the client stopped.
    expect(statuses).toHaveLength(plan.length + 1);
    expect(statuses.at(-1)).toBe(204);
    expect(proxy.connections).toBe(plan.length + 1);
  });

  it("a hand-written server with CRLF line ends: cuts between CR and LF lose and repeat nothing", async () => {
    const COUNT = 300;
    const CUTS = 20;
    const port = await startCrlfServer(COUNT);
    const random = seededRandom(SEED + 1);
    // Body bytes are exact here (no chunked framing): ~36 bytes per event after a ~100-byte head.
    const patterns = [undefined, "\r", "\r\n\r"] as const;
    const plan = (connection: number): Cut | undefined => {
      if (connection >= CUTS) return undefined;
      const at = 1 + Math.floor(random() * 500);
      const after = patterns[connection % patterns.length];
      return after === undefined ? { at } : { at, after };
    };
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port }, plan);
    proxies.push(proxy);

    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
    });
    const received: number[] = [];
    for await (const tick of client.feed().events.tick) received.push(tick);

    report("CRLF server", proxy, received, COUNT);
    expect(received).toStrictEqual(range(COUNT));
    expect(proxy.cuts).toHaveLength(CUTS);
    // Every "\r" and "\r\n\r" cut delivered a CR without its LF; a blank line's CR completes its event.
    const betweenCrLf = proxy.cuts.filter((cut) => cut.before.endsWith('\\r"') && cut.after.startsWith('"\\n'));
    expect(betweenCrLf.length).toBeGreaterThanOrEqual(Math.floor((CUTS * 2) / 3));
    expect(betweenCrLf.filter((cut) => cut.before.endsWith('\\r\\n\\r"')).length).toBeGreaterThan(0);
    expect(betweenCrLf.filter((cut) => cut.region === "body").length).toBeGreaterThan(0);
  });
});

describe("a proxy that holds every CR back from its LF, without cutting", () => {
  it("each CRLF read in two pieces is still one line end: every event once, one connection", async () => {
    const COUNT = 30;
    const port = await startCrlfServer(COUNT);
    const proxy = await startCuttingProxy({ host: "127.0.0.1", port }, () => undefined, { holdAfterCRMs: 2 });
    proxies.push(proxy);
    const states: string[] = [];
    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onStateChange: (state) => states.push(state),
    });

    const received: number[] = [];
    for await (const event of client.feed()) received.push(event.data);

    console.log(`[faults/cuts] CRLF server, no cut: ${proxy.holds} CRs held 2 ms apart from their LF, ${received.length} events`);
    expect(received).toStrictEqual(range(COUNT));
    expect(proxy.connections).toBe(1);
    expect(states).toStrictEqual(["connecting", "open", "closed"]);
    // Head, comment, 4 lines per event, the end event's 3: a CR before every LF, each held.
    expect(proxy.holds).toBeGreaterThanOrEqual(COUNT * 4);
  });
});

/**
 * A raw TCP server that speaks just enough HTTP/1.1: every response is
 * `Connection: close` with the body delimited by the close, and every line
 * of the event stream ends with CRLF. It resumes after `Last-Event-ID`.
 */
async function startCrlfServer(count: number): Promise<number> {
  const server = net.createServer((socket) => {
    let head = "";
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      if (head.includes("\r\n\r\n")) return;
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      const lastEventId = /^last-event-id:[ \t]*(\d+)[ \t]*$/im.exec(head)?.[1];
      const from = lastEventId === undefined ? 0 : Number(lastEventId) + 1;
      let body = ": hand-written, CRLF line ends\r\n\r\n";
      for (let n = from; n < count; n++) body += `event: tick\r\nid: ${n}\r\ndata: ${n}\r\n\r\n`;
      body += "event: rivulet:end\r\ndata: \r\n\r\n";
      socket.end(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n" +
          `Cache-Control: no-cache\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}
