import { randomUUID } from "node:crypto";
import type http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { implement } from "@rivulet/server";
import { defineContract, jsonCodec, stream } from "@rivulet/shared";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { checkNginx, startNginx, type RunningNginx } from "../helpers/nginx.js";
import { aborted, createServerPool, deferred } from "../helpers/servers.js";
import { selfSignedCertificate } from "../helpers/tls.js";
import { EventReader } from "./event-reader.js";

/**
 * A Rivulet server behind a real nginx (Debian's, on its own config, port
 * and pid file; see tests/helpers/nginx.ts), configured as a team that
 * gzips everything would: `gzip on; gzip_types text/event-stream;`, and
 * nginx's default `proxy_buffering on`.
 *
 * No clock decides a result. Events are sent in lock step: the handler
 * yields event N, then waits until the test's reader has received it before
 * it yields N+1. A proxy that holds an event back therefore stalls the stream
 * for good, and the test sees a missing event, not a slow one; the 10 s
 * deadline only turns that stall into a clear failure.
 */

/** Far beyond any real delivery time: only a held-back event can miss it. */
const DEADLINE_MS = 10_000;
/** The server's keep-alive interval on the `/sse` adapter; nginx's `proxy_read_timeout` is twice it. */
const KEEP_ALIVE_MS = 500;
const PROXY_READ_TIMEOUT = "1s";
/** How long the control waits, with event 1 sent, to see that it was not received. */
const HELD_MS = 2_000;
/** The idle test waits this long, several `proxy_read_timeout` periods, with no event. */
const IDLE_MS = 3_500;

const contract = defineContract({
  /** Event N+1 is sent only once the run's reader has received event N. */
  lockstep: stream({
    input: z.object({ run: z.string(), count: z.number().int().positive() }),
    events: { tick: z.object({ n: z.number(), sentAt: z.number() }) },
  }),
  /** One event every `everyMs`, for the latency figure. */
  paced: stream({
    input: z.object({ count: z.number().int().positive(), everyMs: z.number().int().positive() }),
    events: { tick: z.object({ n: z.number(), sentAt: z.number() }) },
  }),
  /** Event 1, then silence until the run is released, then event 2. */
  idle: stream({
    input: z.object({ run: z.string() }),
    events: { tick: z.object({ n: z.number(), sentAt: z.number() }) },
  }),
});

type Gate = ReturnType<typeof deferred<void>>;

/** What a test shares with the handler serving its request: the server is in this process. */
interface Run {
  /** `sent[n - 1]` resolves when the server has written event n (the handler is pulled again only then). */
  sent: Gate[];
  /** `received[n - 1]` resolves when the reader has event n. */
  received: Gate[];
  /** Lets the handler go on without waiting for the reader. */
  release: Gate;
  /** Resolves when the handler's generator has finished, however it ended. */
  finished: Gate;
}

const runs = new Map<string, Run>();

function newRun(count = 2): { id: string; run: Run } {
  const id = randomUUID();
  const run: Run = {
    sent: Array.from({ length: count }, () => deferred()),
    received: Array.from({ length: count }, () => deferred()),
    release: deferred(),
    finished: deferred(),
  };
  runs.set(id, run);
  return { id, run };
}

function runOf(id: string): Run {
  const run = runs.get(id);
  if (!run) throw new Error(`No run ${id}.`);
  return run;
}

