/**
 * What a POST can make the server do (issue 10, items 7 and 9). A plain HTML
 * form, from any site and without a CORS preflight, must not start a stream
 * (a paid model call): only `Content-Type: application/json` is read, anything
 * else is a 415 before the body is. A body sent slowly is held at most
 * `bodyTimeoutMs`, then answered 408 and let go of. Real servers on real
 * sockets; only the timers are faked, for the timeout.
 */
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { createClient } from "@rivulet/client";
import { implement, type ErrorInfo } from "@rivulet/server";
import { defineContract, stream, type RivuletError } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { until, useFakeClock } from "../helpers/fake-clock.js";
import { collect, createServerPool, fetchToNode } from "../helpers/servers.js";

const pool = createServerPool();
const sockets = new Set<net.Socket>();
afterEach(async () => {
  vi.useRealTimers();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await pool.closeAll();
});

const contract = defineContract({
  /** Stands for a stream that costs money to start, such as a model call. */
  charge: stream({ input: z.object({ prompt: z.string() }), events: { token: z.string() } }),
  free: stream({ events: { token: z.string() } }),
});

function serve() {
  const calls: string[] = [];
  const errors: Array<{ error: RivuletError; info: ErrorInfo }> = [];
  const router = implement(contract, {
    charge: async function* ({ input }) {
      calls.push(`charge ${input.prompt}`);
      yield { event: "token", data: input.prompt };
    },
    free: async function* () {
      calls.push("free");
      yield { event: "token", data: "free" };
    },
  });
  const onError = (error: RivuletError, info: ErrorInfo): void => {
    errors.push({ error, info });
  };
  return { router, calls, errors, onError };
}

type Served = ReturnType<typeof serve>;
const adapters = [
  ["router.node", (s: Served) => s.router.node({ prefix: "/sse", onError: s.onError })],
  ["router.fetchHandler", (s: Served) => fetchToNode(s.router.fetchHandler({ prefix: "/sse", onError: s.onError }))],
] as const;

/** A form can hold a JSON body too (a text/plain form whose field name is the JSON): only the type tells. */
const BODY = JSON.stringify({ prompt: "hi" });

/** POSTs `body` with exactly the headers given (no Content-Type unless one is given), with node's client. */
function post(base: string, path: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; contentType: string | undefined; text: string }>((resolve, reject) => {
    const request = http.request(`${base}/sse/${path}`, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) } });
    request.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, contentType: response.headers["content-type"], text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe.each(adapters)("POST content types (%s)", (_name, adapter) => {
  it.each([
    ["text/plain", "text/plain"],
    ["text/plain with a charset", "text/plain;charset=UTF-8"],
    ["a url-encoded form", "application/x-www-form-urlencoded"],
    ["a multipart form", "multipart/form-data; boundary=----x"],
    ["no Content-Type", undefined],
    ["a JSON look-alike", "application/jsonp"],
  ])("%s is refused with 415 UNSUPPORTED_MEDIA_TYPE and its JSON body; no handler runs", async (_case, type) => {
    const s = serve();
    const base = await pool.start(adapter(s));
    const answer = await post(base, "charge", type === undefined ? {} : { "content-type": type }, BODY);
    expect(answer.status).toBe(415);
    expect(answer.contentType).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.text)).toEqual({
      error: { code: "UNSUPPORTED_MEDIA_TYPE", message: expect.stringContaining("application/json") },
    });
    expect(s.calls).toEqual([]);
    expect(s.errors.map(({ error, info }) => [error.code, error.status, info.phase])).toEqual([
      ["UNSUPPORTED_MEDIA_TYPE", 415, "request"],
    ]);
  });

  it.each(["application/json", "Application/JSON; charset=utf-8", " application/json ;charset=UTF-8"])(
    "%j starts the stream",
    async (type) => {
      const s = serve();
      const base = await pool.start(adapter(s));
      const answer = await post(base, "charge", { "content-type": type }, BODY);
      expect(answer.status).toBe(200);
      expect(answer.text).toContain('data: "hi"');
      expect(s.calls).toEqual(["charge hi"]);
    },
  );

  it("the typed client POSTs as application/json, with an input and without one", async () => {
    const s = serve();
    const base = await pool.start(adapter(s));
    const client = createClient(contract, { baseUrl: `${base}/sse`, method: "POST", reconnect: false });
    expect((await collect(client.charge({ prompt: "typed" }))).map((event) => event.data)).toEqual(["typed"]);
    expect((await collect(client.free())).map((event) => event.data)).toEqual(["free"]);
    expect(s.calls).toEqual(["charge typed", "free"]);
  });
});

/** A raw connection to `port`, closed after the test. */
async function connect(port: number): Promise<{ socket: net.Socket; reply: () => string; closed: () => boolean }> {
  const socket = net.connect(port, "127.0.0.1");
  sockets.add(socket);
  let reply = "";
  let closed = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (reply += chunk));
  socket.on("error", () => {});
  socket.on("close", () => (closed = true));
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  return { socket, reply: () => reply, closed: () => closed };
}

