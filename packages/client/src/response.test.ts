import type http from "node:http";
import { RivuletError, type RivuletErrorCode } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { createClient, type ClientOptions, type ConnectionState } from "./index.js";
import { parseRetryAfter } from "./response.js";
import { contract } from "./test-utils/contract.js";
import { collect, createServerPool, openStream, rejection, sendEnd, sendEvent, type TestServer } from "./test-utils/sse-server.js";

const pool = createServerPool();
afterEach(async () => {
  // Spies first: a spy on a faked setTimeout would otherwise put the fake back.
  vi.restoreAllMocks();
  vi.useRealTimers();
  await pool.closeAll();
});

/** The real timer, kept before any test fakes it: `until` polls with it, so waiting never moves a fake clock. */
const realSetTimeout = globalThis.setTimeout;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, 2));
  }
}

/** A server that answers its n-th request (from 0) with `handler(n, res)`. */
async function startServer(handler: (n: number, res: http.ServerResponse) => void): Promise<TestServer> {
  let n = 0;
  return pool.start((_req, res) => handler(n++, res));
}

function clientOf(server: TestServer, options: Partial<ClientOptions> = {}) {
  return createClient(contract, { baseUrl: `${server.origin}/sse`, ...options });
}

async function expectRivuletError(promise: Promise<unknown>): Promise<RivuletError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(RivuletError);
  return error as RivuletError;
}