const router = implement(contract, {
  lockstep: async function* ({ input, signal }) {
    const run = runOf(input.run);
    try {
      for (let n = 1; n <= input.count; n++) {
        yield { event: "tick", data: { n, sentAt: performance.now() } };
        run.sent[n - 1]?.resolve();
        await Promise.race([run.received[n - 1]?.promise, run.release.promise, aborted(signal)]);
        if (signal.aborted) return;
      }
    } finally {
      run.finished.resolve();
    }
  },
  paced: async function* ({ input, signal }) {
    for (let n = 1; n <= input.count && !signal.aborted; n++) {
      if (n > 1) await Promise.race([sleep(input.everyMs), aborted(signal)]);
      yield { event: "tick", data: { n, sentAt: performance.now() } };
    }
  },
  idle: async function* ({ input, signal }) {
    const run = runOf(input.run);
    try {
      yield { event: "tick", data: { n: 1, sentAt: performance.now() } };
      await Promise.race([run.release.promise, aborted(signal)]);
      if (signal.aborted) return;
      yield { event: "tick", data: { n: 2, sentAt: performance.now() } };
    } finally {
      run.finished.resolve();
    }
  },
});

// `/sse` pings every KEEP_ALIVE_MS; `/sse-off` never does, and is the control of the idle test.
const withKeepAlive = router.node({ prefix: "/sse", codec: jsonCodec, keepAliveMs: KEEP_ALIVE_MS });
const withoutKeepAlive = router.node({ prefix: "/sse-off", codec: jsonCodec, keepAliveMs: false });
const listener: http.RequestListener = (req, res) => withKeepAlive(req, res, () => withoutKeepAlive(req, res));

/** The locations of the nginx under test, each a way a team may proxy; all strip their own prefix. */
function locations(upstreamPort: number): string {
  const upstream = `http://127.0.0.1:${upstreamPort}/`;
  return `
    # nginx's defaults: proxy_buffering on, HTTP/1.0 to the upstream.
    location /default/ { proxy_pass ${upstream}; }
    # HTTP/1.1 with pooled upstream connections, as docs/deployment.md recommends.
    location /http11/ {
      proxy_pass http://rivulet/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    # The control: nginx told to ignore the X-Accel-Buffering header Rivulet sends.
    location /ignoring/ {
      proxy_pass ${upstream};
      proxy_ignore_headers X-Accel-Buffering;
    }
    location /idle/ {
      proxy_pass http://rivulet/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout ${PROXY_READ_TIMEOUT};
    }`;
}

/** The path of a stream through one of nginx's locations, or straight to the Rivulet server when `location` is null. */
function streamPath(location: string | null, prefix: "/sse" | "/sse-off", name: keyof typeof contract, input: unknown): string {
  return `${location === null ? "" : `/${location}`}${prefix}/${name}?input=${encodeURIComponent(JSON.stringify(input))}`;
}

const available = checkNginx("the nginx proxy tests");
const pool = createServerPool();
let nginx: RunningNginx | undefined;
let upstreamOrigin: string | undefined;
const readers = new Set<EventReader>();

function upstream(): string {
  if (!upstreamOrigin) throw new Error("The Rivulet server is not running.");
  return upstreamOrigin;
}

function proxy(): RunningNginx {
  if (!nginx) throw new Error("nginx is not running.");
  return nginx;
}

async function open(
  path: string,
  onTick: (n: number) => void = () => {},
  through: { origin: string; fetcher?: typeof fetch } = proxy(),
): Promise<EventReader> {
  const reader = await EventReader.open(
    `${through.origin}${path}`,
    (event) => {
      if (event.event === "tick") onTick((JSON.parse(event.data) as { n: number }).n);
    },
    through.fetcher,
  );
  readers.add(reader);
  return reader;
}

