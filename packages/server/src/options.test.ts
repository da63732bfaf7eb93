import http from "node:http";
import { RivuletError, jsonCodec } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { implement } from "./implement.js";
import { contract, query } from "./test-utils/contract.js";
import { closeAll, connect, readStream, serve, waitFor } from "./test-utils/index.js";

afterEach(closeAll);

const clockOnce = {
  ticker: async function* () {},
  chat: { room: async function* () {} },
  clock: async function* () {
    yield { event: "tick" as const, data: { n: 1 } };
  },
};

describe("prefix", () => {
  it.each(["sse", "/sse", "/sse/", "sse//"])("%j serves the streams under /sse", async (prefix) => {
    const router = implement(contract, clockOnce);
    const response = await router.fetchHandler({ prefix })(new Request("http://x/sse/clock"));
    expect(response.status).toBe(200);
    expect((await readStream(response.body)).events.map((e) => e.event)).toEqual(["tick", "rivulet:end"]);
  });

  it.each(["", "/"])("%j serves the streams at the root", async (prefix) => {
    const router = implement(contract, clockOnce);
    const response = await router.fetchHandler({ prefix })(new Request("http://x/clock"));
    expect(response.status).toBe(200);
  });
});

describe("event names", () => {
  it("refuses an inherited property name as an event, not only unknown own names", async () => {
    const router = implement(contract, {
      ...clockOnce,
      clock: async function* () {
        yield { event: "toString", data: {} } as never;
      },
    });
    const onError = vi.fn();
    const response = await router.fetchHandler({ onError })(new Request("http://x/clock"));
    const { events } = await readStream(response.body);
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toBe("rivulet:error");
    expect(JSON.parse(events[0]?.data ?? "")).toMatchObject({ code: "INVALID_EVENT" });
  });
});

describe("signal", () => {
  it("is aborted after a normal end with the fetch adapter too", async () => {
    let seen: AbortSignal | undefined;
    const router = implement(contract, {
      ...clockOnce,
      clock: async function* ({ signal }) {
        seen = signal;
        yield { event: "tick" as const, data: { n: 1 } };
      },
    });
    const response = await router.fetch(new Request("http://x/clock"));
    await readStream(response.body);
    expect(seen?.aborted).toBe(true);
  });
});

describe("a client that leaves during its upload", () => {
  it("is not reported as a server error", async () => {
    const onError = vi.fn<(error: RivuletError) => void>();
    const router = implement(contract, clockOnce);
    const listener = router.node({ onError });
    let arrived!: () => void;
    const uploading = new Promise<void>((resolve) => (arrived = resolve));
    const { port } = await serve((req, res) => {
      arrived();
      listener(req, res);
    });
    const socket = await connect(port);
    socket.write(
      `POST /ticker${query({})} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"symbol":`,
    );
    // The server has the request and waits for the rest of its body.
    await uploading;
    socket.destroy();
    // A later request is served, so the server saw the abort and moved on.
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(`http://127.0.0.1:${port}/clock`, resolve),
    );
    response.resume();
    await waitFor(() => response.complete, "second request");
    expect(onError.mock.calls.filter(([error]) => error.status >= 500)).toEqual([]);
  });
});

describe("an onError that throws", () => {
  it("is caught: the stream still ends with its error event and nothing escapes as an unhandled rejection", async () => {
    const router = implement(contract, {
      ...clockOnce,
      clock: async function* () {
        yield { event: "tick" as const, data: { n: 1 } };
        throw new Error("boom");
      },
    });
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const response = await router.fetchHandler({
        onError: () => {
          throw new Error("the logger is broken");
        },
      })(new Request("http://x/clock"));
      const { events } = await readStream(response.body);
      expect(events.map((e) => e.event)).toEqual(["tick", "rivulet:error"]);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe("option checks", () => {
  const router = implement(contract, clockOnce);
  const adapters = [
    ["router.node()", (options: object) => router.node(options as never)],
    ["router.fetchHandler()", (options: object) => router.fetchHandler(options as never)],
  ] as const;
  const TIMER = "a number of ms > 0 and ≤ 2147483647, or false to turn it off";
  const CODEC = "a codec: an object with encode and decode functions, like superjsonCodec or jsonCodec";

  it.each<[name: string, value: unknown, expected: string]>([
    ["prefix", 5, "a string"],
    ["prefix", null, "a string"],
    ["context", { user: "a" }, "a function"],
    // Above 2^31 − 1 ms (Infinity too), a timer fires after 1 ms.
    ...["keepAliveMs", "maxDurationMs", "bodyTimeoutMs"].flatMap((name) =>
      ["1000", 0, -5, Number.NaN, Infinity, 2 ** 31, true].map((value): [string, unknown, string] => [name, value, TIMER]),
    ),
    ["validate", "false", "true or false"],
    ["validate", 0, "true or false"],
    ["codec", "json", CODEC],
    ["codec", {}, CODEC],
    ["codec", { encode: JSON.stringify }, CODEC],
    ["maxBodyBytes", 0, "a whole number > 0"],
    ["maxBodyBytes", -1, "a whole number > 0"],
    ["maxBodyBytes", 1.5, "a whole number > 0"],
    ["maxBodyBytes", "1024", "a whole number > 0"],
    ["maxBodyBytes", Infinity, "a whole number > 0"],
    ["maxInputDepth", 0, "a whole number > 0"],
    ["maxInputDepth", 2.5, "a whole number > 0"],
    ["maxInputDepth", "64", "a whole number > 0"],
    ["onError", console, "a function"],
  ])("refuses %s: %o with INVALID_OPTION, saying what was expected", (name, value, expected) => {
    for (const [owner, make] of adapters) {
      expect(() => make({ [name]: value })).toThrow(
        expect.objectContaining({
          name: "RivuletError",
          code: "INVALID_OPTION",
          message: expect.stringContaining(`${owner}: ${name} must be ${expected}; got `),
        }),
      );
    }
  });

  it("shows a string as a string, so that \"1000\" is told from 1000", () => {
    expect(() => router.node({ keepAliveMs: "1000" as never })).toThrow(/; got "1000" \(a string\)\.$/);
  });

  it("refuses options that are not an object", () => {
    expect(() => router.node(null as never)).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: "router.node(): options must be an object; got null." }),
    );
  });

  it("accepts every option at its limits, and false where it turns a timer off", () => {
    const onError = (): void => {};
    for (const [, make] of adapters) {
      expect(() => make({ keepAliveMs: false, maxDurationMs: false, bodyTimeoutMs: false })).not.toThrow();
      expect(() => make({ keepAliveMs: 2 ** 31 - 1, maxDurationMs: 2 ** 31 - 1, bodyTimeoutMs: 2 ** 31 - 1 })).not.toThrow();
      expect(() => make({ maxInputDepth: 1 })).not.toThrow();
      expect(() => make({ keepAliveMs: 0.5, maxBodyBytes: 1, validate: false, codec: jsonCodec, prefix: "", onError })).not.toThrow();
      expect(() => make({ context: () => undefined })).not.toThrow();
    }
  });
});