describe("a non-2xx without a Rivulet error body", () => {
  it.each<[number, RivuletErrorCode]>([
    [400, "BAD_REQUEST"],
    [401, "UNAUTHORIZED"],
    [403, "FORBIDDEN"],
    [404, "NOT_FOUND"],
    [405, "METHOD_NOT_SUPPORTED"],
    [408, "REQUEST_TIMEOUT"],
    [410, "BAD_RESPONSE"],
    [413, "PAYLOAD_TOO_LARGE"],
    [415, "UNSUPPORTED_MEDIA_TYPE"],
    [422, "BAD_RESPONSE"],
    [429, "RATE_LIMITED"],
  ])("%i is %s, with the status and the parsed body as data, and no retry", async (status, code) => {
    const body = { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } };
    const server = await startServer((_n, res) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)));
    const error = await expectRivuletError(collect(clientOf(server, { reconnect: { initialDelayMs: 1 } }).noInput()));
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.data).toStrictEqual(body);
    expect(error.message).toBe(`HTTP ${status}: invalid_request_error: Incorrect API key provided`);
    expect(error.retryAfterMs).toBeUndefined();
    expect(server.requests).toHaveLength(1);
  });

  it("keeps a Rivulet error body's own code, whatever the status", async () => {
    const server = await startServer((_n, res) =>
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":{"code":"FORBIDDEN","message":"no"}}'),
    );
    const error = await expectRivuletError(collect(clientOf(server).noInput()));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.status).toBe(401);
    expect(error.message).toBe("no");
    expect(error.data).toBeUndefined();
  });

  it("takes { message } and { error: string } bodies' messages; keeps a text body as data", async () => {
    const answers = ['{"message":"plain"}', '{"error":"Unauthorized"}', "<h1>Go away</h1>", ""];
    const server = await startServer((n, res) => res.writeHead(401).end(answers[n]));
    const errors: RivuletError[] = [];
    for (let i = 0; i < answers.length; i++) errors.push(await expectRivuletError(collect(clientOf(server).noInput())));
    expect(errors.map((e) => e.message)).toStrictEqual([
      "HTTP 401: plain",
      "HTTP 401: Unauthorized",
      "HTTP 401: <h1>Go away</h1>",
      "HTTP 401: Unauthorized",
    ]);
    expect(errors.map((e) => e.data)).toStrictEqual([{ message: "plain" }, { error: "Unauthorized" }, "<h1>Go away</h1>", undefined]);
    expect(errors.every((e) => e.code === "UNAUTHORIZED")).toBe(true);
  });

  it("does not read a body over 64 KiB: no data, the status's code", async () => {
    const server = await startServer((_n, res) => res.writeHead(403).end(`"${"x".repeat(70_000)}"`));
    const error = await expectRivuletError(collect(clientOf(server).noInput()));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.data).toBeUndefined();
    expect(error.message).toBe("HTTP 403: an error body over 65536 bytes, not read");
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it.each<[string | null, number | undefined]>([
    ["3", 3_000],
    [" 0 ", 0],
    ["Wed, 01 Jan 2025 00:00:10 GMT", 10_000],
    ["Tue, 31 Dec 2024 23:59:00 GMT", 0],
    ["Wednesday, 01-Jan-25 00:00:05 GMT", 5_000],
    ["1.5", undefined],
    ["-1", undefined],
    ["soon", undefined],
    ["", undefined],
    [null, undefined],
    ["9".repeat(400), Number.MAX_SAFE_INTEGER],
  ])("%j is %s ms", (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});

/**
 * On a fake clock (timers only; sockets and Date stay real): the client's
 * backoff wait is the first setTimeout it starts once it reports
 * "reconnecting", read from a spy, and run out by the test.
 */
describe("Retry-After", () => {
  function useFakeClock(date?: string): MockInstance<typeof setTimeout> {
    const timers = ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] as const;
    vi.useFakeTimers({ toFake: date === undefined ? [...timers] : [...timers, "Date"] });
    if (date !== undefined) vi.setSystemTime(Date.parse(date));
    return vi.spyOn(globalThis, "setTimeout");
  }

  /** Subscribes with `options`; returns the wait of each reconnect, read as the client starts it. */
  function subscribe(server: TestServer, timeouts: MockInstance<typeof setTimeout>, options: Partial<ClientOptions>) {
    const waits: number[] = [];
    const starts: number[] = [];
    const sub = clientOf(server, {
      idleTimeoutMs: false,
      ...options,
      onStateChange: (state: ConnectionState) => {
        if (state === "reconnecting") starts.push(timeouts.mock.calls.length);
      },
    }).noInput();
    const loop = collect(sub);
    const waitOf = async (i: number): Promise<number> => {
      await until(() => starts.length > i, `reconnect ${i + 1}`);
      await new Promise((resolve) => setImmediate(resolve));
      const wait = timeouts.mock.calls[starts[i] as number]?.[1] as number;
      waits.push(wait);
      return wait;
    };
    return { sub, loop, waitOf, waits };
  }

  it("waits a 429's Retry-After (seconds), not the shorter backoff, then succeeds", async () => {
    const timeouts = useFakeClock();
    vi.spyOn(Math, "random").mockReturnValue(1);
    const server = await startServer((n, res) => {
      if (n === 0) return void res.writeHead(429, { "retry-after": "3", "content-type": "application/json" }).end('{"error":{"message":"slow down"}}');
      openStream(res);
      sendEvent(res, "tick", 7);
      sendEnd(res);
    });
    const { loop, waitOf } = subscribe(server, timeouts, { reconnect: { initialDelayMs: 1_000 } });
    expect(await waitOf(0)).toBe(3_000);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await loop).map((e) => e.data)).toStrictEqual([7]);
    expect(server.requests).toHaveLength(2);
  });

  it("waits a 503's Retry-After given as an HTTP date", async () => {
    // Date too, standing at a whole second: the server's date, 20 s ahead, is then exactly 20 s away.
    const timeouts = useFakeClock("2025-01-01T00:00:00Z");
    vi.spyOn(Math, "random").mockReturnValue(0);
    const server = await startServer((n, res) => {
      if (n === 0) return void res.writeHead(503, { "retry-after": new Date(Date.now() + 20_000).toUTCString() }).end();
      openStream(res);
      sendEnd(res);
    });
    const { loop, waitOf } = subscribe(server, timeouts, { reconnect: { initialDelayMs: 1 } });
    expect(await waitOf(0)).toBe(20_000);
    await vi.advanceTimersByTimeAsync(20_000);
    await loop;
    expect(server.requests).toHaveLength(2);
  });

  it("keeps the backoff when it is the longer wait", async () => {
    const timeouts = useFakeClock();
    vi.spyOn(Math, "random").mockReturnValue(1);
    const server = await startServer((n, res) => {
      if (n === 0) return void res.writeHead(503, { "retry-after": "1" }).end();
      openStream(res);
      sendEnd(res);
    });
    const { loop, waitOf } = subscribe(server, timeouts, { reconnect: { initialDelayMs: 5_000 } });
    expect(await waitOf(0)).toBe(5_000);
    await vi.advanceTimersByTimeAsync(5_000);
    await loop;
  });

  it("waits at most maxDelayMs, however long the server asks for, and counts each 429 as a failure", async () => {
    const timeouts = useFakeClock();
    vi.spyOn(Math, "random").mockReturnValue(1);
    const server = await startServer((_n, res) => void res.writeHead(429, { "retry-after": "86400" }).end());
    const { loop, waitOf } = subscribe(server, timeouts, { reconnect: { initialDelayMs: 1, maxDelayMs: 60_000, maxAttempts: 2 } });
    const failed = expectRivuletError(loop);
    expect(await waitOf(0)).toBe(60_000);
    // The state stays "reconnecting" from here on: the next waits are found by their length.
    const capped = () => timeouts.mock.calls.filter((call) => call[1] === 60_000).length;
    for (let i = 1; i <= 2; i++) {
      await until(() => capped() === i, `wait ${i}`);
      await vi.advanceTimersByTimeAsync(59_999);
      expect(server.requests).toHaveLength(i);
      await vi.advanceTimersByTimeAsync(1);
      await until(() => server.requests.length === i + 1, `request ${i + 1}`);
    }
    const error = await failed;
    expect(error.code).toBe("NETWORK_ERROR");
    const cause = error.cause as RivuletError;
    expect(cause.code).toBe("RATE_LIMITED");
    expect(cause.retryAfterMs).toBe(86_400_000);
    expect(server.requests).toHaveLength(3);
  });

  it("with reconnect: false, throws RATE_LIMITED at once, with the Retry-After in retryAfterMs", async () => {
    const server = await startServer((_n, res) => void res.writeHead(429, { "retry-after": "7" }).end());
    const error = await expectRivuletError(collect(clientOf(server, { reconnect: false }).noInput()));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(7_000);
    expect(server.requests).toHaveLength(1);
  });

  it("does not retry a 429 without Retry-After: the server did not say when", async () => {
    const server = await startServer((_n, res) => void res.writeHead(429).end());
    const error = await expectRivuletError(collect(clientOf(server, { reconnect: { initialDelayMs: 1 } }).noInput()));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.retryAfterMs).toBeUndefined();
    expect(server.requests).toHaveLength(1);
  });

  it("keeps a Rivulet 503 body's code and adds its Retry-After", async () => {
    const server = await startServer((_n, res) =>
      res
        .writeHead(503, { "retry-after": "1", "content-type": "application/json" })
        .end('{"error":{"code":"BROKER_UNAVAILABLE","message":"Redis is away"}}'),
    );
    const error = await expectRivuletError(collect(clientOf(server, { reconnect: false }).noInput()));
    expect(error.code).toBe("BROKER_UNAVAILABLE");
    expect(error.retryAfterMs).toBe(1_000);
  });
});