describe.skipIf(!available)("a Rivulet stream behind nginx", () => {
  beforeAll(async () => {
    upstreamOrigin = await pool.start(listener);
    const port = Number(new URL(upstreamOrigin).port);
    nginx = await startNginx({
      http: `
        gzip on;
        gzip_types text/event-stream;
        upstream rivulet { server 127.0.0.1:${port}; keepalive 8; }`,
      server: locations(port),
    });
  });

  afterAll(async () => {
    for (const reader of readers) reader.close();
    await nginx?.stop();
    await pool.closeAll();
  });

  describe.each([
    ["nginx's defaults (proxy_buffering on, HTTP/1.0 upstream)", "default"],
    ["proxy_http_version 1.1 and pooled upstream connections", "http11"],
  ])("with gzip on and %s", (_, location) => {
    it("passes each event on before the next is sent: gzip-compressed, and nothing held back", async () => {
      const count = 5;
      const { id, run } = newRun(count);
      const reader = await open(streamPath(location, "/sse", "lockstep", { run: id, count }), (n) =>
        run.received[n - 1]?.resolve(),
      );
      // The hostile case is real: nginx gzipped the stream, and fetch decoded it.
      expect(reader.contentEncoding).toBe("gzip");
      await reader.waitForTicks(count, DEADLINE_MS, `lock step through /${location}/`);
      expect(reader.ticks()).toEqual([1, 2, 3, 4, 5]);
      await run.finished.promise;
    });
  });

  it("holds every event back when told to ignore X-Accel-Buffering (the control: the lock-step test can fail)", async () => {
    const count = 3;
    const { id, run } = newRun(count);
    let received = 0;
    let opened = false;
    // Not awaited: nginx holds even the response head back (less than its postpone_output, never flushed).
    const opening = open(streamPath("ignoring", "/sse-off", "lockstep", { run: id, count }), (n) => {
      received = n;
      run.received[n - 1]?.resolve();
    });
    // The handler has written event 1 and waits for the reader, which does not get it: nginx is buffering.
    await run.sent[0]?.promise;
    void opening.then(() => (opened = true));
    await sleep(HELD_MS);
    expect({ opened, received }).toEqual({ opened: false, received: 0 });
    // Let the handler run to its end: nginx lets go of everything only then.
    run.release.resolve();
    const reader = await opening;
    await reader.waitForEnd(DEADLINE_MS, "the buffered stream after its handler ended");
    expect(reader.ticks()).toEqual([1, 2, 3]);
  });

  it("delivers a one-per-second stream through gzip and buffering as it is sent (latency measured, not asserted)", async () => {
    const input = { count: 5, everyMs: 1_000 };
    // The same stream read straight from the server at the same time: what nginx adds is the difference.
    const [proxied, direct] = await Promise.all([
      open(streamPath("default", "/sse", "paced", input)),
      open(streamPath(null, "/sse", "paced", input), () => {}, { origin: upstream() }),
    ]);
    expect(proxied.contentEncoding).toBe("gzip");
    expect(direct.contentEncoding).toBe(null);
    for (const reader of [proxied, direct]) {
      await reader.waitForTicks(input.count, input.count * input.everyMs + DEADLINE_MS, "one event a second");
      expect(reader.ticks()).toEqual([1, 2, 3, 4, 5]);
    }
    // Server and readers share this process's clock: receive time less send time is the trip.
    const latencies = (reader: EventReader): string =>
      reader.events
        .filter((event) => event.event === "tick")
        .map((event) => (event.receivedAt - (JSON.parse(event.data) as { sentAt: number }).sentAt).toFixed(1))
        .join(", ");
    console.info(
      `per-event latency, ms: through nginx (gzip on, proxy_buffering on) ${latencies(proxied)}; direct ${latencies(direct)}`,
    );
  });

  it(`keeps an idle stream open through several proxy_read_timeout periods (${PROXY_READ_TIMEOUT}) with keepAliveMs ${KEEP_ALIVE_MS}`, async () => {
    const { id, run } = newRun();
    const reader = await open(streamPath("idle", "/sse", "idle", { run: id }));
    await reader.waitForTicks(1, DEADLINE_MS, "the idle stream's first event");
    await sleep(IDLE_MS);
    expect(reader.isEnded).toBe(false);
    // What kept it open: the server's keep-alive comments, which nginx passed on.
    expect(reader.comments).toBeGreaterThan(0);
    run.release.resolve();
    await reader.waitForTicks(2, DEADLINE_MS, "the idle stream's event after the silence");
    expect(reader.ticks()).toEqual([1, 2]);
    await run.finished.promise;
    expect(proxy().errorLog()).not.toMatch(/upstream timed out/);
  });

  it("has the idle stream cut by nginx when keep-alive is off (the control: the idle test can fail)", async () => {
    const { id, run } = newRun();
    const reader = await open(streamPath("idle", "/sse-off", "idle", { run: id }));
    await reader.waitForTicks(1, DEADLINE_MS, "the idle stream's first event");
    // Nothing is released: the stream is silent until nginx gives up on it.
    await reader.waitForEnd(DEADLINE_MS, "the silent stream without keep-alives");
    expect(reader.ticks()).toEqual([1]);
    expect(reader.comments).toBe(0);
    await vi.waitFor(() => expect(proxy().errorLog()).toMatch(/upstream timed out .* while reading upstream/), {
      timeout: DEADLINE_MS,
    });
    // nginx closed its upstream connection too, and the handler saw it.
    await run.finished.promise;
  });
});