/** The node adapter under `/sse`, with a hook that sees each request as it is handed over. */
async function nodeServer(s: Served, options: { bodyTimeoutMs?: number | false } = {}) {
  const handler = s.router.node({ prefix: "/sse", onError: s.onError, ...options });
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    // The adapter starts reading the body, and its timer, in this call.
    handler(req, res);
    requests.push(req);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const HEAD = (length: number, type = "application/json"): string =>
  `POST /sse/charge HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;

describe("a slow body, node adapter", () => {
  it("refuses a form before reading its body: the 415 comes while the body is still missing", async () => {
    const s = serve();
    const server = await nodeServer(s);
    try {
      const { socket, reply, closed } = await connect(server.port);
      socket.write(`${HEAD(1_000, "text/plain")}{"prompt":`);
      await until(() => reply().includes("}}"), "the 415");
      expect(reply()).toMatch(/^HTTP\/1\.1 415 /);
      expect(reply()).toContain('"code":"UNSUPPORTED_MEDIA_TYPE"');
      // The rest of the body would never be read: the server closes the connection instead.
      await until(closed, "the server to close the connection");
      expect(s.calls).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("gets 408 REQUEST_TIMEOUT once bodyTimeoutMs has passed, the request let go of and no handler run", async () => {
    useFakeClock();
    const s = serve();
    const server = await nodeServer(s);
    try {
      const { socket, reply, closed } = await connect(server.port);
      socket.write(`${HEAD(BODY.length)}${BODY.slice(0, 5)}`);
      await until(() => server.requests.length === 1, "the request to reach the adapter");
      vi.advanceTimersByTime(10_000);
      await until(() => reply().includes("}}"), "the 408");
      expect(reply()).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply()).toMatch(/\r\nconnection: close\r\n/i);
      // The body is chunked: its one chunk is the JSON.
      expect(JSON.parse(/\{"error".*\}\}/.exec(reply())?.[0] ?? "")).toEqual({
        error: { code: "REQUEST_TIMEOUT", message: "The body did not arrive whole within 10000 ms." },
      });
      await until(closed, "the server to close the connection");
      expect(server.requests[0]?.destroyed).toBe(true);
      expect(s.calls).toEqual([]);
      expect(s.errors.map(({ error, info }) => [error.code, error.status, info.phase])).toEqual([
        ["REQUEST_TIMEOUT", 408, "request"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("serves a body that arrives whole just within bodyTimeoutMs", async () => {
    useFakeClock();
    const s = serve();
    const server = await nodeServer(s, { bodyTimeoutMs: 2_000 });
    try {
      const { socket, reply, closed } = await connect(server.port);
      socket.write(`${HEAD(BODY.length)}${BODY.slice(0, 5)}`);
      await until(() => server.requests.length === 1, "the request to reach the adapter");
      vi.advanceTimersByTime(1_999);
      socket.write(BODY.slice(5));
      await until(() => reply().includes("rivulet:end"), "the stream");
      expect(reply()).toMatch(/^HTTP\/1\.1 200 /);
      expect(s.calls).toEqual(["charge hi"]);
      // The timer was cleared with the body in: the stream outlives the timeout untouched.
      vi.advanceTimersByTime(10_000);
      expect(s.errors).toEqual([]);
      expect(closed()).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe("a slow body, fetch adapter", () => {
  const JSON_TYPE = { "content-type": "application/json" };

  /** A request whose body stream sends `first` and then waits for the test. */
  function slowRequest(first: string) {
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const cancelled: unknown[] = [];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        c.enqueue(encoder.encode(first));
      },
      cancel(reason) {
        cancelled.push(reason);
      },
    });
    const request = new Request("http://x/sse/charge", { method: "POST", headers: JSON_TYPE, body, duplex: "half" } as RequestInit);
    return {
      request,
      cancelled,
      finish(rest: string) {
        controller.enqueue(encoder.encode(rest));
        controller.close();
      },
    };
  }

  it("gets 408 REQUEST_TIMEOUT once bodyTimeoutMs has passed, the body stream cancelled and no handler run", async () => {
    useFakeClock();
    const s = serve();
    const handler = s.router.fetchHandler({ prefix: "/sse", onError: s.onError });
    const slow = slowRequest(BODY.slice(0, 5));
    const answering = handler(slow.request);
    vi.advanceTimersByTime(10_000);
    const response = await answering;
    expect(response.status).toBe(408);
    expect(await response.json()).toEqual({
      error: { code: "REQUEST_TIMEOUT", message: "The body did not arrive whole within 10000 ms." },
    });
    expect(slow.cancelled).toEqual([expect.objectContaining({ code: "REQUEST_TIMEOUT" })]);
    expect(s.calls).toEqual([]);
    expect(s.errors.map(({ error }) => error.code)).toEqual(["REQUEST_TIMEOUT"]);
  });

  it("serves a body that arrives whole just within bodyTimeoutMs", async () => {
    useFakeClock();
    const s = serve();
    const handler = s.router.fetchHandler({ prefix: "/sse", onError: s.onError, bodyTimeoutMs: 2_000 });
    const slow = slowRequest(BODY.slice(0, 5));
    const answering = handler(slow.request);
    vi.advanceTimersByTime(1_999);
    slow.finish(BODY.slice(5));
    const response = await answering;
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data: "hi"');
    expect(slow.cancelled).toEqual([]);
    expect(s.calls).toEqual(["charge hi"]);
  });
});
