import http from "node:http";
import { RivuletError } from "@rivulet/shared";
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
    const { port } = await serve(router.node({ onError }));
    const socket = await connect(port);
    socket.write(
      `POST /ticker${query({})} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"symbol":`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
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