/**
 * nginx in front for HTTP/2 (`listen … ssl http2`, nginx 1.22's spelling of
 * 1.25's `http2 on;`), HTTP/1.1 to the Rivulet server: the setup
 * docs/deployment.md gives to lift the browsers' six connections per origin.
 */
describe.skipIf(!available)("a Rivulet stream behind nginx serving HTTP/2", () => {
  const upstreams = createServerPool();
  let agent: Agent | undefined;
  let h2: { nginx: RunningNginx; fetcher: typeof fetch } | undefined;

  beforeAll(async () => {
    const { key, cert } = selfSignedCertificate();
    // node's own fetch speaks HTTP/1.1 only; undici's speaks h2 when its agent allows it, and trusts the test's certificate.
    const h2agent = new Agent({ allowH2: true, connect: { ca: cert } });
    agent = h2agent;
    const fetcher = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      // undici's fetch takes the global one's arguments, with its own copies of the types.
      undiciFetch(input as never, { ...(init as object), dispatcher: h2agent })) as unknown as typeof fetch;
    const origin = await upstreams.start(listener);
    const nginx = await startNginx({
      listen: "ssl http2",
      files: { "cert.pem": cert, "key.pem": key },
      http: `
        gzip on;
        gzip_types text/event-stream;
        upstream rivulet { server 127.0.0.1:${new URL(origin).port}; keepalive 8; }`,
      server: `
        ssl_certificate cert.pem;
        ssl_certificate_key key.pem;
        location / {
          proxy_pass http://rivulet;
          proxy_http_version 1.1;
          proxy_set_header Connection "";
        }`,
    });
    h2 = { nginx, fetcher };
  });

  afterAll(async () => {
    for (const reader of readers) reader.close();
    await agent?.destroy();
    await h2?.nginx.stop();
    await upstreams.closeAll();
  });

  it("passes each event on before the next is sent, over HTTP/2 and gzip", async () => {
    if (!h2) throw new Error("nginx is not running.");
    const count = 5;
    const { id, run } = newRun(count);
    const { nginx: front, fetcher } = h2;
    const reader = await open(streamPath(null, "/sse", "lockstep", { run: id, count }), (n) => run.received[n - 1]?.resolve(), {
      origin: front.origin,
      fetcher,
    });
    expect(reader.contentEncoding).toBe("gzip");
    await reader.waitForTicks(count, DEADLINE_MS, "lock step through nginx over HTTP/2");
    expect(reader.ticks()).toEqual([1, 2, 3, 4, 5]);
    await run.finished.promise;
    // nginx logs a request once it is done with it, which may be just after the reader saw its end.
    await reader.waitForEnd(DEADLINE_MS, "the HTTP/2 stream after its last event");
    await vi.waitFor(() => expect(front.accessLog()).toMatch(/"GET \/sse\/lockstep\?\S+ HTTP\/2\.0" 200/), {
      timeout: DEADLINE_MS,
    });
  });
});
